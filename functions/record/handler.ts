import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import * as z from 'zod/mini';
import { documentClient } from '../shared/dynamodb-client';
import { InvalidUploadKeyError, StoreThrottledError } from '../shared/errors';
import { failedKeyFor, parseUploadKey } from '../shared/media';
import type { ClaimResult, MediaStatus, RecordCommand, UploadRef } from '../shared/media';
import { logger, tracer } from '../shared/powertools';
import { metrics } from '../shared/metrics';
import { labelsResultSchema, moderateResultSchema, thumbnailResultSchema, uploadRefSchema } from '../shared/schemas';
import { parseStepInput, runStep } from '../shared/step';
import { claimRefusal, claimUpdate, completeUpdate, errorFromCatch, failureUpdate, isUploaderFault } from './record';
import type { ClaimRefusal, ConditionalUpdate } from './record';
import { recordSettings } from './settings';

/*
 * The record function: MarkProcessing, RecordResult and RecordFailure in the ASL. One conditional
 * UpdateItem per invocation; see record.ts for the ordering rules.
 */

export interface RecordDeps {
  documents: DynamoDBDocumentClient;
  /** @default MEDIA_TABLE_NAME (./settings.ts) */
  mediaTableName?: string;
  /** @default the system clock */
  now?: () => Date;
}

/** Result of RecordResult / RecordFailure. `written: false` means a newer upload owns the record. */
export interface WriteResult {
  written: boolean;
  mediaId: string;
  status: MediaStatus;
}

export type RecordResult = ClaimResult | WriteResult;

const commandSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('processing'), upload: uploadRefSchema, executionId: z.optional(z.string()) }),
  z.object({
    action: z.literal('complete'),
    upload: uploadRefSchema,
    thumbnail: thumbnailResultSchema,
    labels: labelsResultSchema,
    moderation: moderateResultSchema,
  }),
  z.object({
    action: z.literal('failure'),
    upload: uploadRefSchema,
    executionId: z.optional(z.string()),
    error: z.object({ Error: z.optional(z.string()), Cause: z.optional(z.string()) }),
  }),
]);

/** DynamoDB's ways of saying "slow down": the ASL retries StoreThrottledError with backoff and jitter. */
const THROTTLING_ERRORS = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
]);

