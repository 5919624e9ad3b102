import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { EMULATOR_ACCESS_KEY_ID, EMULATOR_SECRET_ACCESS_KEY } from '../../../local/settings';
import type { Twin } from '../../../local/twin';
import * as api from '../../../smoke/api-client';
import { send } from '../../../smoke/http';
import { photoJpeg } from '../../../smoke/images';

/**
 * The e2e tests' view of a running twin: the same REST API client the smoke command uses
 * (smoke/api-client.ts), addressed by the twin instead of a URL, plus what only a twin has.
 */

export type { JsonResponse, MediaView, UploadTicket } from '../../../smoke/api-client';
export { photoJpeg, sentinelJpeg } from '../../../smoke/images';
export { postToPresignedUrl } from '../../../smoke/api-client';

export function requestJson<T = Record<string, unknown>>(
  twin: Twin,
  method: string,
  path: string,
  options: api.RequestOptions = {},
): Promise<api.JsonResponse<T>> {
  return api.requestJson<T>(twin.apiUrl, method, path, options);
}

export function tokenFor(twin: Twin, userId: string): Promise<string> {
  return api.localToken(twin.apiUrl, userId);
}

export function presign(
  twin: Twin,
  token: string,
  contentType: string,
  contentLength: number,
): Promise<api.UploadTicket> {
  return api.presign(twin.apiUrl, token, contentType, contentLength);
}

/** Presign + upload in one go; returns the media id. */
export function upload(twin: Twin, token: string, bytes: Buffer, contentType = 'image/jpeg'): Promise<string> {
  return api.upload(twin.apiUrl, token, bytes, contentType);
}

/** Polls GET /media/{id} until a terminal status (or the timeout). */
export function waitForTerminal(twin: Twin, mediaId: string, timeoutMs = 20_000): Promise<api.MediaView> {
  return api.waitForTerminal(twin.apiUrl, mediaId, { timeoutMs });
}

export async function health(twin: Twin): Promise<number> {
  return (await send(twin.healthUrl)).status;
}

/** An S3 client on the twin's S3 emulator, for what a test does behind the API's back. */
export function twinS3Client(twin: Twin): S3Client {
  return new S3Client({
    region: twin.region,
    endpoint: twin.s3Endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: EMULATOR_ACCESS_KEY_ID, secretAccessKey: EMULATOR_SECRET_ACCESS_KEY },
  });
}

/** Writes a small JPEG to `key` in the twin's bucket with the S3 API, behind the API's back (no upload ticket). */
export async function putPhotoWithS3(twin: Twin, s3: S3Client, key: string): Promise<void> {
  await s3.send(
    new PutObjectCommand({
      Bucket: twin.bucketName,
      Key: key,
      Body: await photoJpeg(64, 64),
      ContentType: 'image/jpeg',
    }),
  );
}
