/**
 * The media core's signing ports. The S3 adapters live in s3-signers.ts; tests and the local
 * twin may pass any other implementation to `createHandler`. The media-record store is shared
 * with the articles function (../api/ports.ts).
 */

export interface PresignedUpload {
  url: string;
  fields: Record<string, string>;
  /** When the signed policy expires, exactly as signed (POST policies count in whole seconds). */
  expiresAt: Date;
}

export interface UploadRequest {
  key: string;
  contentType: string;
  /** Inclusive bounds of the policy's `content-length-range`. */
  minBytes: number;
  maxBytes: number;
  expiresInSeconds: number;
}

/** Issues a browser-form POST whose policy pins the key, the Content-Type and the size range. */
export interface UploadSigner {
  signUpload(request: UploadRequest): Promise<PresignedUpload>;
}

/** Issues a short-lived GET URL for a derived object. */
export interface DownloadSigner {
  signDownload(key: string, expiresInSeconds: number): Promise<string>;
}
