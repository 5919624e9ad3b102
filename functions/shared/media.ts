/**
 * The media record and the payloads that flow between the pipeline steps.
 * The ASL in statemachines/media-pipeline.asl.json moves these shapes between states;
 * docs/design.md "Media record" is the contract for MediaRecord.
 */

/**
 * EXPIRED is what a PENDING ticket shows once its upload form expired (plus TICKET_UPLOAD_GRACE_SECONDS)
 * without an upload; DynamoDB TTL then removes it (TICKET_REMOVE_AT_ATTRIBUTE).
 * DELETING: the owner asked for erasure (DELETE /media/{id}); the record is no longer served and
 * stays only until every object of the media is gone, so an interrupted erasure can be finished.
 */
export const MEDIA_STATUSES = ['PENDING', 'PROCESSING', 'READY', 'REJECTED', 'FAILED', 'EXPIRED', 'DELETING'] as const;
export type MediaStatus = (typeof MEDIA_STATUSES)[number];
export const TERMINAL_STATUSES: readonly MediaStatus[] = ['READY', 'REJECTED', 'FAILED', 'EXPIRED'];

/*
 * Upload tickets expire. POST /media/uploads writes the PENDING record with the expiry of the form it
 * hands out (`uploadExpiresAt`: the media function's uploadUrlTtlSeconds, the one place it is set)
 * and a TTL (`removeAt`), which the claim removes. S3 refuses the form after its expiry; an upload
 * sent just before may still be arriving, so a ticket ends only TICKET_UPLOAD_GRACE_SECONDS later:
 * GET /media/{id} then shows it EXPIRED, MarkProcessing refuses an upload S3 stored after that (as
 * an unissued one), and TTL removes the record EXPIRED_TICKET_KEPT_SECONDS after its form expired.
 */
export const TICKET_UPLOAD_GRACE_SECONDS = 15 * 60;
/** How long an expired ticket stays readable (as EXPIRED) before DynamoDB TTL removes it. */
export const EXPIRED_TICKET_KEPT_SECONDS = 7 * 24 * 60 * 60;
/** The media table's TTL attribute (epoch seconds); only an unclaimed ticket carries it. */
export const TICKET_REMOVE_AT_ATTRIBUTE = 'removeAt';

/*
 * Held claims are indexed sparsely: the claim (MarkProcessing) sets `claimShard` and `claimedAt`,
 * and every write that settles the media (RecordResult, RecordFailure, the watcher, the sweeper)
 * removes both, so the `byClaimAge` index holds exactly the media that are PROCESSING, oldest claim
 * first. The sweeper finds claims older than the state machine's timeout with one Query per shard,
 * never a Scan. The shard spreads claims over a few index partitions, so a burst of claims never
 * writes one partition faster than DynamoDB takes (about 1,000 writes a second each).
 */
export const CLAIM_INDEX_NAME = 'byClaimAge';
/** Index partition key: the claim's shard, a number from 0 to CLAIM_SHARDS - 1 taken from the media id. */
export const CLAIM_SHARD_ATTRIBUTE = 'claimShard';
/** Index sort key: when the claim was taken (ISO 8601 UTC, so it sorts by time). */
export const CLAIMED_AT_ATTRIBUTE = 'claimedAt';
export const CLAIM_SHARDS = 4;

/** The index shard of a media's claim: the same for every claim of that media. */
export function claimShardOf(mediaId: string): number {
  let hash = 0;
  for (const char of mediaId) hash = (hash * 31 + (char.codePointAt(0) ?? 0)) % 1_000_003;
  return hash % CLAIM_SHARDS;
}

/** When a ticket whose form expires at `uploadExpiresAt` ends: no upload stored after this is taken. */
export function ticketEndsAt(uploadExpiresAt: string): Date {
  return new Date(Date.parse(uploadExpiresAt) + TICKET_UPLOAD_GRACE_SECONDS * 1000);
}

