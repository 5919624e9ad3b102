import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { EMULATOR_ACCESS_KEY_ID, EMULATOR_SECRET_ACCESS_KEY } from '../../local/settings';
import { startTwin, type Twin } from '../../local/twin';
import { photoJpeg, tokenFor, upload, waitForTerminal } from './support/twin-client';

/*
 * Executions that end without settling their media, in the twin as on AWS: the execution ends
 * ABORTED (StopExecution) or FAILED (RecordFailure itself failed), Step Functions' status-change
 * event goes through events/execution-ended.pattern.json to the real watcher handler, under the
 * watcher's role, and the media ends FAILED with the status's code.
 */

let twin: Twin;
let token: string;
let documents: DynamoDBDocumentClient;

beforeAll(async () => {
  // A thumbnail invocation that fails with a Lambda service error waits 30 s before its retry:
  // long enough to stop the execution while it holds the claim.
  twin = await startTwin({ retryIntervalOverrides: { CreateThumbnails: 30_000 }, drainMs: 500 });
  token = await tokenFor(twin, 'alice');
  documents = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      region: twin.region,
      endpoint: twin.dynamoDbEndpoint,
      credentials: { accessKeyId: EMULATOR_ACCESS_KEY_ID, secretAccessKey: EMULATOR_SECRET_ACCESS_KEY },
    }),
  );
}, 60_000);

afterAll(async () => {
  documents?.destroy();
  await twin?.stop();
});

async function storedRecord(mediaId: string): Promise<Record<string, unknown> | undefined> {
  return (await documents.send(new GetCommand({ TableName: twin.mediaTableName, Key: { mediaId } }))).Item;
}

/** Polls until the media's run holds the claim; returns the execution's name. */
async function claimedExecution(mediaId: string, timeoutMs = 60_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const record = await storedRecord(mediaId);
    if (record?.status === 'PROCESSING' && typeof record.claimedBy === 'string')
      return record.claimedBy.split(':').pop() ?? '';
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`media ${mediaId} was never claimed`);
}

it('settles the media of a stopped execution as FAILED PIPELINE_ABORTED', async () => {
  // Arrange: the run holds its claim, waiting to retry its thumbnail step
  twin.injectFault('CreateThumbnails', { name: 'Lambda.ServiceException', message: 'Lambda is unavailable' });
  const mediaId = await upload(twin, token, await photoJpeg(320, 240));
  const execution = await claimedExecution(mediaId);

  // Act
  const stopped = twin.stopExecution(execution);
  const media = await waitForTerminal(twin, mediaId, 60_000);

  // Assert
  expect(stopped).toBe(true);
  expect(media).toMatchObject({ status: 'FAILED', error: { code: 'PIPELINE_ABORTED' } });
  const run = twin.runs.recent().find((r) => r.executionId === execution);
  expect(run).toMatchObject({ executionStatus: 'ABORTED', watcher: { attempts: 1, result: { settled: true } } });
  expect(run?.watcher?.event).toMatchObject({
    source: 'aws.states',
    'detail-type': 'Step Functions Execution Status Change',
    detail: { status: 'ABORTED', executionArn: expect.stringContaining(`:execution:`) },
  });
}, 120_000);

it('settles the media of an execution whose RecordFailure failed as FAILED PIPELINE_ERROR', async () => {
  // Arrange: the thumbnail step fails (caught), then recording the failure fails (nothing catches it)
  twin.injectFault('CreateThumbnails', { name: 'Error', message: 'a bug in the step' });
  twin.injectFault('RecordFailure', { name: 'AccessDeniedException', message: 'no dynamodb:UpdateItem' });

  // Act
  const mediaId = await upload(twin, token, await photoJpeg(320, 240));
  const media = await waitForTerminal(twin, mediaId, 60_000);

  // Assert
  expect(media).toMatchObject({ status: 'FAILED', error: { code: 'PIPELINE_ERROR' } });
  const run = twin.runs.recent().find((r) => r.mediaId === mediaId);
  expect(run).toMatchObject({ executionStatus: 'FAILED', watcher: { result: { settled: true } } });
  // The watcher's only write, allowed by its own role
  const watcher = twin.iamReport().functions.find((f) => f.fn === 'watcher');
  expect(watcher?.decisions).toContainEqual(
    expect.objectContaining({ action: 'dynamodb:UpdateItem', decision: 'allowed', via: ['ExecutionEndedRule'] }),
  );
}, 120_000);

it('sends no event to the watcher for an execution that succeeded', async () => {
  // Act
  const mediaId = await upload(twin, token, await photoJpeg(320, 240));
  const media = await waitForTerminal(twin, mediaId, 60_000);

  // Assert
  expect(media.status).toBe('READY');
  const run = twin.runs.recent().find((r) => r.mediaId === mediaId);
  expect(run?.executionStatus).toBe('SUCCEEDED');
  expect(run?.watcher).toBeUndefined();
}, 60_000);
