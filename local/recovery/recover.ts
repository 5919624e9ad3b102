import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { executionNameOf } from '../../functions/record/record';
import { uploadKeyFor, type MediaRecord } from '../../functions/shared/media';
import type { EndedExecution } from '../events/execution-status';
import { toObjectCreatedEvent, type ObjectCreatedEvent } from '../events/object-created';
import type { JournaledExecution } from './journal';

/**
 * After a crash (`kill -9`) and a restart on the same `--data-dir`, nothing the crash interrupted
 * stays unsettled. Runs once at start, as the twin itself (not as a function: no role applies):
 *
 * 1. Every execution the crash interrupted (left in the journal) runs again under its own name
 *    from its stored input, as a Step Functions execution outlives a host: the claim condition
 *    lets the execution that holds a claim take it again, so its media is processed from the
 *    stored upload.
 * 2. Media PROCESSING under an execution that is not in the journal (the crash came between the
 *    execution's end and the watcher's write) are settled by the watcher path: the execution's
 *    ABORTED status-change event, so the media ends FAILED PIPELINE_ABORTED.
 * 3. Media PENDING whose upload is stored (the crash came after the object was written but
 *    before its event was sent) get the "Object Created" event S3 owed them.
 */

export interface RecoveryDeps {
  interrupted: readonly JournaledExecution[];
  dynamo: DynamoDBClient;
  s3: S3Client;
  mediaTableName: string;
  bucketName: string;
  region: string;
  account: string;
  stateMachineArn: string;
  nextSequencer(): string;
  /** StartExecution under a given name (not awaited: the run goes on after the start). */
  restartExecution(name: string, input: unknown): void;
  /** Sends one status-change event through the watcher's rule. */
  settle(ended: EndedExecution): Promise<unknown>;
  /** Delivers one upload event through the upload rule (not awaited). */
  deliver(event: ObjectCreatedEvent): void;
  log(line: string): void;
}

export interface RecoveryReport {
  rerun: string[];
  abortedAndSettled: string[];
  redelivered: string[];
}

async function scanByStatus(documents: DynamoDBDocumentClient, table: string, status: string): Promise<MediaRecord[]> {
  const items: MediaRecord[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await documents.send(
      new ScanCommand({
        TableName: table,
        FilterExpression: '#status = :status',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':status': status },
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    items.push(...((page.Items ?? []) as MediaRecord[]));
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  return items;
}

function keyOf(input: unknown): string | undefined {
  const key = (input as { detail?: { object?: { key?: unknown } } } | null)?.detail?.object?.key;
  return typeof key === 'string' ? key : undefined;
}

export async function recoverInterruptedWork(deps: RecoveryDeps): Promise<RecoveryReport> {
  const report: RecoveryReport = { rerun: [], abortedAndSettled: [], redelivered: [] };
  // Scans (not the app's access pattern; the twin's own recovery, once per start): read before
  // anything is re-run, so a re-run's claim is not mistaken for a stranded one.
  const documents = DynamoDBDocumentClient.from(deps.dynamo);
  const processing = await scanByStatus(documents, deps.mediaTableName, 'PROCESSING');
  const pending = await scanByStatus(documents, deps.mediaTableName, 'PENDING');

  const journaled = new Set(deps.interrupted.map((execution) => execution.name));
  const journaledKeys = new Set(deps.interrupted.map((execution) => keyOf(execution.input)));
  for (const execution of deps.interrupted) {
    deps.log(
      `recovery: execution ${execution.name} (${keyOf(execution.input) ?? 'no key'}) was interrupted; running it again from its stored input`,
    );
    deps.restartExecution(execution.name, execution.input);
    report.rerun.push(execution.name);
  }

  for (const media of processing) {
    const claimedBy = (media as MediaRecord & { claimedBy?: string | null }).claimedBy;
    if (typeof claimedBy !== 'string' || journaled.has(executionNameOf(claimedBy))) continue;
    const key = media.original?.key ?? uploadKeyFor(media.ownerId, media.mediaId);
    deps.log(
      `recovery: media ${media.mediaId} was PROCESSING under ${executionNameOf(claimedBy)}, which did not survive; settling it as ABORTED through the execution watcher`,
    );
    const now = Date.now();
    await deps.settle({
      executionArn: claimedBy,
      stateMachineArn: deps.stateMachineArn,
      name: executionNameOf(claimedBy),
      status: 'ABORTED',
      startDate: Date.parse(media.updatedAt) || now,
      stopDate: now,
      input: { detail: { bucket: { name: deps.bucketName }, object: { key } } },
      output: null,
    });
    report.abortedAndSettled.push(media.mediaId);
  }

  for (const media of pending) {
    const key = uploadKeyFor(media.ownerId, media.mediaId);
    if (journaledKeys.has(key)) continue;
    let head;
    try {
      head = await deps.s3.send(new HeadObjectCommand({ Bucket: deps.bucketName, Key: key }));
    } catch {
      continue; // No upload yet: the ticket is still open.
    }
    const event = toObjectCreatedEvent(
      {
        eventName: 'ObjectCreated:Post',
        eventTime: (head.LastModified ?? new Date()).toISOString(),
        s3: {
          bucket: { name: deps.bucketName },
          object: { key, size: head.ContentLength ?? 0, eTag: (head.ETag ?? '').replace(/"/g, '') },
        },
      },
      // The event's time is when S3 stored the object: a ticket takes an upload stored before it ended.
      {
        region: deps.region,
        account: deps.account,
        sequencer: deps.nextSequencer(),
        now: head.LastModified ?? new Date(),
      },
    );
    if (event === undefined) continue;
    deps.log(
      `recovery: media ${media.mediaId} is PENDING but its upload is stored; sending the Object Created event S3 owed it`,
    );
    deps.deliver(event);
    report.redelivered.push(media.mediaId);
  }
  return report;
}
