import { DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { createHandler as createRecordHandler } from '../../../functions/record/handler';
import { CLAIM_INDEX_NAME, claimShardOf } from '../../../functions/shared/media';
import { createHandler } from '../../../functions/sweeper/handler';
import { createHandler as createWatcherHandler } from '../../../functions/watcher/handler';
import { mediaTable } from '../../../infra/definitions/tables';
import { emulatedTables, putUploadTicket, type EmulatedTables } from '../../fixtures/dynamodb';

/*
 * The sweeper against the DynamoDB emulator, with claims taken and settled by the real record and
 * watcher handlers, so the sparse index and the conditional writes are evaluated for real.
 */

const TABLE = 'sweeper-test';
const AGE_SECONDS = 3600;
const NOW = new Date('2026-12-02T12:00:00.000Z');
const LONG_AGO = new Date('2026-12-02T09:00:00.000Z');
const execution = (name: string): string =>
  `arn:aws:states:eu-west-1:111122223333:execution:TravelGuide-dev-MediaPipeline:${name}`;
const upload = (mediaId: string, sequencer = '0A') => ({
  bucket: 'media',
  key: `uploads/alice/${mediaId}`,
  size: 10,
  etag: 'abc',
  sequencer,
});

let table: EmulatedTables;
let documents: DynamoDBDocumentClient;
let counter = 0;

/** A PENDING ticket claimed by the record handler at `at`, as MarkProcessing claims it. */
async function claimed(at: Date, executionArn: string | undefined = execution('run-1')): Promise<string> {
  counter += 1;
  const mediaId = `01JDX3ZK2Q4V5W6X7Y8Z9A${String(counter).padStart(4, '0')}`;
  await putUploadTicket(documents, TABLE, mediaId);
  const record = createRecordHandler({ documents, mediaTableName: TABLE, now: () => at });
  await record({
    action: 'processing',
    upload: upload(mediaId),
    ...(executionArn !== undefined ? { executionId: executionArn } : {}),
  });
  return mediaId;
}

async function stored(mediaId: string): Promise<Record<string, unknown> | undefined> {
  return (await documents.send(new GetCommand({ TableName: TABLE, Key: { mediaId } }))).Item;
}

async function inIndex(mediaId: string): Promise<boolean> {
  return (await indexEntry(mediaId)) !== undefined;
}

async function indexEntry(mediaId: string): Promise<Record<string, unknown> | undefined> {
  const { Items } = await documents.send(
    new QueryCommand({
      TableName: TABLE,
      IndexName: CLAIM_INDEX_NAME,
      KeyConditionExpression: 'claimShard = :shard',
      ExpressionAttributeValues: { ':shard': claimShardOf(mediaId) },
    }),
  );
  return (Items ?? []).find((item) => item.mediaId === mediaId);
}

const sweeper = (client: DynamoDBDocumentClient = documents) =>
  createHandler({ documents: client, mediaTableName: TABLE, strandedClaimAgeSeconds: AGE_SECONDS, now: () => NOW });

beforeAll(async () => {
  table = await emulatedTables({ [TABLE]: mediaTable });
  documents = table.documents;
});

afterAll(() => table.close());

/** Run-1 settles its claim of `mediaId` as RecordFailure does, after a throttled detector. */
async function settleByItsRun(mediaId: string): Promise<void> {
  await createRecordHandler({ documents, mediaTableName: TABLE })({
    action: 'failure',
    upload: upload(mediaId),
    executionId: execution('run-1'),
    error: { Error: 'DetectorThrottledError', Cause: '{}' },
  });
}

describe('the held-claim index', () => {
  it('holds a claimed media, with its holder projected, and only until the record settles it', async () => {
    // Arrange
    const mediaId = await claimed(LONG_AGO);
    const whileHeld = await indexEntry(mediaId);

    // Act
    await settleByItsRun(mediaId);

    // Assert
    expect(whileHeld).toEqual({
      mediaId,
      claimShard: claimShardOf(mediaId),
      claimedAt: LONG_AGO.toISOString(),
      claimedBy: execution('run-1'),
    });
    expect(await inIndex(mediaId)).toBe(false);
    expect(await stored(mediaId)).not.toHaveProperty('claimedAt');
  });

  it('loses a media the watcher settled', async () => {
    // Arrange
    const mediaId = await claimed(LONG_AGO);

    // Act
    await createWatcherHandler({ documents, mediaTableName: TABLE })({
      'detail-type': 'Step Functions Execution Status Change',
      detail: {
        executionArn: execution('run-1'),
        status: 'ABORTED',
        input: JSON.stringify({ detail: { object: { key: `uploads/alice/${mediaId}` } } }),
      },
    });

    // Assert
    expect((await stored(mediaId))?.status).toBe('FAILED');
    expect(await inIndex(mediaId)).toBe(false);
  });
});

describe('sweeper', () => {
  it('settles a claim older than the stranded age FAILED PIPELINE_STRANDED and leaves a fresh one alone', async () => {
    // Arrange
    const stuck = await claimed(LONG_AGO);
    const withoutExecution = await claimed(LONG_AGO, undefined);
    const fresh = await claimed(new Date(NOW.getTime() - 60_000));

    // Act
    const report = await sweeper()();

    // Assert
    expect(report.settled).toEqual(expect.arrayContaining([stuck, withoutExecution]));
    expect(report.settled).not.toContain(fresh);
    expect(await stored(stuck)).toMatchObject({
      status: 'FAILED',
      error: { code: 'PIPELINE_STRANDED' },
      claimedBy: execution('run-1'),
      updatedAt: NOW.toISOString(),
    });
    expect((await stored(withoutExecution))?.status).toBe('FAILED');
    expect(await inIndex(stuck)).toBe(false);
    expect(await stored(fresh)).toMatchObject({ status: 'PROCESSING' });
    expect(await inIndex(fresh)).toBe(true);
  });

  it('leaves a claim that was taken anew between its Query and its write', async () => {
    // Arrange: the same execution claims again (a retried MarkProcessing) just before the sweeper writes.
    const mediaId = await claimed(LONG_AGO, execution('run-2'));
    const racing = DynamoDBDocumentClient.from(documents);
    const send = racing.send.bind(racing) as (command: unknown) => Promise<unknown>;
    let raced = false;
    racing.send = (async (command: unknown) => {
      if (command instanceof UpdateCommand && command.input.Key?.mediaId === mediaId && !raced) {
        raced = true;
        await createRecordHandler({ documents, mediaTableName: TABLE, now: () => NOW })({
          action: 'processing',
          upload: upload(mediaId),
          executionId: execution('run-2'),
        });
      }
      return send(command);
    }) as typeof racing.send;

    // Act
    const report = await sweeper(racing)();

    // Assert
    expect(raced).toBe(true);
    expect(report.notHeld).toContain(mediaId);
    expect(await stored(mediaId)).toMatchObject({ status: 'PROCESSING', claimedAt: NOW.toISOString() });
  });

  it('leaves a media settled by its run (READY, REJECTED or FAILED): it is no longer in the index', async () => {
    // Arrange
    const mediaId = await claimed(LONG_AGO);
    await settleByItsRun(mediaId);

    // Act
    const report = await sweeper()();

    // Assert
    expect(report.settled).not.toContain(mediaId);
    expect(report.notHeld).not.toContain(mediaId);
    expect((await stored(mediaId))?.error).toMatchObject({ code: 'DETECTOR_THROTTLED' });
  });
});
