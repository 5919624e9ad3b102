import { Duration, Validations } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { DEAD_LETTER_RETENTION_DAYS } from '../definitions/pipeline';

/**
 * A dead-letter queue as every one of the app's is made: SQS-managed encryption, TLS only, and
 * messages kept DEAD_LETTER_RETENTION_DAYS (SQS's maximum). `purpose` is the reason given to cdk-nag
 * for the queue having no dead-letter queue of its own (AwsSolutions-SQS3).
 */
export function deadLetterQueue(scope: Construct, id: string, purpose: string): sqs.Queue {
  const queue = new sqs.Queue(scope, id, {
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(DEAD_LETTER_RETENTION_DAYS),
  });
  Validations.of(queue).acknowledge({ id: 'AwsSolutions-SQS3', reason: purpose });
  return queue;
}
