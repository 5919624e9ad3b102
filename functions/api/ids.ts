/**
 * Media and article ids: what `crypto.randomUUID()` produces, within the upload-key alphabet
 * (`uploads/{ownerId}/{mediaId}`). Caller ids (Cognito `sub`) must match it too, because they
 * become part of S3 keys.
 */
export const ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;

/** What a client is told when an id does not match {@link ID_PATTERN}. */
export const ID_RULE = 'must be 1 to 128 letters, digits, "-" or "_"';
