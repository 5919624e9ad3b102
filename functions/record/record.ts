import { DOMAIN_ERRORS } from '../shared/errors';
import {
  CLAIMED_AT_ATTRIBUTE,
  CLAIM_SHARD_ATTRIBUTE,
  claimShardOf,
  normaliseSequencer,
  quarantineKeyFor,
  TICKET_UPLOAD_GRACE_SECONDS,
} from '../shared/media';
import type {
  ClaimResult,
  LabelsResult,
  MediaError,
  MediaStatus,
  ModerateResult,
  ThumbnailResult,
  UploadRef,
} from '../shared/media';

/*
 * Pure core of the record function: builds the one conditional DynamoDB update each action needs,
 * and turns a Step Functions Catch result into the error stored on a FAILED record. No SDK here:
 * the handler adds the table name and sends it.
 *
 * One upload ticket, one processing run. POST /media/uploads writes a PENDING record for the
 * owner before it hands out the presigned POST; the pipeline only ever works on such a record.
 *   - The claim (PENDING -> PROCESSING) succeeds only on the owner's PENDING record. An object no
 *     ticket was issued for, a second upload with the same ticket, a duplicate delivery and a late
 *     delivery of an older version are all refused, and their run ends without doing any work
 *     (no renditions, no Rekognition calls).
 *   - Terminal writes (READY, REJECTED, FAILED) succeed only while the record still belongs to
 *     this run's object version (`sourceSequencer`, the zero-padded S3 sequencer) and is
 *     PROCESSING, so a late run never overwrites a result. The one exception is a run that failed
 *     before its claim: its FAILED write settles the still-unclaimed ticket (see failureUpdate).
 */

/** The parts of a DynamoDB UpdateItem request that do not depend on where the table is. */
export interface ConditionalUpdate {
  Key: { mediaId: string };
  UpdateExpression: string;
  ConditionExpression: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues: Record<string, unknown>;
}

/** Terminal writes require the record to be this version's and still PROCESSING. */
export const TERMINAL_CONDITION = '#sourceSequencer = :seq AND #status = :processing';
export const CLAIM_CONDITION = '#status = :pending AND #ownerId = :ownerId';
/**
 * A claim that already went through can be sent again by the same execution: the ASL retries
 * MarkProcessing after a Lambda service error even when the function ran, and the SDK retries an
 * UpdateItem whose response was lost. The execution that holds the claim may take it again;
 * anyone else with the same sequencer is a duplicate delivery.
 */
export const CLAIM_CONDITION_FOR_EXECUTION = `(${CLAIM_CONDITION}) OR (#status = :processing AND #sourceSequencer = :seq AND #claimedBy = :claimedBy)`;
/**
 * A re-drive is a ticket for one named execution: `npm run redrive` marks a FAILED record (a
 * transient failure only, see REDRIVABLE_CODES) with the name of the execution it then starts, and
 * only that execution may claim the record again, for the same object version. A live run holds
 * PROCESSING, which a re-drive never touches, and a duplicate or late delivery of the original
 * event runs under another name, so neither can race it.
 */
/**
 * A ticket takes only an upload S3 stored before the ticket ended (its form's expiry plus
 * TICKET_UPLOAD_GRACE_SECONDS, see ../shared/media.ts): a later one is refused like an unissued
 * one. `:endedBefore` is the upload's time less the grace, compared with the ticket's form expiry
 * (both ISO 8601 in UTC, so they compare as strings). A ticket written before tickets expired has
 * no `uploadExpiresAt` and never ends.
 */
export const UNEXPIRED_TICKET = '(attribute_not_exists(#uploadExpiresAt) OR #uploadExpiresAt >= :endedBefore)';
export const REDRIVE_CLAIM = '(#status = :failed AND #sourceSequencer = :seq AND #redriveBy = :executionName)';

/**
 * Failures that say nothing about the upload: the same bytes may well succeed later, so the
 * media can be re-run from its stored object without a new upload. A bad upload never is.
 */
export const REDRIVABLE_CODES = [
  'DETECTOR_THROTTLED',
  'STORE_THROTTLED',
  'LAMBDA_THROTTLED',
  'PIPELINE_TIMEOUT',
  // A stopped execution (StopExecution, a redeploy, the twin stopped): the upload was not at fault.
  'PIPELINE_ABORTED',
  // The sweeper's code: the run ended unseen; nothing says the upload was at fault.
  'PIPELINE_STRANDED',
] as const;

