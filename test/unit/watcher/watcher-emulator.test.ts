import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { createHandler as createRecordHandler } from '../../../functions/record/handler';
import { createHandler } from '../../../functions/watcher/handler';
import { mediaTable } from '../../../infra/definitions/tables';
import { emulatedTables, putUploadTicket, type EmulatedTables } from '../../fixtures/dynamodb';

/*
 * The execution watcher against the DynamoDB emulator, so its conditional write is evaluated for
 * real: an execution that ended FAILED, TIMED_OUT or ABORTED while holding its claim leaves its
 * media FAILED with its own code; one that no longer holds the claim changes nothing.
 */

const TABLE = 'watcher-test';
const MEDIA_ID = '01JDX3ZK2Q4V5W6X7Y8Z9A0B1C';
const MACHINE = 'arn:aws:states:eu-west-1:111122223333:stateMachine:TravelGuide-dev-MediaPipeline';
const execution = (name: string): string =>
  `arn:aws:states:eu-west-1:111122223333:execution:TravelGuide-dev-MediaPipeline:${name}`;
const upload = (sequencer: string) => ({
  bucket: 'media',
  key: `uploads/alice/${MEDIA_ID}`,
  size: 10,
  etag: 'abc',
  sequencer,
});

let table: EmulatedTables;
let documents: DynamoDBDocumentClient;

/** A status-change event as Step Functions sends it, with the execution's (transformed) input as a string. */
function statusChange(executionArn: string, status: string): unknown {
  return {
    version: '0',
    id: 'e5b2d7c1-0000-4000-8000-000000000000',
    'detail-type': 'Step Functions Execution Status Change',
    source: 'aws.states',
    account: '111122223333',
    time: '2026-11-28T17:25:00Z',
    region: 'eu-west-1',
    resources: [executionArn],
    detail: {
      executionArn,
      stateMachineArn: MACHINE,
      name: executionArn.split(':').pop(),
      status,
      startDate: 1796000000000,
      stopDate: 1796000300000,
      input: JSON.stringify({
        time: '2026-11-28T17:20:11Z',
        detail: {
          bucket: { name: 'media' },
          object: { key: `uploads/alice/${MEDIA_ID}`, size: 10, etag: 'abc', sequencer: '0A' },
        },
      }),
      output: null,
    },
  };
}

async function claimFor(executionArn: string, sequencer = '0A'): Promise<void> {
  await putUploadTicket(documents, TABLE, MEDIA_ID);
  const record = createRecordHandler({ documents, mediaTableName: TABLE });
  await record({ action: 'processing', upload: upload(sequencer), executionId: executionArn });
}

async function stored(): Promise<Record<string, unknown> | undefined> {
  return (await documents.send(new GetCommand({ TableName: TABLE, Key: { mediaId: MEDIA_ID } }))).Item;
}

beforeAll(async () => {
  table = await emulatedTables({ [TABLE]: mediaTable });
  documents = table.documents;
});

afterAll(() => table.close());

describe('execution watcher', () => {
  const watcher = () =>
    createHandler({ documents, mediaTableName: TABLE, now: () => new Date('2026-11-28T17:25:01.000Z') });

  it.each([
    ['ABORTED', 'PIPELINE_ABORTED'],
    ['TIMED_OUT', 'PIPELINE_TIMEOUT'],
    ['FAILED', 'PIPELINE_ERROR'],
  ])('marks the media of an execution that ended %s while holding the claim FAILED with %s', async (status, code) => {
    await claimFor(execution('run-1'));

    const result = await watcher()(statusChange(execution('run-1'), status));

    expect(result).toEqual({ mediaId: MEDIA_ID, settled: true });
    const record = await stored();
    expect(record?.status).toBe('FAILED');
    expect((record?.error as { code: string }).code).toBe(code);
  });

  it('leaves a newer claim alone when a late event for an older execution arrives', async () => {
    await claimFor(execution('run-new'), '0B');

    const result = await watcher()(statusChange(execution('run-old'), 'ABORTED'));

    expect(result).toEqual({ mediaId: MEDIA_ID, settled: false, reason: 'not-holding-the-claim' });
    expect(await stored()).toMatchObject({ status: 'PROCESSING', claimedBy: execution('run-new') });
  });

  it('leaves a record the run already settled as it is', async () => {
    await claimFor(execution('run-1'));
    const record = createRecordHandler({ documents, mediaTableName: TABLE });
    await record({ action: 'failure', upload: upload('0A'), error: { Error: 'DetectorThrottledError', Cause: '{}' } });

    const result = await watcher()(statusChange(execution('run-1'), 'FAILED'));

    expect(result.settled).toBe(false);
    expect((await stored())?.error).toMatchObject({ code: 'DETECTOR_THROTTLED' });
  });

  it('ignores a status that is not an unsettled end, and an execution whose input names no media', async () => {
    await claimFor(execution('run-1'));

    const succeeded = await watcher()(statusChange(execution('run-1'), 'SUCCEEDED'));
    const noInput = await watcher()({
      ...(statusChange(execution('run-1'), 'ABORTED') as object),
      detail: { executionArn: execution('run-1'), status: 'ABORTED', input: null },
    });

    expect(succeeded).toEqual({ settled: false, reason: 'not-a-failure' });
    expect(noInput).toEqual({ settled: false, reason: 'no-media' });
    expect((await stored())?.status).toBe('PROCESSING');
  });
});
