/**
 * Domain errors. Their `name` is the error type Lambda reports and the ASL matches in
 * Retry/Catch `ErrorEquals`, so a name is a contract with statemachines/media-pipeline.asl.json.
 */
abstract class DomainError extends Error {
  /** Stable machine-readable code, stored on FAILED media records. */
  abstract readonly code: string;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The bytes are not an image type the pipeline accepts (whatever was declared). Never retried. */
export class UnsupportedMediaError extends DomainError {
  readonly code = 'UNSUPPORTED_MEDIA';
}

/** The bytes claim to be an image but cannot be decoded (truncated, corrupt). Never retried. */
export class CorruptImageError extends DomainError {
  readonly code = 'CORRUPT_IMAGE';
}

/** Too many bytes or pixels to decode safely. Never retried. */
export class ImageTooLargeError extends DomainError {
  readonly code = 'IMAGE_TOO_LARGE';
}

/** The object key is not `uploads/{ownerId}/{mediaId}`. Never retried. */
export class InvalidUploadKeyError extends DomainError {
  readonly code = 'INVALID_UPLOAD_KEY';
}

/** Rekognition (or a local detector) throttled us. The ASL retries it with backoff and jitter. */
export class DetectorThrottledError extends DomainError {
  readonly code = 'DETECTOR_THROTTLED';
}

/** DynamoDB throttled us. The ASL retries it with backoff and jitter. */
export class StoreThrottledError extends DomainError {
  readonly code = 'STORE_THROTTLED';
}

export type { DomainError };
export function isDomainError(error: unknown): error is DomainError {
  return error instanceof Error && 'code' in error && typeof (error as { code: unknown }).code === 'string';
}
