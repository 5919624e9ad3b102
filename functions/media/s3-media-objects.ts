import { DeleteObjectsCommand, ListObjectVersionsCommand } from '@aws-sdk/client-s3';
import type { ListObjectVersionsCommandOutput, S3Client } from '@aws-sdk/client-s3';
import { derivedPrefixFor, failedKeyFor, uploadKeyFor } from '../shared/media';
import type { MediaObjectEraser, MediaObjectsRef } from './ports';

/** DeleteObjects takes at most 1,000 keys per request. */
const DELETE_BATCH = 1000;

interface ObjectVersion {
  Key: string;
  VersionId: string;
}

/**
 * Real erasure in a versioned bucket: a plain DeleteObject would only add a delete marker and
 * keep every byte as a noncurrent version. So each version (and delete marker) under the media's
 * keys is listed with ListObjectVersions and deleted by its version id. In a bucket that was never
 * versioned S3 lists each object once with version id "null", and deleting that version deletes
 * the object, so the same code erases there too.
 *
 * The role may list versions only under uploads/, derived/ and failed/ (an s3:prefix condition)
 * and delete versions only there; the keys come from the record, never from the caller. A REJECTED
 * media's original in quarantine/ is not the owner's to erase: it expires (README "Data").
 */
export class S3MediaObjectEraser implements MediaObjectEraser {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  async erase(ref: MediaObjectsRef): Promise<number> {
    const versions: ObjectVersion[] = [];
    // The original, where it was uploaded and where a bad upload is moved (failed/). Its key is a
    // prefix of no other media's key only with the exact-key filter: uploads/alice/m1 is also the
    // start of uploads/alice/m10.
    for (const original of [uploadKeyFor(ref.ownerId, ref.mediaId), failedKeyFor(ref.ownerId, ref.mediaId)]) {
      versions.push(...(await this.versionsUnder(original)).filter((version) => version.Key === original));
    }
    versions.push(...(await this.versionsUnder(derivedPrefixFor(ref.mediaId))));
    for (let start = 0; start < versions.length; start += DELETE_BATCH) {
      await this.deleteVersions(versions.slice(start, start + DELETE_BATCH));
    }
    return versions.length;
  }

  private async versionsUnder(prefix: string): Promise<ObjectVersion[]> {
    const found: ObjectVersion[] = [];
    let keyMarker: string | undefined;
    let versionIdMarker: string | undefined;
    for (;;) {
      const page: ListObjectVersionsCommandOutput = await this.s3.send(
        new ListObjectVersionsCommand({
          Bucket: this.bucket,
          Prefix: prefix,
          ...(keyMarker !== undefined ? { KeyMarker: keyMarker } : {}),
          ...(versionIdMarker !== undefined ? { VersionIdMarker: versionIdMarker } : {}),
        }),
      );
      for (const entry of [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])]) {
        if (entry.Key !== undefined) found.push({ Key: entry.Key, VersionId: entry.VersionId ?? 'null' });
      }
      if (page.IsTruncated !== true) return found;
      keyMarker = page.NextKeyMarker;
      versionIdMarker = page.NextVersionIdMarker;
      if (keyMarker === undefined)
        throw new Error(`ListObjectVersions under ${prefix} was truncated without a next key marker`);
    }
  }

  private async deleteVersions(versions: ObjectVersion[]): Promise<void> {
    const result = await this.s3.send(
      new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: versions, Quiet: true } }),
    );
    const failed = result.Errors ?? [];
    if (failed.length > 0) {
      const first = failed[0];
      throw new Error(
        `S3 could not delete ${failed.length} of ${versions.length} object versions (first: ${first?.Key ?? '?'} ${first?.Code ?? ''} ${first?.Message ?? ''})`,
      );
    }
  }
}