/**
 * The name of an execution from its ARN, as `$$.Execution.Id` gives it: Standard
 * `arn:aws:states:<region>:<account>:execution:<machine>:<name>`, Express
 * `arn:aws:states:<region>:<account>:express:<machine>:<name>:<run id>`.
 */
export function executionNameOf(executionId: string): string {
  const parts = executionId.split(':');
  return parts.length >= 8 && (parts[5] === 'execution' || parts[5] === 'express')
    ? (parts[7] ?? executionId)
    : executionId;
}

const PROCESSING: MediaStatus = 'PROCESSING';

/**
 * Every attribute goes through a name placeholder: `status` and others are DynamoDB reserved
 * words, and one rule is easier to read than a list of exceptions.
 */
function names(...attributes: string[]): Record<string, string> {
  return Object.fromEntries(attributes.map((attribute) => [`#${attribute}`, attribute]));
}

/*
 * The held-claim index (../shared/media.ts CLAIM_INDEX_NAME): the claim sets both attributes, every
 * write that settles the media removes both, so only PROCESSING media are in the index.
 */
const CLAIM_SHARD = `#${CLAIM_SHARD_ATTRIBUTE}`;
const CLAIMED_AT = `#${CLAIMED_AT_ATTRIBUTE}`;
/** `REMOVE` operands that take a settled media out of the held-claim index. */
const LEAVE_CLAIM_INDEX = `${CLAIM_SHARD}, ${CLAIMED_AT}`;

/** MarkProcessing: claims the record for this object version and clears the previous version's results. */
export function claimUpdate(
  mediaId: string,
  ownerId: string,
  upload: UploadRef,
  now: string,
  executionId?: string,
): ConditionalUpdate {
  const claimedBy = executionId ?? null;
  // Only the PENDING branch checks the ticket's end: a retry or a re-drive of a claim it took is not a new upload.
  const endedBefore =
    upload.time !== undefined
      ? new Date(Date.parse(upload.time) - TICKET_UPLOAD_GRACE_SECONDS * 1000).toISOString()
      : undefined;
  const claimCondition =
    endedBefore !== undefined
      ? `${CLAIM_CONDITION} AND ${UNEXPIRED_TICKET}`
      : `${CLAIM_CONDITION} AND attribute_not_exists(#uploadExpiresAt)`;
  return {
    Key: { mediaId },
    UpdateExpression:
      'SET #status = :processing, #ownerId = :ownerId, #sourceSequencer = :seq, #sourceEtag = :etag, ' +
      '#original = :original, #claimedBy = :claimedBy, #createdAt = if_not_exists(#createdAt, :now), #updatedAt = :now, ' +
      // Into the held-claim index, dated now: a retried or re-run claim starts a fresh age.
      `${CLAIM_SHARD} = :claimShard, ${CLAIMED_AT} = :now ` +
      // A claimed ticket is a media: the TTL that removes unclaimed tickets goes.
      'REMOVE #renditions, #labels, #moderation, #error, #derivedKeys, #redriveBy, #removeAt',
    // Without an execution id (a direct invocation) no retry or re-drive can be recognised: the plain condition.
    ConditionExpression:
      executionId !== undefined
        ? `(${claimCondition}) OR (#status = :processing AND #sourceSequencer = :seq AND #claimedBy = :claimedBy) OR ${REDRIVE_CLAIM}`
        : claimCondition,
    ExpressionAttributeNames: names(
      'uploadExpiresAt',
      'removeAt',
      'claimedBy',
      'status',
      'ownerId',
      'sourceSequencer',
      'sourceEtag',
      'original',
      'createdAt',
      'updatedAt',
      'renditions',
      'labels',
      'moderation',
      'error',
      'derivedKeys',
      'redriveBy',
      CLAIM_SHARD_ATTRIBUTE,
      CLAIMED_AT_ATTRIBUTE,
    ),
    ExpressionAttributeValues: {
      ...(executionId !== undefined
        ? { ':failed': 'FAILED' satisfies MediaStatus, ':executionName': executionNameOf(executionId) }
        : {}),
      ...(endedBefore !== undefined ? { ':endedBefore': endedBefore } : {}),
      ':pending': 'PENDING' satisfies MediaStatus,
      ':processing': PROCESSING,
      ':ownerId': ownerId,
      ':seq': normaliseSequencer(upload.sequencer),
      ':etag': upload.etag,
      // Size and key are known now; type and dimensions come from the bytes, in the terminal write.
      ':original': { key: upload.key, bytes: upload.size },
      ':claimedBy': claimedBy,
      ':claimShard': claimShardOf(mediaId),
      ':now': now,
    },
  };
}