/**
 * The status a record shows at `now`: its stored status, except a PENDING ticket past its end,
 * which is EXPIRED (never stored: DynamoDB TTL removes the record later).
 */
export function statusAt(record: { status: MediaStatus; uploadExpiresAt?: string }, now: Date): MediaStatus {
  return record.status === 'PENDING' &&
    record.uploadExpiresAt !== undefined &&
    now >= ticketEndsAt(record.uploadExpiresAt)
    ? 'EXPIRED'
    : record.status;
}

/**
 * The image formats the pipeline takes, each with its Content-Type: the media function issues
 * upload forms for these types only, the thumbnail step accepts the bytes of these formats only
 * (whatever the declared type), and the front end's file picker offers them.
 */
export const IMAGE_CONTENT_TYPES = { jpeg: 'image/jpeg', png: 'image/png', webp: 'image/webp' } as const;
export type ImageFormat = keyof typeof IMAGE_CONTENT_TYPES;

/** Where uploads land; the EventBridge rule matches only this prefix. */
export const UPLOAD_PREFIX = 'uploads/';
/** Where the pipeline writes; never under UPLOAD_PREFIX, so the pipeline cannot trigger itself. */
export const DERIVED_PREFIX = 'derived/';
/**
 * Where the original of REJECTED media is moved (the takedown step): no API role may read it, and
 * a lifecycle rule expires it after the configured quarantine days (kept for review or appeal).
 */
export const QUARANTINE_PREFIX = 'quarantine/';
/** Where the original of FAILED media is moved; a lifecycle rule expires it after the configured days. */
export const FAILED_PREFIX = 'failed/';

export interface OriginalImage {
  key: string;
  bytes: number;
  /** The type found in the bytes, not the one the client declared. */
  contentType: string;
  width: number;
  height: number;
}

export interface Rendition {
  name: string;
  width: number;
  height: number;
  format: 'webp' | 'jpeg';
  key: string;
  bytes: number;
}

export interface Label {
  name: string;
  confidence: number;
  parents: string[];
}

export interface ModerationLabel {
  name: string;
  parentName: string;
  confidence: number;
}

export type ModerationVerdict = 'APPROVED' | 'REJECTED';

export interface ModerationResult {
  verdict: ModerationVerdict;
  labels: ModerationLabel[];
}

export interface MediaError {
  code: string;
  message: string;
}

export interface MediaRecord {
  mediaId: string;
  ownerId: string;
  status: MediaStatus;
  original?: OriginalImage;
  renditions?: Rendition[];
  labels?: Label[];
  moderation?: ModerationResult;
  error?: MediaError;
  /** Zero-padded S3 sequencer of the object version this record describes; orders late and duplicate runs. */
  sourceSequencer?: string;
  sourceEtag?: string;
  /** Set by `npm run redrive` on FAILED media: the one execution that may claim the record again. */
  redriveBy?: string;
  /** How often the media was re-driven. */
  redriveCount?: number;
  /** PENDING tickets: when their upload form expires (ISO 8601). */
  uploadExpiresAt?: string;
  /** The execution holding the claim (its ARN), set by MarkProcessing. */
  claimedBy?: string | null;
  /** While PROCESSING only: when the claim was taken (the `byClaimAge` index's sort key). */
  claimedAt?: string;
  /** While PROCESSING only: the claim's index shard (CLAIM_SHARD_ATTRIBUTE). */
  claimShard?: number;
  createdAt: string;
  updatedAt: string;
}

/** `$.upload` in the state machine: built by DescribeUpload (or DescribeVersionedUpload) from the EventBridge event. */
export interface UploadRef {
  bucket: string;
  key: string;
  size: number;
  etag: string;
  sequencer: string;
  /** When S3 stored the object (the event's `time`, ISO 8601). */
  time?: string;
  /** The object's version id, only in a versioned bucket (DescribeVersionedUpload). */
  versionId?: string;
}

