import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { S3rverObjectStore } from './s3-atomic-put';

/*
 * Object versions for the twin's bucket, when it is started versioned (TwinOptions.bucketVersioning),
 * as the stack's bucket is by default. s3rver keeps one object per key; this keeps, per key, the
 * versions S3 would: each PutObject or form POST adds one (its id goes into the "Object Created"
 * event as `version-id`), a DeleteObject without a version id adds a delete marker, and a
 * DeleteObject with one deletes exactly that version, so that the newest version left is current
 * again (its bytes put back in s3rver's store, or the key absent under a delete marker). That is
 * what the pipeline's RemoveReusedUpload relies on.
 *
 * Kept in memory, so a restart forgets the noncurrent versions (their objects stay as they are);
 * CopyObject and multipart completions add no version (s3rver writes them past putObject), and
 * ListObjectVersions still answers as for an unversioned bucket (s3-versions.ts).
 */

/** The part of s3rver's filesystem store versions need; @types/s3rver omits it. */
export interface S3rverVersionedStore extends S3rverObjectStore {
  getObject(
    bucket: string,
    key: string,
  ): Promise<{ content: Readable | null; metadata: Record<string, string> } | null>;
  deleteObject(bucket: string, key: string): Promise<void>;
}

interface Version {
  id: string;
  marker: boolean;
  /** A noncurrent object version's bytes and metadata; the current one's are in s3rver's store. */
  kept?: { content: Buffer; metadata: Record<string, string> };
}

/** S3's version ids are opaque URL-safe strings of 32 characters. */
const newVersionId = (): string => randomBytes(24).toString('base64url');

async function bytesOf(content: Readable | null): Promise<Buffer> {
  if (content === null) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  for await (const chunk of content) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
}

export class ObjectVersions {
  /** Per `bucket/key`, oldest first; the last is the current version. */
  private readonly versions = new Map<string, Version[]>();
  private readonly put: S3rverObjectStore['putObject'];
  private readonly remove: S3rverVersionedStore['deleteObject'];

  /** Wraps the store's putObject and deleteObject (after publishObjectsAtomically). */
  constructor(private readonly store: S3rverVersionedStore) {
    this.put = store.putObject.bind(store);
    this.remove = store.deleteObject.bind(store);
    store.putObject = async (object) => {
      const list = await this.keepCurrent(object.bucket, object.key);
      const result = await this.put(object);
      list.push({ id: newVersionId(), marker: false });
      return result;
    };
    store.deleteObject = async (bucket, key) => {
      const list = await this.keepCurrent(bucket, key);
      await this.remove(bucket, key);
      list.push({ id: newVersionId(), marker: true });
    };
  }

  /** The current version's id, if the key's current version is an object this store wrote. */
  currentVersionId(bucket: string, key: string): string | undefined {
    const current = this.versions.get(`${bucket}/${key}`)?.at(-1);
    return current === undefined || current.marker ? undefined : current.id;
  }

  /**
   * Deletes exactly one version. The current one: its bytes leave the store, and the newest
   * version left becomes current (an object's bytes are put back; under a delete marker the key
   * stays absent). A version that is not there (already deleted) is no error, as on S3.
   */
  async deleteVersion(bucket: string, key: string, versionId: string): Promise<void> {
    const list = this.versions.get(`${bucket}/${key}`) ?? [];
    const index = list.findIndex((version) => version.id === versionId);
    if (index === -1) return;
    const [deleted] = list.splice(index, 1);
    if (index !== list.length || deleted === undefined) return;
    if (!deleted.marker) await this.remove(bucket, key);
    const next = list.at(-1);
    if (next?.kept !== undefined) {
      await this.put({ bucket, key, metadata: next.kept.metadata, content: next.kept.content });
      delete next.kept;
    }
  }

  /** The key's versions, the current object's bytes set aside first: it is about to be replaced or deleted. */
  private async keepCurrent(bucket: string, key: string): Promise<Version[]> {
    const id = `${bucket}/${key}`;
    let list = this.versions.get(id);
    if (list === undefined) {
      list = [];
      this.versions.set(id, list);
    }
    const current = list.at(-1);
    if (current?.marker === true) return list;
    const stored = await this.store.getObject(bucket, key);
    if (stored === null) return list;
    const kept = { content: await bytesOf(stored.content), metadata: stored.metadata };
    // An object written before versions were kept is S3's version "null".
    if (current === undefined) list.push({ id: 'null', marker: false, kept });
    else current.kept = kept;
    return list;
  }
}
