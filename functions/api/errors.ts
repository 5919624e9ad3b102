/**
 * Errors the REST API answers with, from the articles and the media function alike. Each carries
 * the HTTP status and the stable `code` of the contract's error shape `{"error": {"code",
 * "message"}}` (docs/design.md "REST API"), so the core can say *what* went wrong and the handler
 * needs no table to say *how* to answer.
 * Messages are written for API clients: they name the offending field and never echo internals.
 */
export abstract class ApiError extends Error {
  abstract readonly status: number;
  abstract readonly code: string;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A request input is invalid; the message starts with the field name (`title: ...`). */
export class ValidationError extends ApiError {
  readonly status = 400;
  readonly code = 'VALIDATION_ERROR';
  constructor(
    /** The first field at fault. */
    readonly field: string,
    problem: string,
    /** Replaces the message when several fields are reported, each already named. */
    message?: string,
  ) {
    super(message ?? `${field}: ${problem}`);
  }
}

export class UnauthorizedError extends ApiError {
  readonly status = 401;
  readonly code = 'UNAUTHORIZED';
}

export class ForbiddenError extends ApiError {
  readonly status = 403;
  readonly code = 'FORBIDDEN';
}

export class NotFoundError extends ApiError {
  readonly status = 404;
  readonly code = 'NOT_FOUND';
}

/** The resource is in a state that does not allow the request yet (e.g. media still being processed). */
export class ConflictError extends ApiError {
  readonly status = 409;
  readonly code = 'CONFLICT';
}

export class MethodNotAllowedError extends ApiError {
  readonly status = 405;
  readonly code = 'METHOD_NOT_ALLOWED';
  constructor(
    message: string,
    /** Methods the resource does support, for the `Allow` response header. */
    readonly allowed: readonly string[],
  ) {
    super(message);
  }
}

export class PayloadTooLargeError extends ApiError {
  readonly status = 413;
  readonly code = 'PAYLOAD_TOO_LARGE';
}

export class UnsupportedMediaTypeError extends ApiError {
  readonly status = 415;
  readonly code = 'UNSUPPORTED_MEDIA_TYPE';
}

/**
 * The caller used up today's uploads (POST /media/uploads). Every upload costs two Rekognition
 * calls, so the count per owner and UTC day is bounded; `retryAfterSeconds` becomes the
 * `Retry-After` header, counted to the moment the quota resets.
 */
export class UploadQuotaExceededError extends ApiError {
  readonly status = 429;
  readonly code = 'UPLOAD_QUOTA_EXCEEDED';
  constructor(
    message: string,
    /** Whole seconds until the quota resets, at least 1. */
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}
