import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { STACK_OUTPUTS, stageStackName } from '../../infra/definitions/stack-outputs';
import {
  DEFAULT_REGION,
  EMULATOR_ACCESS_KEY_ID,
  EMULATOR_SECRET_ACCESS_KEY,
  LOCAL_ACCOUNT_ID,
  MEDIA_TABLE_NAME,
} from '../../local/settings';
import type { RedriveDeps } from './redrive';
import type { DeadLetterDeps } from './dead-letters';

/* Where a re-drive runs: the local twin (its emulators and its StartExecution), or a deployed stage. */

/** The twin at `url`: its DynamoDB emulator and POST /_local/executions. */
export async function twinDeps(url: string): Promise<RedriveDeps & { close(): void }> {
  const response = await fetch(`${url}/_local/health`).catch((error: unknown) => {
    const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
    throw new Error(
      `Cannot reach the local twin at ${url} (GET /_local/health${cause}). Start it with \`npm start\`, ` +
        'or name another one with --twin URL, or a deployed stage with --stage dev|prod.',
    );
  });
  const health = (await response.json()) as { s3?: { bucket?: string }; dynamodb?: { endpoint?: string } };
  if (health.s3?.bucket === undefined || health.dynamodb?.endpoint === undefined)
    throw new Error(`${url} is not a local twin (no /_local/health)`);
  const region = process.env.AWS_REGION ?? DEFAULT_REGION;
  const client = new DynamoDBClient({
    region,
    endpoint: health.dynamodb.endpoint,
    credentials: { accessKeyId: EMULATOR_ACCESS_KEY_ID, secretAccessKey: EMULATOR_SECRET_ACCESS_KEY },
  });
  return {
    documents: DynamoDBDocumentClient.from(client),
    tableName: MEDIA_TABLE_NAME,
    bucketName: health.s3.bucket,
    region,
    account: LOCAL_ACCOUNT_ID,
    async startExecution(name, input) {
      // The twin's StartExecution.
      const started = await fetch(`${url}/_local/executions`, {
        method: 'POST',
        body: JSON.stringify({ name, input }),
      });
      if (started.status !== 200) throw new Error(`StartExecution ${name}: ${started.status} ${await started.text()}`);
    },
    close: () => client.destroy(),
  };
}

/** A reader of a deployed stage's stack outputs; a missing output names the stack and the key. */
async function stackOutputs(stage: string): Promise<(key: string) => string> {
  const cloudFormation = new CloudFormationClient({});
  const { Stacks } = await cloudFormation.send(new DescribeStacksCommand({ StackName: stageStackName(stage) }));
  cloudFormation.destroy();
  return (key) => {
    const value = Stacks?.[0]?.Outputs?.find((o) => o.OutputKey === key)?.OutputValue;
    if (value === undefined)
      throw new Error(`Stack ${stageStackName(stage)} has no output ${key}; deploy the current version first`);
    return value;
  };
}

/** The upload rule's dead-letter queue of a deployed stage, and its StartExecution, with the caller's AWS credentials. */
export async function stageDeadLetterDeps(stage: string): Promise<DeadLetterDeps & { close(): void }> {
  const output = await stackOutputs(stage);
  const stateMachineArn = output(STACK_OUTPUTS.stateMachineArn);
  const [, , , region = ''] = stateMachineArn.split(':');
  const sqs = new SQSClient({ region });
  const sfn = new SFNClient({ region });
  return {
    sqs,
    queueUrl: output(STACK_OUTPUTS.uploadDeadLetterQueueUrl),
    bucketName: output(STACK_OUTPUTS.mediaBucketName),
    async startExecution(name, input) {
      await sfn.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }));
    },
    close: () => {
      sqs.destroy();
      sfn.destroy();
    },
  };
}

/** A deployed stage, found by its stack outputs, with the caller's AWS credentials. */
export async function stageDeps(stage: string): Promise<RedriveDeps & { close(): void }> {
  const output = await stackOutputs(stage);
  const stateMachineArn = output(STACK_OUTPUTS.stateMachineArn);
  const [, , , region = '', account = ''] = stateMachineArn.split(':');
  const dynamo = new DynamoDBClient({ region });
  const sfn = new SFNClient({ region });
  return {
    documents: DynamoDBDocumentClient.from(dynamo),
    tableName: output(STACK_OUTPUTS.mediaTableName),
    bucketName: output(STACK_OUTPUTS.mediaBucketName),
    region,
    account,
    async startExecution(name, input) {
      await sfn.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }));
    },
    close: () => {
      dynamo.destroy();
      sfn.destroy();
    },
  };
}
