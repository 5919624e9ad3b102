import { S3Client } from '@aws-sdk/client-s3';
import { tracer } from './powertools';

// A module per client, so a bundle carries only the clients its handler imports. Endpoints follow
// the SDK's AWS_ENDPOINT_URL_* settings: that is how the local twin points this code at emulators.

let s3: S3Client | undefined;

/** The S3 client of this execution environment, created on first use and traced by X-Ray. */
export function s3Client(): S3Client {
  s3 ??= tracer.captureAWSv3Client(
    new S3Client({
      // Only the local S3 emulator needs path-style addressing; real S3 prefers virtual-hosted.
      forcePathStyle: process.env.AWS_ENDPOINT_URL_S3 !== undefined,
      // Streamed bodies with flexible checksums would be stored aws-chunked by emulators; only send them when required.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    }),
  );
  return s3;
}
