/*
 * One client per service, created lazily once per execution environment and traced by X-Ray.
 * Endpoints follow the SDK's own settings (AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL_DYNAMODB), which is
 * how the local twin points the very same code at its emulators.
 *
 * Each client lives in a module of its own, and handlers import that module directly: an SDK
 * client package cannot be tree-shaken out of a bundle once imported, so a single module holding
 * all three would put DynamoDB and S3 into the Rekognition functions (and their cold starts).
 * This file gathers them for code that is not bundled per function (tests, the local twin).
 */
export { documentClient } from './dynamodb-client';
export { rekognitionClient } from './rekognition-client';
export { s3Client } from './s3-client';
