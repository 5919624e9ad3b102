import { DeleteMessageCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { applyInputTransformer, loadInputTransformer } from '../../infra/definitions/input-transformer';
import { rulePattern, UPLOADED_INPUT, UPLOADED_PATTERN } from '../../infra/definitions/pipeline-sources';
import { compileEventPattern, type EventMatcher } from '../../local/events/event-pattern';
import type { ObjectCreatedEvent } from '../../local/events/object-created';

/*
 * `npm run redrive -- --stage <stage> --from-dlq`: the upload events EventBridge could not deliver
 * (the upload rule's dead-letter queue; each message body is the "Object Created" event as the
 * rule received it) are put back into the pipeline: each starts the execution the rule would have
 * started, with the rule's input transformer applied, and its message is deleted once the start
 * succeeded. The execution is named after the event (`dlq-<event id>`), so running the command again
 * after an interruption never starts one event twice (Step Functions answers
 * ExecutionAlreadyExists, and the message is deleted). Only an event the upload rule itself
 * matches is put back (its pattern and input transformer, from infra/definitions/pipeline-sources.ts,
 * as the stack deploys them); any other message stays in the queue and is reported.
 */

export interface DeadLetterDeps {
  sqs: SQSClient;
  queueUrl: string;
  /** The stage's media bucket: the upload rule's pattern names it. */
  bucketName: string;
  /** Step Functions' StartExecution on the media pipeline. */
  startExecution(name: string, input: unknown): Promise<void>;
}

export interface DeadLetterReport {
  /** Executions started (or found already started), by name. */
  started: string[];
  /** Messages left in the queue, with the reason. */
  kept: { messageId: string; reason: string }[];
}

/** The execution name for one upload event: stable, so a second run of the command starts nothing twice. */
export function deadLetterExecutionName(event: { id: string }): string {
  return `dlq-${event.id.replace(/[^A-Za-z0-9_-]/g, '-')}`.slice(0, 80);
}

function uploadEventOf(body: string | undefined, matchesUploadRule: EventMatcher): ObjectCreatedEvent | string {
  let event: Partial<ObjectCreatedEvent>;
  try {
    event = JSON.parse(body ?? '') as Partial<ObjectCreatedEvent>;
  } catch {
    return 'the body is not JSON';
  }
  if (typeof event.id !== 'string' || !matchesUploadRule(event))
    return `not an upload event the upload rule matches (${String(event['detail-type'])}, bucket ${String(event.detail?.bucket?.name)}, key ${String(event.detail?.object?.key)})`;
  return event as ObjectCreatedEvent;
}

export async function redriveDeadLetters(deps: DeadLetterDeps): Promise<DeadLetterReport> {
  const transformer = loadInputTransformer(UPLOADED_INPUT);
  const matchesUploadRule = compileEventPattern(rulePattern(UPLOADED_PATTERN, { MediaBucketName: deps.bucketName }));
  const report: DeadLetterReport = { started: [], kept: [] };
  const seen = new Set<string>();
  for (;;) {
    const { Messages = [] } = await deps.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: deps.queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        // Long enough to start the executions of one batch; a message kept comes back after it.
        VisibilityTimeout: 120,
      }),
    );
    // A kept message may come back: the queue is done once a batch holds nothing new.
    const fresh = Messages.filter((message) => !seen.has(message.MessageId ?? ''));
    if (fresh.length === 0) return report;
    for (const message of fresh) {
      const messageId = message.MessageId ?? '';
      seen.add(messageId);
      const event = uploadEventOf(message.Body, matchesUploadRule);
      if (typeof event === 'string') {
        report.kept.push({ messageId, reason: event });
        continue;
      }
      const name = deadLetterExecutionName(event);
      try {
        await deps.startExecution(name, applyInputTransformer(transformer, event));
      } catch (error: unknown) {
        if (!(error instanceof Error) || error.name !== 'ExecutionAlreadyExists') {
          report.kept.push({
            messageId,
            reason: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
          });
          continue;
        }
      }
      await deps.sqs.send(new DeleteMessageCommand({ QueueUrl: deps.queueUrl, ReceiptHandle: message.ReceiptHandle }));
      report.started.push(name);
    }
  }
}
