import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import S3Object from 's3rver/lib/models/object';

/**
 * S3 replaces an object atomically: a reader (or a crash) sees the old object or the new one, never
 * part of one. s3rver 3.7.1 (lib/stores/filesystem.js `putObject`) truncates the object's file and
 * streams the new bytes into it, then writes the MD5 and the metadata. Two things then go wrong
 * that cannot on S3, both met when a client sends an upload again with the same form:
 *
 * - a GET during the overwrite reads a part of the bytes (the pipeline would see a cut-off image);
 * - a crash during the overwrite leaves cut-off bytes beside the old MD5, so the complete object
 *   that was there is lost (the start's repair can only set the pair aside).
 *
 * So the twin's store writes each object as S3 would publish it: the bytes to a temporary file
 * next to the object (`<key>._S3rver_object.<id>.tmp`, which s3rver's listings skip), then the MD5
 * and metadata to temporary files, and only then renames the three into place, the bytes last. A
 * crash before the renames leaves the old object whole (and the temporary files, which the start's
 * repair sets aside: see s3-repair.ts); between them (microseconds) at worst new metadata beside
 * old bytes, which the repair sets aside only when the bytes differ.
 */

/** The suffix of the temporary files this store writes; s3-repair.ts sets aside any a crash left. */
export const TEMPORARY_SUFFIX = '.tmp';

/** What s3rver stores as metadata, from its own object model. */
const STORED_METADATA: ReadonlySet<string> = new Set(S3Object.ALLOWED_METADATA);

/** The part of s3rver's filesystem store this replaces; @types/s3rver omits it. */
export interface S3rverObjectStore {
  getResourcePath(bucket: string, key: string, resource: string): string;
  putObject(object: {
    bucket: string;
    key: string;
    metadata: Record<string, string>;
    content: Buffer | Readable;
  }): Promise<{ size: number; md5: string }>;
}

/** What s3rver keeps of an object's metadata (lib/stores/filesystem.js `putMetadata`). */
export function storedMetadata(metadata: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(metadata).filter(([name]) => STORED_METADATA.has(name) || name.startsWith('x-amz-meta-')),
  );
}

/** Replaces `store.putObject` with one that publishes each object whole (see above). */
export function publishObjectsAtomically(store: S3rverObjectStore): void {
  store.putObject = async (object) => {
    const objectPath = store.getResourcePath(object.bucket, object.key, 'object');
    const md5Path = store.getResourcePath(object.bucket, object.key, 'object.md5');
    const metadataPath = store.getResourcePath(object.bucket, object.key, 'metadata.json');
    await mkdir(dirname(objectPath), { recursive: true });
    const id = randomUUID();
    const temporary = (path: string): string => `${path}.${id}${TEMPORARY_SUFFIX}`;
    const hash = createHash('md5');
    let size = 0;
    try {
      if (Buffer.isBuffer(object.content)) {
        hash.update(object.content);
        size = object.content.length;
        await writeFile(temporary(objectPath), object.content);
      } else {
        const counting = new Transform({
          transform(chunk: Buffer, _encoding, callback) {
            hash.update(chunk);
            size += chunk.length;
            callback(null, chunk);
          },
        });
        await pipeline(object.content, counting, createWriteStream(temporary(objectPath)));
      }
      const md5 = hash.digest('hex');
      await writeFile(temporary(md5Path), md5);
      await writeFile(temporary(metadataPath), JSON.stringify(storedMetadata(object.metadata), null, 2));
      await rename(temporary(md5Path), md5Path);
      await rename(temporary(metadataPath), metadataPath);
      await rename(temporary(objectPath), objectPath);
      return { size, md5 };
    } catch (error: unknown) {
      // A body cut off mid-stream (the client went away): nothing was published.
      await Promise.all([objectPath, md5Path, metadataPath].map((path) => rm(temporary(path), { force: true })));
      throw error;
    }
  };
}
