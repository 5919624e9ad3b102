import { GetObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { DownloadSigner, PresignedUpload, UploadRequest, UploadSigner } from './ports';

/**
 * The S3 adapters of the signing ports, over the SDK's own presigners and an S3 client (on Lambda
 * the shared client of ../shared/s3-client.ts: the role's credentials, the region, and in the
 * twin the emulator's endpoint, path-style). Signing is local computation: no request is sent.
 */

export interface S3SignerOptions {
  s3: S3Client;
  bucket: string;
}

/**
 * Presigned POST for browser uploads. Unlike a presigned PUT, its policy can bound the size
 * (`content-length-range`), and it pins the exact key and Content-Type, so a client cannot
 * upload elsewhere, as another type, or more bytes than it declared.
 */
export class S3UploadSigner implements UploadSigner {
  constructor(private readonly options: S3SignerOptions) {}

  async signUpload(request: UploadRequest): Promise<PresignedUpload> {
    const { url, fields } = await createPresignedPost(this.options.s3, {
      Bucket: this.options.bucket,
      Key: request.key,
      Conditions: [
        ['eq', '$key', request.key],
        ['eq', '$Content-Type', request.contentType],
        ['content-length-range', request.minBytes, request.maxBytes],
      ],
      // Returned to the client as form fields, so it sends exactly what the policy expects.
      Fields: { 'Content-Type': request.contentType },
      Expires: request.expiresInSeconds,
    });
    return { url, fields, expiresAt: signedExpiration(fields.Policy) };
  }
}

/** The policy's own `expiration`: what S3 enforces (whole seconds), not a second reading of the clock. */
function signedExpiration(policy: string | undefined): Date {
  const { expiration } = JSON.parse(Buffer.from(policy ?? '', 'base64').toString('utf8')) as { expiration: string };
  return new Date(expiration);
}

/** Short-lived GET URLs for renditions under `derived/`. */
export class S3DownloadSigner implements DownloadSigner {
  constructor(private readonly options: S3SignerOptions) {}

  signDownload(key: string, expiresInSeconds: number): Promise<string> {
    return getSignedUrl(this.options.s3, new GetObjectCommand({ Bucket: this.options.bucket, Key: key }), {
      expiresIn: expiresInSeconds,
    });
  }
}
