/**
 * Domain errors. Their `name` is the error type Lambda reports and the ASL matches in
 * Retry/Catch `ErrorEquals`, so a name is a contract with statemachines/media-pipeline.asl.json.
 *
 * Each class states, once, whether it is the uploader's fault and what a user reads when its own
 * message cannot be shown. The uploader's faults are exactly what the ASL's WasUploadRejected
 * choice sends to UploadRejected (the run succeeds, the media ends FAILED with the error's own
 * message); every other error is a pipeline fault (the execution fails and alarms, and the record
 * keeps the default message: the details are in the logs). test/unit/shared/errors.test.ts holds
 * the ASL's list equal to {@link DOMAIN_ERRORS}' uploader faults.
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
  static readonly uploaderFault = true;
  static readonly defaultMessage = 'The file is not a JPEG, PNG or WebP image.';
  override readonly name = 'UnsupportedMediaError';
  readonly code = 'UNSUPPORTED_MEDIA';
}

/** The bytes claim to be an image but cannot be decoded (truncated, corrupt). Never retried. */
export class CorruptImageError extends DomainError {
  static readonly uploaderFault = true;
  static readonly defaultMessage = 'The image is damaged or incomplete and cannot be read.';
  override readonly name = 'CorruptImageError';
  readonly code = 'CORRUPT_IMAGE';
}

/** Too many bytes or pixels to decode safely. Never retried. */
export class ImageTooLargeError extends DomainError {
  static readonly uploaderFault = true;
  static readonly defaultMessage = 'The image is too large to process.';
  override readonly name = 'ImageTooLargeError';
  readonly code = 'IMAGE_TOO_LARGE';
}

/**
 * The object key is not `uploads/{ownerId}/{mediaId}`. Never retried. Keys are chosen by the server,
 * so such an object was not written with an upload form: not an uploader's fault, and no record
 * of theirs describes it.
 */
export class InvalidUploadKeyError extends DomainError {
  static readonly uploaderFault = false;
  static readonly defaultMessage = 'The upload is not where uploads are expected.';
  override readonly name = 'InvalidUploadKeyError';
  readonly code = 'INVALID_UPLOAD_KEY';
}

/**
 * The object under the upload's key is no longer the one its event described (its ETag changed):
 * it was overwritten after the event, for instance by a second POST with the same upload URL.
 * The pipeline only processes the bytes it claimed, so it stops rather than render others. Never retried.
 */
export class UploadChangedError extends DomainError {
  static readonly uploaderFault = true;
  static readonly defaultMessage =
    'The upload was replaced by another file before it could be processed; request a new upload URL for each file.';
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
  static readonly uploaderFault = true;
  static readonly defaultMessage = 'The upload was deleted before it could be processed.';
  override readonly name = 'UploadMissingError';
  readonly code = 'UPLOAD_MISSING';
}

/** Rekognition (or a local detector) throttled us. The ASL retries it with backoff and jitter. */
export class DetectorThrottledError extends DomainError {
  static readonly uploaderFault = false;
  static readonly defaultMessage = 'Image analysis was too busy to look at this image; please upload it again later.';
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
  static readonly uploaderFault = false;
  static readonly defaultMessage = 'The media could not be processed because of an internal error.';
  override readonly name = 'DetectorRefusedImageError';
  readonly code = 'DETECTOR_REFUSED_IMAGE';
}

/** DynamoDB throttled us. The ASL retries it with backoff and jitter. */
export class StoreThrottledError extends DomainError {
  static readonly uploaderFault = false;
  static readonly defaultMessage = 'The media store was too busy to record this image; please upload it again later.';
  override readonly name = 'StoreThrottledError';
  readonly code = 'STORE_THROTTLED';
}

/**
 * The step was invoked with an input that does not have the shape the ASL passes. A wiring bug,
 * not a user's fault: never retried, recorded as a pipeline error.
 */
export class MalformedEventError extends DomainError {
  static readonly uploaderFault = false;
  static readonly defaultMessage = 'The media could not be processed because of an internal error.';
  override readonly name = 'MalformedEventError';
  readonly code = 'MALFORMED_EVENT';
}

/** Every domain error class, once: its name, code, whether it is the uploader's fault, its default message. */
export const DOMAIN_ERRORS = [
  UnsupportedMediaError,
  CorruptImageError,
  ImageTooLargeError,
  InvalidUploadKeyError,
  UploadChangedError,
  UploadMissingError,
  DetectorThrottledError,
  DetectorRefusedImageError,
  StoreThrottledError,
  MalformedEventError,
] as const;

export type { DomainError };
export function isDomainError(error: unknown): error is DomainError {
  return error instanceof Error && 'code' in error && typeof (error as { code: unknown }).code === 'string';
}
