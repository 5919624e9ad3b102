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

/** The objects of one media, as the erasure finds them. */
export interface MediaObjectsRef {
  ownerId: string;
  mediaId: string;
}

/**
 * Erases every object of one media from the bucket: the original under uploads/ and everything
 * under derived/{mediaId}/ (renditions of every run, the analysis image), every version of each,
 * delete markers included. Running it again after a crash finishes what is left.
 */
export interface MediaObjectEraser {
  /** @returns how many object versions were deleted (0 when nothing was left). */
  erase(ref: MediaObjectsRef): Promise<number>;
}