export function createHandler(deps: RecordDeps): (event: unknown, context?: Context) => Promise<RecordResult> {
  const { mediaTableName: tableName } = recordSettings.fromEnv(
    process.env,
    deps.mediaTableName !== undefined ? { mediaTableName: deps.mediaTableName } : {},
  );
  const now = deps.now ?? ((): Date => new Date());

  /** @returns the failed condition's old item (ALL_OLD), or undefined when the write went through. */
  async function update(request: ConditionalUpdate): Promise<{ conflict: false } | { conflict: true; old: unknown }> {
    try {
      await deps.documents.send(
        new UpdateCommand({ TableName: tableName, ...request, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' }),
      );
      return { conflict: false };
    } catch (error: unknown) {
      if (error instanceof Error && error.name === 'ConditionalCheckFailedException') {
        return { conflict: true, old: (error as Error & { Item?: unknown }).Item };
      }
      if (error instanceof Error && THROTTLING_ERRORS.has(error.name)) {
        throw new StoreThrottledError(`DynamoDB throttled the media record write (${error.name})`, { cause: error });
      }
      throw error;
    }
  }

  return (event, context) =>
    runStep(context, async () => {
      const command: RecordCommand = parseStepInput(commandSchema, event, 'record');
      const { mediaId, ownerId } = idsOf(command.upload);
      logger.appendKeys({ mediaId, action: command.action });
      tracer.putAnnotation('mediaId', mediaId);
      const timestamp = now().toISOString();

      switch (command.action) {
        case 'processing': {
          const outcome = await update(claimUpdate(mediaId, ownerId, command.upload, timestamp, command.executionId));
          if (!outcome.conflict) {
            logger.info('Media claimed for processing');
            return { proceed: true, mediaId };
          }
          const reason = claimRefusal(
            {
              status: storedString(outcome.old, 'status'),
              sourceSequencer: storedString(outcome.old, 'sourceSequencer'),
            },
            command.upload,
          );
          logger.info('Claim refused: no unused upload ticket for this object', { reason });
          countRefusal(reason, command.executionId);
          return { proceed: false, reason, mediaId };
        }
        case 'complete': {
          const request = completeUpdate(mediaId, ownerId, command.upload, command, timestamp);
          return terminal(await update(request), mediaId, request.status);
        }
        case 'failure': {
          const error = errorFromCatch(command.error);
          // The full Error and Cause go to the logs (not the record), where operators can read them.
          logger.info('Recording failure', { error, caught: command.error });
          // A bad upload is moved to failed/ right after this write: the record names where it goes.
          const movedTo = isUploaderFault(command.error) ? failedKeyFor(ownerId, mediaId) : undefined;
          const request = failureUpdate(
            mediaId,
            ownerId,
            command.upload,
            error,
            timestamp,
            command.executionId,
            movedTo,
          );
          return terminal(await update(request), mediaId, 'FAILED');
        }
      }
    });
}

function terminal(outcome: { conflict: boolean }, mediaId: string, status: MediaStatus): WriteResult {
  if (outcome.conflict) {
    // A newer upload claimed the record, or this version is already final: this run is stale.
    logger.warn('Stale run: record not written', { status });
    return { written: false, mediaId, status };
  }
  metrics.addMetric(METRIC_BY_STATUS[status] ?? 'MediaRecorded', MetricUnit.Count, 1);
  logger.info('Media record written', { status });
  return { written: true, mediaId, status };
}

/**
 * One `ClaimsRefused` datapoint with a `Reason` dimension, so the dashboard tells a duplicate
 * delivery (harmless) from an object written without a ticket or a reused upload form (worth a
 * look). A single-metric instance publishes at once with its own dimensions: a `Reason` added to
 * the shared instance would be stamped on every other metric this invocation stores.
 */
function countRefusal(reason: ClaimRefusal, executionId: string | undefined): void {
  const refused = metrics.singleMetric();
  refused.addDimension('Reason', reason);
  // The shared instance's metadata is not copied to a single metric.
  if (executionId !== undefined) refused.addMetadata('executionId', executionId);
  refused.addMetric('ClaimsRefused', MetricUnit.Count, 1);
}

const METRIC_BY_STATUS: Partial<Record<MediaStatus, string>> = {
  READY: 'MediaProcessed',
  REJECTED: 'MediaRejected',
  FAILED: 'MediaFailed',
};

function idsOf(upload: UploadRef): { mediaId: string; ownerId: string } {
  const ids = parseUploadKey(upload.key);
  if (ids === undefined) {
    throw new InvalidUploadKeyError(`Object key "${upload.key}" is not uploads/{ownerId}/{mediaId}`);
  }
  return ids;
}

/**
 * One string attribute of the stored item a refused write returns (ALL_OLD, on the
 * ConditionalCheckFailedException). The document client does not unmarshall items on errors, so
 * this accepts both `{S: "..."}` and a plain string.
 */
function storedString(item: unknown, name: string): string | undefined {
  if (typeof item !== 'object' || item === null) return undefined;
  const value: unknown = (item as Record<string, unknown>)[name];
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null && typeof (value as { S?: unknown }).S === 'string') {
    return (value as { S: string }).S;
  }
  return undefined;
}

let defaultHandler: ReturnType<typeof createHandler> | undefined;

/**
 * Built on first use rather than at import, so that tests and the local twin can import this
 * module for createHandler without MEDIA_TABLE_NAME set; on Lambda the first invocation still
 * fails at once, with a clear message, if the variable is missing.
 */
export const handler = (event: unknown, context?: Context): Promise<RecordResult> => {
  defaultHandler ??= createHandler({ documents: documentClient() });
  return defaultHandler(event, context);
};