/** An object the detectors read: the analysis JPEG written by the thumbnail step. */
export interface ImageRef {
  bucket: string;
  key: string;
}

/** Output of CreateThumbnails (`$.thumbnail`). */
export interface ThumbnailResult {
  mediaId: string;
  ownerId: string;
  original: OriginalImage;
  renditions: Rendition[];
  analysis: ImageRef & { width: number; height: number; bytes: number };
}

/** Output of DetectLabels. */
export interface LabelsResult {
  labels: Label[];
}

/** Output of Moderate. */
export type ModerateResult = ModerationResult;

/** Input of the record function, one variant per ASL state that calls it. */
export type RecordCommand =
  | {
      action: 'processing';
      upload: UploadRef;
      /** `$$.Execution.Id`: lets the claiming execution retry its claim. */ executionId?: string;
    }
  | {
      action: 'complete';
      upload: UploadRef;
      thumbnail: ThumbnailResult;
      labels: LabelsResult;
      moderation: ModerateResult;
    }
  | {
      action: 'failure';
      upload: UploadRef;
      /** `$$.Execution.Id`: only the execution that holds the claim may fail the media. */ executionId?: string;
      /** The Catch result: `{ Error, Cause }` as Step Functions writes it. */
      error: { Error?: string; Cause?: string };
    };

/** Output of MarkProcessing (`$.claim`). */
export interface ClaimResult {
  proceed: boolean;
  mediaId: string;
  /**
   * duplicate: this object version was already claimed; superseded: a newer version was; reused: a
   * second upload with a ticket that was already used (in a versioned bucket the run then deletes
   * exactly that object version: RemoveReusedUpload); unissued: no upload ticket (PENDING record
   * of this owner) exists for the key, e.g. its media was deleted (or is being deleted) before
   * the upload arrived. The run then removes the object (RemoveUnissuedUpload).
   */
  reason?: 'duplicate' | 'superseded' | 'reused' | 'unissued';
}

const UPLOAD_KEY = /^uploads\/([A-Za-z0-9_-]{1,128})\/([A-Za-z0-9_-]{1,128})$/;

/**
 * Reads owner and media id from `uploads/{ownerId}/{mediaId}`. Keys are chosen by the server
 * (POST /media/uploads) from safe characters, so no URL-decoding question arises.
 * @returns undefined when the key does not have that shape.
 */
export function parseUploadKey(key: string): { ownerId: string; mediaId: string } | undefined {
  const match = UPLOAD_KEY.exec(key);
  if (!match || match[1] === undefined || match[2] === undefined) return undefined;
  return { ownerId: match[1], mediaId: match[2] };
}

export function uploadKeyFor(ownerId: string, mediaId: string): string {
  return `${UPLOAD_PREFIX}${ownerId}/${mediaId}`;
}

/** Every derived object of a media (all runs' renditions and analysis images) is under this prefix. */
export function derivedPrefixFor(mediaId: string): string {
  return `${DERIVED_PREFIX}${mediaId}/`;
}

/** Where the takedown step moves the original of REJECTED media. */
export function quarantineKeyFor(ownerId: string, mediaId: string): string {
  return `${QUARANTINE_PREFIX}${ownerId}/${mediaId}`;
}

/** Where the takedown step moves the original of FAILED media. */
export function failedKeyFor(ownerId: string, mediaId: string): string {
  return `${FAILED_PREFIX}${ownerId}/${mediaId}`;
}

export function derivedKeyFor(mediaId: string, fileName: string): string {
  return `${DERIVED_PREFIX}${mediaId}/${fileName}`;
}

/**
 * S3 sequencers are hex strings of varying length; AWS documents comparing them after
 * left-padding the shorter with zeros. Stored padded, they compare as plain strings.
 */
export function normaliseSequencer(sequencer: string): string {
  return sequencer.toUpperCase().padStart(32, '0');
}
