import { S3Client } from '@aws-sdk/client-s3';
import type { S3ClientConfig } from '@aws-sdk/client-s3';
import { tracer } from './powertools';

// A module per client, so a bundle carries only the clients its handler imports. Endpoints follow
// the SDK's AWS_ENDPOINT_URL_* settings: that is how the local twin points this code at emulators.

let s3: S3Client | undefined;

/**
 * A new S3 client as this code configures them, traced by X-Ray; `overrides` for what one caller
 * needs otherwise (the local twin gives a signing function its own credentials).
 */
export function newS3Client(overrides: Pick<S3ClientConfig, 'credentials'> = {}): S3Client {
  return tracer.captureAWSv3Client(
    new S3Client({
      // Only the local S3 emulator needs path-style addressing; real S3 prefers virtual-hosted.
      forcePathStyle: process.env.AWS_ENDPOINT_URL_S3 !== undefined,
      // Streamed bodies with flexible checksums would be stored aws-chunked by emulators; only send them when required.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      ...overrides,
    }),
  );
}

/** The S3 client of this execution environment, created on first use. */
export function s3Client(): S3Client {
  s3 ??= newS3Client();
  return s3;
}
