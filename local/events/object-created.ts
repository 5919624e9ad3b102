import { randomUUID } from 'node:crypto';

/** One record of the S3-notification-shaped payload that s3rver emits on its `event` emitter. */
export interface S3rverRecord {
  eventName: string;
  eventTime: string;
  requestParameters?: { sourceIPAddress?: string };
  responseElements?: { 'x-amz-request-id'?: string };
  s3: {
    bucket: { name: string };
    object: { key: string; size?: number; eTag?: string; versionId?: string };
  };
}

/** What the twin saw of the HTTP request that created the object (s3rver cannot tell Post from CompleteMultipartUpload). */
export interface S3RequestInfo {
  method: string;
  url: string;
}

/** EventBridge "Object Created" event, as in events/samples/object-created.json. */
export interface ObjectCreatedEvent {
  version: '0';
  id: string;
  'detail-type': 'Object Created';
  source: 'aws.s3';
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: {
    version: '0';
    bucket: { name: string };
    /** `version-id`: only in a versioned bucket (the twin's keeps no versions, as an unversioned bucket). */
    object: { key: string; size: number; etag: string; 'version-id'?: string; sequencer: string };
    'request-id': string;
    requester: string;
    'source-ip-address': string;
    reason: 'PutObject' | 'PostObject' | 'CopyObject' | 'CompleteMultipartUpload';
  };
}

/**
 * S3 sequencers order the events of one key. s3rver's are millisecond timestamps (two writes in
 * one millisecond tie), so the twin issues its own: time in the high bits (later starts with
 * --data-dir still sort after earlier ones) and a counter in the low bits, so every sequencer is
 * strictly greater than the one before, for any key.
 */
export class SequencerClock {
  private last = 0n;

  next(): string {
    const candidate = BigInt(Date.now()) << 20n;
    this.last = candidate > this.last ? candidate : this.last + 1n;
    return this.last.toString(16).toUpperCase().padStart(18, '0');
  }
}

function reasonFor(
  record: S3rverRecord,
  request: S3RequestInfo | undefined,
): ObjectCreatedEvent['detail']['reason'] | undefined {
  switch (record.eventName) {
    case 'ObjectCreated:Put':
      return 'PutObject';
    case 'ObjectCreated:Copy':
      return 'CopyObject';
    case 'ObjectCreated:Post':
      // s3rver reports CompleteMultipartUpload as a Post too; the request (POST ?uploadId=) tells them apart.
      return request !== undefined && /[?&]uploadId=/.test(request.url) ? 'CompleteMultipartUpload' : 'PostObject';
    default:
      return undefined;
  }
}

/**
 * Converts an s3rver record to the EventBridge event S3 would send, or undefined for anything that
 * is not an object creation (deletes are not routed by this app).
 *
 * Key encoding: classic S3 notifications URL-encode the key ("red flower.jpg" -> "red+flower.jpg"),
 * but the EventBridge "Object Created" events that this app's rule receives carry the key as
 * stored, in AWS's documented samples. s3rver's keys are already unencoded, so they are passed
 * through untouched; the pipeline (parseUploadKey) only accepts server-chosen safe characters anyway.
 */
export function toObjectCreatedEvent(
  record: S3rverRecord,
  options: { region: string; account: string; sequencer: string; request?: S3RequestInfo; now?: Date },
): ObjectCreatedEvent | undefined {
  const reason = reasonFor(record, options.request);
  if (reason === undefined) return undefined;
  const bucket = record.s3.bucket.name;
  const time = (options.now ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Object Created',
    source: 'aws.s3',
    account: options.account,
    time,
    region: options.region,
    resources: [`arn:aws:s3:::${bucket}`],
    detail: {
      version: '0',
      bucket: { name: bucket },
      object: {
        key: record.s3.object.key,
        size: record.s3.object.size ?? 0,
        etag: record.s3.object.eTag ?? '',
        // S3 names the version only when the bucket keeps versions; the pipeline deletes exactly
        // that version of a reused upload, and nothing without one.
        ...(record.s3.object.versionId !== undefined ? { 'version-id': record.s3.object.versionId } : {}),
        sequencer: options.sequencer,
      },
      'request-id':
        record.responseElements?.['x-amz-request-id'] ?? randomUUID().replace(/-/g, '').slice(0, 16).toUpperCase(),
      requester: options.account,
      'source-ip-address': (record.requestParameters?.sourceIPAddress ?? '127.0.0.1').replace(/^::ffff:/, ''),
      reason,
    },
  };
}
