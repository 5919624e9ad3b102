import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import * as z from 'zod/mini';
import { documentClient } from '../shared/dynamodb-client';
import { parseUploadKey } from '../shared/media';
import { logger, tracer } from '../shared/powertools';
import { parseStepInput, runStep } from '../shared/step';
import { errorForExecutionStatus, settleClaimUpdate, UNSETTLED_EXECUTION_STATUSES } from '../record/record';
import { watcherSettings } from './settings';

/*
 * The execution watcher: Step Functions' "Execution Status Change" events for this state machine
 * (FAILED, TIMED_OUT, ABORTED; the rule in events/execution-ended.pattern.json) mark the media of
 * that execution FAILED with PIPELINE_ERROR, PIPELINE_TIMEOUT or PIPELINE_ABORTED, but only while
 * that execution still holds the claim: a run that recorded its own outcome, a late event and an
 * event for an older run all leave the record as it is. One conditional UpdateItem per event.
 */

export interface WatcherDeps {
  documents: DynamoDBDocumentClient;
  /** @default MEDIA_TABLE_NAME (./settings.ts) */
  mediaTableName?: string;
  /** @default the system clock */
  now?: () => Date;
}

export interface WatcherResult {
  /** The media whose run it was, when the execution's input names one. */
  mediaId?: string;
  /** true: the media was PROCESSING under this execution and is FAILED now. */
  settled: boolean;
  reason?: 'not-a-failure' | 'no-media' | 'not-holding-the-claim';
}

const statusChangeSchema = z.object({
  'detail-type': z.literal('Step Functions Execution Status Change'),
  detail: z.object({
    executionArn: z.string(),
    status: z.string(),
    // The execution's input as a JSON string (the rule target's transformed upload event).
    input: z.optional(z.nullable(z.string())),
  }),
});

const inputSchema = z.object({ detail: z.object({ object: z.object({ key: z.string() }) }) });

function isUnsettled(status: string): status is (typeof UNSETTLED_EXECUTION_STATUSES)[number] {
  return (UNSETTLED_EXECUTION_STATUSES as readonly string[]).includes(status);
}

/** The media id the execution's input names, or undefined (no input, not JSON, not an upload key). */
function mediaIdOf(input: string | null | undefined): string | undefined {
  if (input === undefined || input === null) return undefined;
  try {
    const parsed = z.safeParse(inputSchema, JSON.parse(input));
    return parsed.success ? parseUploadKey(parsed.data.detail.object.key)?.mediaId : undefined;
  } catch {
    return undefined;
  }
}

export function createHandler(deps: WatcherDeps): (event: unknown, context?: Context) => Promise<WatcherResult> {
  const { mediaTableName: tableName } = watcherSettings.fromEnv(
    process.env,
    deps.mediaTableName !== undefined ? { mediaTableName: deps.mediaTableName } : {},
  );
  const now = deps.now ?? ((): Date => new Date());

  return (event, context) =>
    runStep(context, async () => {
      const { detail } = parseStepInput(statusChangeSchema, event, 'watcher');
      logger.appendKeys({ executionArn: detail.executionArn, executionStatus: detail.status });
      if (!isUnsettled(detail.status)) return { settled: false, reason: 'not-a-failure' };
      const mediaId = mediaIdOf(detail.input);
      if (mediaId === undefined) {
        logger.warn('The execution input names no media; nothing to settle');
        return { settled: false, reason: 'no-media' };
      }
      logger.appendKeys({ mediaId });
      tracer.putAnnotation('mediaId', mediaId);
      const error = errorForExecutionStatus(detail.status);
      try {
        await deps.documents.send(
          new UpdateCommand({
            TableName: tableName,
            ...settleClaimUpdate(mediaId, detail.executionArn, error, now().toISOString()),
          }),
        );
      } catch (caught: unknown) {
        if (caught instanceof Error && caught.name === 'ConditionalCheckFailedException') {
          logger.info('The execution no longer holds the claim; the record stays as it is');
          return { mediaId, settled: false, reason: 'not-holding-the-claim' };
        }
        // Throttling and the rest: thrown, so Lambda's async retries and then the DLQ keep the event.
        throw caught;
      }
      logger.info('Media settled as FAILED after its execution ended', { error });
      return { mediaId, settled: true };
    });
}

let defaultHandler: ReturnType<typeof createHandler> | undefined;

/** Built on first use, as the record function's handler is (see there). */
export const handler = (event: unknown, context?: Context): Promise<WatcherResult> => {
  defaultHandler ??= createHandler({ documents: documentClient() });
  return defaultHandler(event, context);
};
