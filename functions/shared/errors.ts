/**
 * Domain errors. Their `name` is the error type Lambda reports and the ASL matches in
 * Retry/Catch `ErrorEquals`, so a name is a contract with statemachines/media-pipeline.asl.json.
 */
abstract class DomainError extends Error {
  /**
   * Spelled out in every class rather than read from the constructor: a minifying bundler may
   * rename classes, and this string must survive bundling unchanged.
   */
  abstract override readonly name: string;
  /** Stable machine-readable code, stored on FAILED media records. */
  abstract readonly code: string;
}

/** The bytes are not an image type the pipeline accepts (whatever was declared). Never retried. */
export class UnsupportedMediaError extends DomainError {
  override readonly name = 'UnsupportedMediaError';
  readonly code = 'UNSUPPORTED_MEDIA';
}

/** The bytes claim to be an image but cannot be decoded (truncated, corrupt). Never retried. */
export class CorruptImageError extends DomainError {
  override readonly name = 'CorruptImageError';
  readonly code = 'CORRUPT_IMAGE';
}

/** Too many bytes or pixels to decode safely. Never retried. */
export class ImageTooLargeError extends DomainError {
  override readonly name = 'ImageTooLargeError';
  readonly code = 'IMAGE_TOO_LARGE';
}

/** The object key is not `uploads/{ownerId}/{mediaId}`. Never retried. */
export class InvalidUploadKeyError extends DomainError {
  override readonly name = 'InvalidUploadKeyError';
  readonly code = 'INVALID_UPLOAD_KEY';
}

/**
 * The object under the upload's key is no longer the one its event described (its ETag changed):
 * it was overwritten after the event, for instance by a second POST with the same upload URL.
 * The pipeline only processes the bytes it claimed, so it stops rather than render others. Never retried.
 */
export class UploadChangedError extends DomainError {
  override readonly name = 'UploadChangedError';
  readonly code = 'UPLOAD_CHANGED';
}

/**
 * The upload was deleted after its event and before it could be read: S3 answered NoSuchKey.
 * Never retried. On AWS, S3 says NoSuchKey only to a caller that may also s3:ListBucket, which
 * the thumbnail role deliberately may not (it would let it list every upload); there a deleted
 * upload is a 403 AccessDenied, indistinguishable from a permission fault, and the run ends as a
 * pipeline fault (FAILED PIPELINE_ERROR, execution failed, alarm). Uploads are never deleted by
 * the product itself, only by an operator.
 */
export class UploadMissingError extends DomainError {
  override readonly name = 'UploadMissingError';
  readonly code = 'UPLOAD_MISSING';
}

/** Rekognition (or a local detector) throttled us. The ASL retries it with backoff and jitter. */
export class DetectorThrottledError extends DomainError {
  override readonly name = 'DetectorThrottledError';
  readonly code = 'DETECTOR_THROTTLED';
}

/**
 * Rekognition refused the analysis JPEG. That image is the pipeline's own (a JPEG the thumbnail
 * step encoded within Rekognition's documented format, size and resolution limits, under
 * derived/), so a refusal is a deployment fault, not the uploader's: Rekognition reads S3 with the
 * caller's role, and a missing s3:GetObject, a key policy, a bucket in another region or a changed
 * limit all look like this. Never retried; the execution fails, which alarms.
 */
export class DetectorRefusedImageError extends DomainError {
  override readonly name = 'DetectorRefusedImageError';
  readonly code = 'DETECTOR_REFUSED_IMAGE';
}

/** DynamoDB throttled us. The ASL retries it with backoff and jitter. */
export class StoreThrottledError extends DomainError {
  override readonly name = 'StoreThrottledError';
  readonly code = 'STORE_THROTTLED';
}

/**
 * The step was invoked with an input that does not have the shape the ASL passes. A wiring bug,
 * not a user's fault: never retried, recorded as a pipeline error.
 */
export class MalformedEventError extends DomainError {
  override readonly name = 'MalformedEventError';
  readonly code = 'MALFORMED_EVENT';
}

export type { DomainError };
export function isDomainError(error: unknown): error is DomainError {
  return error instanceof Error && 'code' in error && typeof (error as { code: unknown }).code === 'string';
}