/**
 * RecordResult: READY or REJECTED, as moderation decided.
 *
 * A REJECTED record stores no `renditions`: rejected media is never served, and a record that
 * names no rendition cannot leak one through any read path. Its `original.key` names the
 * quarantine key, where TakeDownRejected moves the original right after this write (the ASL runs
 * it for every REJECTED outcome), never uploads/. The keys of everything written under
 * derived/ are kept in `derivedKeys` on both outcomes, so the objects can be found and deleted.
 */
export function completeUpdate(
  mediaId: string,
  ownerId: string,
  upload: UploadRef,
  result: { thumbnail: ThumbnailResult; labels: LabelsResult; moderation: ModerateResult },
  now: string,
): ConditionalUpdate & { status: 'READY' | 'REJECTED' } {
  const status = result.moderation.verdict === 'REJECTED' ? 'REJECTED' : 'READY';
  const derivedKeys = [...result.thumbnail.renditions.map((rendition) => rendition.key), result.thumbnail.analysis.key];
  const values: Record<string, unknown> = {
    ':status': status,
    ':ownerId': ownerId,
    ':original':
      status === 'REJECTED'
        ? { ...result.thumbnail.original, key: quarantineKeyFor(ownerId, mediaId) }
        : result.thumbnail.original,
    ':labels': result.labels.labels,
    ':moderation': { verdict: result.moderation.verdict, labels: result.moderation.labels },
    ':derivedKeys': derivedKeys,
    ':now': now,
    ':seq': normaliseSequencer(upload.sequencer),
    ':processing': PROCESSING,
  };
  const set = [
    '#status = :status',
    '#ownerId = :ownerId',
    '#original = :original',
    '#labels = :labels',
    '#moderation = :moderation',
    '#derivedKeys = :derivedKeys',
    '#updatedAt = :now',
  ];
  const remove = ['#error', LEAVE_CLAIM_INDEX];
  if (status === 'READY') {
    set.push('#renditions = :renditions');
    values[':renditions'] = result.thumbnail.renditions;
  } else {
    remove.push('#renditions');
  }
  return {
    status,
    Key: { mediaId },
    UpdateExpression: `SET ${set.join(', ')} REMOVE ${remove.join(', ')}`,
    ConditionExpression: TERMINAL_CONDITION,
    ExpressionAttributeNames: names(
      'status',
      'ownerId',
      'original',
      'labels',
      'moderation',
      'derivedKeys',
      'updatedAt',
      'renditions',
      'error',
      'sourceSequencer',
      CLAIM_SHARD_ATTRIBUTE,
      CLAIMED_AT_ATTRIBUTE,
    ),
    ExpressionAttributeValues: values,
  };
}

/**
 * `npm run redrive`: marks FAILED media for one more run by the named execution, only when it
 * failed for a transient reason (REDRIVABLE_CODES). The caller then starts that execution with the
 * stored object's event; MarkProcessing's REDRIVE_CLAIM lets exactly it claim the record.
 */
export function redriveUpdate(mediaId: string, executionName: string, now: string): ConditionalUpdate {
  const codes = Object.fromEntries(REDRIVABLE_CODES.map((code, i) => [`:code${i}`, code]));
  return {
    Key: { mediaId },
    UpdateExpression:
      'SET #redriveBy = :executionName, #redriveRequestedAt = :now, #updatedAt = :now ADD #redriveCount :one',
    ConditionExpression: `#status = :failed AND #error.#code IN (${Object.keys(codes).join(', ')})`,
    ExpressionAttributeNames: names(
      'redriveBy',
      'redriveRequestedAt',
      'updatedAt',
      'redriveCount',
      'status',
      'error',
      'code',
    ),
    ExpressionAttributeValues: {
      ':executionName': executionName,
      ':now': now,
      ':one': 1,
      ':failed': 'FAILED' satisfies MediaStatus,
      ...codes,
    },
  };
}

