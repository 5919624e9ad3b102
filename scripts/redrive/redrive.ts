import { randomUUID } from 'node:crypto';
import { UPLOADED_INPUT } from '../../infra/definitions/pipeline-sources';
import { applyInputTransformer, loadInputTransformer } from '../../infra/definitions/input-transformer';
import { GetCommand, ScanCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { REDRIVABLE_CODES, redriveUpdate } from '../../functions/record/record';
import type { MediaRecord } from '../../functions/shared/media';
import type { ObjectCreatedEvent } from '../../local/events/object-created';

/*
 * Re-drive: media FAILED for a transient reason (REDRIVABLE_CODES: throttling, a timeout) run
 * again from their stored object, without a new upload. For each media: one conditional write
 * names the execution that may claim the record again (record.ts REDRIVE_CLAIM), then that
 * execution is started with the event S3 sent for the stored object version. The same code runs
 * against the twin and, with credentials, against a deployed stage; only StartExecution differs.
 */

export interface RedriveDeps {
  documents: DynamoDBDocumentClient;
  tableName: string;
  bucketName: string;
  region: string;
  account: string;
  /** Step Functions' StartExecution on the media pipeline, with the input the upload rule would pass. */
  startExecution(name: string, input: unknown): Promise<void>;
  now?: () => Date;
}

/** The "Object Created" event of the stored object version, as the rule delivers it to the machine. */
export type RedriveEvent = ObjectCreatedEvent;

/** The upload rule's input transformer (the file CDK puts on the rule's target). */

export type RedriveOutcome =
  | { mediaId: string; outcome: 'started'; executionName: string }
  | { mediaId: string; outcome: 'refused'; reason: string }
  | { mediaId: string; outcome: 'missing' };

/** Execution names are unique per state machine (90 days on Standard): the media id and a fresh suffix. */
function executionNameFor(mediaId: string): string {
  return `redrive-${mediaId}-${randomUUID().slice(0, 8)}`.slice(0, 80);
}

export function redriveEvent(
  record: MediaRecord,
  deps: Pick<RedriveDeps, 'bucketName' | 'region' | 'account'>,
  time: Date,
): RedriveEvent {
  const key = record.original?.key;
  if (key === undefined || record.sourceSequencer === undefined || record.sourceEtag === undefined) {
    throw new Error(`media ${record.mediaId} has no stored object version to re-run`);
  }
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Object Created',
    source: 'aws.s3',
    account: deps.account,
    time: time.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: deps.region,
    resources: [`arn:aws:s3:::${deps.bucketName}`],
    detail: {
      version: '0',
      bucket: { name: deps.bucketName },
      object: { key, size: record.original?.bytes ?? 0, etag: record.sourceEtag, sequencer: record.sourceSequencer },
      'request-id': 'redrive',
      requester: deps.account,
      'source-ip-address': '127.0.0.1',
      reason: 'PostObject',
    },
  };
}

/** Marks one media for a re-run and starts the execution that will claim it. Never re-runs a bad upload. */
export async function redriveMedia(deps: RedriveDeps, mediaId: string): Promise<RedriveOutcome> {
  const now = (deps.now ?? (() => new Date()))();
  const executionName = executionNameFor(mediaId);
  let record: MediaRecord;
  try {
    const { Attributes } = await deps.documents.send(
      new UpdateCommand({
        TableName: deps.tableName,
        ...redriveUpdate(mediaId, executionName, now.toISOString()),
        ReturnValues: 'ALL_NEW',
      }),
    );
    record = Attributes as MediaRecord;
  } catch (error: unknown) {
    if (!(error instanceof Error) || error.name !== 'ConditionalCheckFailedException') throw error;
    // Read once more to say why (an operator tool: one extra read is clearer than decoding ALL_OLD).
    const { Item } = await deps.documents.send(new GetCommand({ TableName: deps.tableName, Key: { mediaId } }));
    if (Item === undefined) return { mediaId, outcome: 'missing' };
    return { mediaId, outcome: 'refused', reason: refusalReason(Item as MediaRecord) };
  }
  // What the upload rule would pass for this event: its input transformer applied, as on AWS.
  const input = applyInputTransformer(loadInputTransformer(UPLOADED_INPUT), redriveEvent(record, deps, now));
  await deps.startExecution(executionName, input);
  return { mediaId, outcome: 'started', executionName };
}

function refusalReason(stored: Partial<MediaRecord>): string {
  if (stored.status !== 'FAILED') return `it is ${stored.status ?? 'unknown'}, not FAILED`;
  return `it failed with ${stored.error?.code ?? 'no code'}, which a re-run cannot change (re-drivable: ${REDRIVABLE_CODES.join(', ')})`;
}

/** Every media FAILED with a re-drivable code. Reads the whole table (a Scan): meant for the aftermath of an incident. */
export async function findRedrivable(deps: Pick<RedriveDeps, 'documents' | 'tableName'>): Promise<string[]> {
  const codes = Object.fromEntries(REDRIVABLE_CODES.map((code, i) => [`:code${i}`, code]));
  const ids: string[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await deps.documents.send(
      new ScanCommand({
        TableName: deps.tableName,
        ProjectionExpression: 'mediaId',
        FilterExpression: `#status = :failed AND #error.#code IN (${Object.keys(codes).join(', ')})`,
        ExpressionAttributeNames: { '#status': 'status', '#error': 'error', '#code': 'code' },
        ExpressionAttributeValues: { ':failed': 'FAILED', ...codes },
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    for (const item of page.Items ?? []) ids.push(String(item.mediaId));
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  return ids;
}
