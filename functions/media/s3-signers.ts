import { GetObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { DownloadSigner, PresignedUpload, UploadRequest, UploadSigner } from './ports';

/**
 * Presigned POST for browser uploads. Unlike a presigned PUT, its policy can bound the size
 * (`content-length-range`), and it pins the exact key and Content-Type, so a client cannot
 * upload elsewhere, as another type, or more bytes than it declared.
 */
export class S3UploadSigner implements UploadSigner {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
  ) {}

  async signUpload(request: UploadRequest): Promise<PresignedUpload> {
    const { url, fields } = await createPresignedPost(this.client, {
      Bucket: this.bucket,
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
    return { url, fields };
  }
}

/** Short-lived GET URLs for renditions under `derived/`. */
export class S3DownloadSigner implements DownloadSigner {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
  ) {}

  signDownload(key: string, expiresInSeconds: number): Promise<string> {
    return getSignedUrl(this.client, new GetObjectCommand({ Bucket: this.bucket, Key: key }), { expiresIn: expiresInSeconds });
  }
}