/**
 * RecordFailure: FAILED with a reason a user may read, in one of two cases.
 *   - The run holds the claim: PROCESSING for this object version (and, when the execution is
 *     known, claimed by this execution, so a duplicate delivery whose own claim failed can never
 *     fail the run that holds it).
 *   - The run failed before its claim (MarkProcessing throttled past its retries, timed out):
 *     the owner's ticket is still PENDING, and would stay so for good. It is settled FAILED with
 *     this object version's sequencer, ETag and key, so that `npm run redrive` can run it again
 *     from the stored upload when the failure was transient. A ticket already claimed, or not
 *     this owner's, is left alone.
 * `movedTo`: for a bad upload (the uploader's fault), the key DiscardFailedUpload moves the
 * original to right after this write (failed/...); the record's `original.key` names it, never
 * uploads/. Without it the original stays where it is (a pipeline fault keeps it for a re-drive).
 */
export function failureUpdate(
  mediaId: string,
  ownerId: string,
  upload: UploadRef,
  error: MediaError,
  now: string,
  executionId?: string,
  movedTo?: string,
): ConditionalUpdate {
  const holdsClaim =
    executionId !== undefined ? `${TERMINAL_CONDITION} AND #claimedBy = :claimedBy` : TERMINAL_CONDITION;
  return {
    Key: { mediaId },
    UpdateExpression:
      'SET #status = :failed, #error = :error, #updatedAt = :now, #sourceSequencer = :seq, #sourceEtag = :etag, ' +
      // A settled ticket is a media (it may be re-driven): the TTL that removes unclaimed tickets goes.
      (movedTo !== undefined ? '#original = :original' : '#original = if_not_exists(#original, :original)') +
      ` REMOVE #removeAt, ${LEAVE_CLAIM_INDEX}`,
    ConditionExpression: `(${holdsClaim}) OR (${CLAIM_CONDITION})`,
    ExpressionAttributeNames: names(
      'status',
      'error',
      'updatedAt',
      'sourceSequencer',
      'sourceEtag',
      'original',
      'ownerId',
      'removeAt',
      CLAIM_SHARD_ATTRIBUTE,
      CLAIMED_AT_ATTRIBUTE,
      ...(executionId !== undefined ? ['claimedBy'] : []),
    ),
    ExpressionAttributeValues: {
      ':failed': 'FAILED' satisfies MediaStatus,
      ':error': error,
      ':now': now,
      ':seq': normaliseSequencer(upload.sequencer),
      ':etag': upload.etag,
      ':original': { key: movedTo ?? upload.key, bytes: upload.size },
      ':processing': PROCESSING,
      ':pending': 'PENDING' satisfies MediaStatus,
      ':ownerId': ownerId,
      ...(executionId !== undefined ? { ':claimedBy': executionId } : {}),
    },
  };
}

/** Why a claim was refused; the run then ends at IgnoreDuplicate without doing any work. */
export type ClaimRefusal = NonNullable<ClaimResult['reason']>;

/**
 * Every refusal reason, for those who must list them all: the dashboard draws one line per reason,
 * and a reason that is never listed would be counted but never shown.
 */
export const CLAIM_REFUSALS: readonly ClaimRefusal[] = Object.keys(
  // A Record over the union: the build fails when ClaimResult gains a reason that is not listed here.
  { duplicate: true, superseded: true, reused: true, unissued: true } satisfies Record<ClaimRefusal, true>,
) as ClaimRefusal[];

/**
 * Reads the reason from the item a failed claim returned (ReturnValuesOnConditionCheckFailure
 * ALL_OLD), without a second read.
 */
export function claimRefusal(
  stored: { status?: string; sourceSequencer?: string } | undefined,
  upload: UploadRef,
): ClaimRefusal {
  // No record, or a PENDING one of another owner: the API issued no ticket for this object. A
  // record its owner is deleting (DELETING) has withdrawn its ticket: whatever arrives for it now,
  // even a replay of the upload form, is an object no ticket covers.
  if (
    stored?.status === undefined ||
    stored.status === 'PENDING' ||
    stored.status === 'DELETING' ||
    stored.sourceSequencer === undefined
  )
    return 'unissued';
  const ours = normaliseSequencer(upload.sequencer);
  if (stored.sourceSequencer === ours) return 'duplicate';
  return stored.sourceSequencer > ours ? 'superseded' : 'reused';
}

