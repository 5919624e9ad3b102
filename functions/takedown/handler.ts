import { CopyObjectCommand, DeleteObjectCommand, DeleteObjectsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { ListObjectsV2CommandOutput, S3Client } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import * as z from 'zod/mini';
import { InvalidUploadKeyError } from '../shared/errors';
import { derivedPrefixFor, failedKeyFor, parseUploadKey, quarantineKeyFor } from '../shared/media';
import { logger, tracer } from '../shared/powertools';
import { s3Client } from '../shared/s3-client';
import { uploadRefSchema } from '../shared/schemas';
import { parseStepInput, runStep } from '../shared/step';

/*
 * TakeDownRejected and DiscardFailedUpload in the ASL: after a run ends REJECTED or FAILED, nothing
 * of the media stays servable or in uploads/.
 *   - Every object under derived/{mediaId}/ (renditions of every run, the analysis image) is deleted.
 *   - The original is moved out of uploads/: REJECTED to quarantine/{ownerId}/{mediaId} (kept for
 *     review or appeal; no API role may read it), FAILED to failed/{ownerId}/{mediaId}; a lifecycle
 *     rule expires each prefix after its configured days.
 * RemoveUnissuedUpload: an object no upload ticket covers (its media was deleted before the upload
 * arrived, or it was written without a ticket) is deleted from uploads/, and nothing else is
 * touched: no record names it, and derived/{mediaId}/ may belong to a live media of another owner.
 * RemoveReusedUpload: an upload form posted again after its media's run claimed the ticket wrote a
 * new version over the upload; exactly that version of exactly that key is deleted, so the previous
 * version is current again (the original a READY or PROCESSING media was made from, or the delete
 * marker the move of a REJECTED or FAILED original left). Only with the event's version id: in an
 * unversioned bucket the key holds the only bytes, and S3's version "null" would delete them.
 * Idempotent, so the ASL may retry it after any failure: a copy made twice is the same object, and
 * what was already deleted is simply not found again. In a versioned bucket the deletes leave
 * noncurrent versions, which no role may read and the noncurrent-version rule expires.
 */

export type TakedownAction = 'quarantine' | 'discard' | 'remove' | 'remove-version';

export interface TakedownResult {
  mediaId: string;
  /** Where the original is now; absent when there was no original left to move (e.g. UPLOAD_MISSING). */
  movedTo?: string;
  /** Derived objects deleted. */
  derivedDeleted: number;
  /** remove: whether there was an object to delete. */
  removed?: boolean;
  /** remove-version: the version deleted (already gone counts as deleted). */
  removedVersion?: string;
}

export interface TakedownDeps {
  s3: S3Client;
}

const inputSchema = z.object({
  action: z.enum(['quarantine', 'discard', 'remove', 'remove-version']),
  upload: uploadRefSchema,
});

const DELETE_BATCH = 1000;

export function createHandler(deps: TakedownDeps): (event: unknown, context?: Context) => Promise<TakedownResult> {
  const { s3 } = deps;
  return (event, context) =>
    runStep(context, async () => {
      const { action, upload } = parseStepInput(inputSchema, event, 'TakeDown');
      const ids = parseUploadKey(upload.key);
      if (ids === undefined)
        throw new InvalidUploadKeyError(`Object key "${upload.key}" is not uploads/{ownerId}/{mediaId}`);
      const { ownerId, mediaId } = ids;
      logger.appendKeys({ mediaId });
      tracer.putAnnotation('mediaId', mediaId);

      if (action === 'remove-version') {
        const versionId = upload.versionId;
        if (versionId === undefined || versionId === 'null')
          throw new Error(
            `remove-version needs the object's version id; "${versionId ?? ''}" would name the only bytes`,
          );
        await removeVersion(s3, upload.bucket, upload.key, versionId);
        logger.info('Reused upload version removed', { versionId });
        return { mediaId, derivedDeleted: 0, removedVersion: versionId };
      }
      if (action === 'remove') {
        const removed = await removeObject(s3, upload.bucket, upload.key);
        logger.info('Unissued upload removed', { removed });
        return { mediaId, derivedDeleted: 0, removed };
      }
      const target = action === 'quarantine' ? quarantineKeyFor(ownerId, mediaId) : failedKeyFor(ownerId, mediaId);
      // Derived objects first: they are what could be served; the original never is.
      const derivedDeleted = await deleteUnder(s3, upload.bucket, derivedPrefixFor(mediaId));
      const moved = await moveObject(s3, upload.bucket, upload.key, target);
      logger.info('Media taken down', { action, movedTo: moved ? target : undefined, derivedDeleted });
      return { mediaId, ...(moved ? { movedTo: target } : {}), derivedDeleted };
    });
}

/** Keys under a prefix; the role may list only under uploads/ and derived/. */
async function keysUnder(s3: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page: ListObjectsV2CommandOutput = await s3.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: prefix,
        ...(token !== undefined ? { ContinuationToken: token } : {}),
      }),
    );
    keys.push(...(page.Contents ?? []).flatMap((object) => (object.Key === undefined ? [] : [object.Key])));
    token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  return keys;
}

async function deleteUnder(s3: S3Client, bucket: string, prefix: string): Promise<number> {
  const keys = await keysUnder(s3, bucket, prefix);
  for (let start = 0; start < keys.length; start += DELETE_BATCH) {
    const batch = keys.slice(start, start + DELETE_BATCH);
    const result = await s3.send(
      new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }),
    );
    const failed = result.Errors ?? [];
    if (failed.length > 0)
      throw new Error(
        `S3 could not delete ${failed.length} of ${batch.length} objects under ${prefix} (first: ${failed[0]?.Key ?? '?'} ${failed[0]?.Code ?? ''})`,
      );
  }
  return keys.length;
}

/**
 * Copies the object to `target`, then deletes it. Whether it exists is asked with a listing of its
 * exact key: without s3:ListBucket S3 answers a missing key with 403, which would hide a real
 * permission fault. Gone already (moved by an earlier attempt, or never uploaded): nothing to do.
 */
async function moveObject(s3: S3Client, bucket: string, key: string, target: string): Promise<boolean> {
  const exists = (await keysUnder(s3, bucket, key)).includes(key);
  if (!exists) return false;
  await s3.send(
    new CopyObjectCommand({
      Bucket: bucket,
      Key: target,
      CopySource: `${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`,
      MetadataDirective: 'COPY',
    }),
  );
  await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
  return true;
}

/**
 * Deletes the object if it is there. Asked first, as moveObject does: in a versioned bucket a
 * DeleteObject on a missing key would leave a delete marker behind.
 */
async function removeObject(s3: S3Client, bucket: string, key: string): Promise<boolean> {
  const exists = (await keysUnder(s3, bucket, key)).includes(key);
  if (!exists) return false;
  await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
  return true;
}

/**
 * Deletes one version of the key. S3 answers a version that is already gone with success, so a
 * retry after a delete that went through is simply done again; a NoSuchVersion answer (as some
 * S3-compatible stores give) means the same.
 */
async function removeVersion(s3: S3Client, bucket: string, key: string, versionId: string): Promise<void> {
  try {
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId }));
  } catch (error) {
    if (error instanceof Error && (error.name === 'NoSuchVersion' || error.name === 'NoSuchKey')) return;
    throw error;
  }
}

let defaultHandler: ReturnType<typeof createHandler> | undefined;

/** Built on first use, so tests and the twin can import createHandler without an S3 client. */
export const handler = (event: unknown, context?: Context): Promise<TakedownResult> => {
  defaultHandler ??= createHandler({ s3: s3Client() });
  return defaultHandler(event, context);
};