export const PIPELINE_ERROR = 'PIPELINE_ERROR';
export const PIPELINE_TIMEOUT = 'PIPELINE_TIMEOUT';
export const PIPELINE_ABORTED = 'PIPELINE_ABORTED';
/**
 * The sweeper's code: the media was still PROCESSING longer than any execution may run (the state
 * machine's timeout plus a margin), so its run ended without settling it and without a status-change
 * event the watcher could take (an Express run, an event lost in the watcher's dead-letter queue, a
 * claim made before the watcher existed). Re-drivable: the upload is still in uploads/.
 */
export const PIPELINE_STRANDED = 'PIPELINE_STRANDED';

/*
 * Settling what a run left behind. The ASL records every failure it catches; this write covers
 * what it cannot: an execution that ends FAILED, TIMED_OUT or ABORTED without reaching a terminal
 * write (the watcher, on Step Functions' status-change event).
 */

/** How an execution ended without settling its media, as Step Functions' status-change event says it. */
export const UNSETTLED_EXECUTION_STATUSES = ['FAILED', 'TIMED_OUT', 'ABORTED'] as const;
export type UnsettledExecutionStatus = (typeof UNSETTLED_EXECUTION_STATUSES)[number];

/** The error a media gets when its execution ended this way while still holding the claim. */
export function errorForExecutionStatus(status: UnsettledExecutionStatus): MediaError {
  const code = { FAILED: PIPELINE_ERROR, TIMED_OUT: PIPELINE_TIMEOUT, ABORTED: PIPELINE_ABORTED }[status];
  return { code, message: DEFAULT_MESSAGES[code] ?? '' };
}

/** The error the sweeper gives a media whose claim outlived every execution that could hold it. */
export function strandedClaimError(): MediaError {
  return { code: PIPELINE_STRANDED, message: DEFAULT_MESSAGES[PIPELINE_STRANDED] ?? '' };
}

/** Only the execution that still holds the claim may be settled by it: a late event never overwrites a newer run. */
export const SETTLE_CLAIM_CONDITION = '#status = :processing AND #claimedBy = :claimedBy';

/**
 * One claim, as the watcher or the sweeper knows it: the execution that took it (an execution ARN;
 * null for a claim taken without one) and, for the sweeper, when it was taken. The same execution
 * can take its claim again (a retried MarkProcessing, a run the twin restarted after a crash), which
 * dates it anew: `claimedAt` tells that newer claim from the one the sweeper found.
 */
export interface HeldClaim {
  claimedBy: string | null;
  claimedAt?: string;
}

/**
 * FAILED with `error`, if that same claim still holds the PROCESSING media (see
 * SETTLE_CLAIM_CONDITION; with `claimedAt`, also only the claim taken at that time). Removes the
 * media from the held-claim index.
 */
export function settleClaimUpdate(
  mediaId: string,
  claim: string | HeldClaim,
  error: MediaError,
  now: string,
): ConditionalUpdate {
  const { claimedBy, claimedAt } = typeof claim === 'string' ? { claimedBy: claim, claimedAt: undefined } : claim;
  // A claim taken without an execution id stores NULL, which only attribute_type matches.
  const holder =
    claimedBy === null ? '#status = :processing AND attribute_type(#claimedBy, :nullType)' : SETTLE_CLAIM_CONDITION;
  return {
    Key: { mediaId },
    UpdateExpression: `SET #status = :failed, #error = :error, #updatedAt = :now REMOVE ${LEAVE_CLAIM_INDEX}`,
    ConditionExpression: claimedAt === undefined ? holder : `${holder} AND ${CLAIMED_AT} = :claimedAt`,
    ExpressionAttributeNames: names(
      'status',
      'error',
      'updatedAt',
      'claimedBy',
      CLAIM_SHARD_ATTRIBUTE,
      CLAIMED_AT_ATTRIBUTE,
    ),
    ExpressionAttributeValues: {
      ':failed': 'FAILED' satisfies MediaStatus,
      ':error': error,
      ':now': now,
      ':processing': PROCESSING,
      ...(claimedBy === null ? { ':nullType': 'NULL' } : { ':claimedBy': claimedBy }),
      ...(claimedAt !== undefined ? { ':claimedAt': claimedAt } : {}),
    },
  };
}

const CODE_BY_NAME = new Map<string, string>(
  DOMAIN_ERRORS.map((ErrorClass) => [new ErrorClass('').name, new ErrorClass('').code]),
);
/** Errors about the user's upload: their own message is safe to show them. */
const UPLOADER_FAULTS = new Set<string>(
  DOMAIN_ERRORS.filter((ErrorClass) => ErrorClass.uploaderFault).map((ErrorClass) => new ErrorClass('').name),
);
/**
 * Whether a caught error is the uploader's fault, read as the ASL's WasUploadRejected reads it
 * (`$.failure.Error`): such a run then moves the upload to failed/ (DiscardFailedUpload).
 */
export function isUploaderFault(caught: { Error?: string }): boolean {
  return UPLOADER_FAULTS.has(caught.Error ?? '');
}
// Lambda refused the invocation until the retries ran out (account or reserved concurrency).
CODE_BY_NAME.set('Lambda.TooManyRequestsException', 'LAMBDA_THROTTLED');

/** What a user reads when the step's own message cannot or should not be shown, by code. */
const DEFAULT_MESSAGES: Record<string, string> = {
  ...Object.fromEntries(DOMAIN_ERRORS.map((ErrorClass) => [new ErrorClass('').code, ErrorClass.defaultMessage])),
  LAMBDA_THROTTLED: 'The pipeline was too busy to process this image; it can be processed again without a new upload.',
  [PIPELINE_TIMEOUT]: 'Processing took too long and was stopped.',
  [PIPELINE_ABORTED]: 'Processing was stopped before it finished; it can be processed again without a new upload.',
  [PIPELINE_STRANDED]:
    'Processing stopped without a result and was given up; it can be processed again without a new upload.',
  [PIPELINE_ERROR]: 'The media could not be processed because of an internal error.',
};

const MAX_MESSAGE_LENGTH = 300;

/**
 * Turns the `{Error, Cause}` that a Catch writes into the error stored on the record. Cause is the
 * JSON Lambda reports (`{errorType, errorMessage, trace}`) or, for States.* errors, plain text; it
 * is parsed defensively. The stack trace is never kept, and only the messages of the uploader's
 * faults are shown; anything else gets its class's default message (the details are in the logs).
 */
export function errorFromCatch(caught: { Error?: string; Cause?: string }): MediaError {
  const cause = parseCause(caught.Cause);
  const name = caught.Error ?? cause.errorType ?? '';
  const code = CODE_BY_NAME.get(name) ?? (/timeout|timedout/i.test(name) ? PIPELINE_TIMEOUT : PIPELINE_ERROR);
  const fallback = DEFAULT_MESSAGES[code] ?? DEFAULT_MESSAGES[PIPELINE_ERROR] ?? '';
  const message = UPLOADER_FAULTS.has(name) ? sanitiseMessage(cause.errorMessage) : undefined;
  return { code, message: message ?? fallback };
}

function parseCause(cause: string | undefined): { errorType?: string; errorMessage?: string } {
  if (cause === undefined || cause.trim() === '') return {};
  try {
    const parsed: unknown = JSON.parse(cause);
    if (typeof parsed !== 'object' || parsed === null) return {};
    const { errorType, errorMessage } = parsed as Record<string, unknown>;
    return {
      ...(typeof errorType === 'string' ? { errorType } : {}),
      ...(typeof errorMessage === 'string' ? { errorMessage } : {}),
    };
  } catch {
    // Not JSON (States.Timeout and friends write plain text): nothing structured to read.
    return {};
  }
}

function sanitiseMessage(message: string | undefined): string | undefined {
  const firstLine = message?.split('\n')[0]?.trim();
  if (firstLine === undefined || firstLine === '') return undefined;
  return firstLine.length > MAX_MESSAGE_LENGTH ? `${firstLine.slice(0, MAX_MESSAGE_LENGTH - 1)}…` : firstLine;
}
