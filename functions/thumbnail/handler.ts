import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { GetObjectCommandOutput, S3Client } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import sharp from 'sharp';
import * as z from 'zod/mini';
import { s3Client } from '../shared/s3-client';
import { ImageTooLargeError, InvalidUploadKeyError, UploadChangedError, UploadMissingError } from '../shared/errors';
import { derivedKeyFor, parseUploadKey } from '../shared/media';
import type { Rendition, ThumbnailResult, UploadRef } from '../shared/media';
import { logger, tracer } from '../shared/powertools';
import { metrics } from '../shared/metrics';
import { uploadRefSchema } from '../shared/schemas';
import { parseStepInput, runStep } from '../shared/step';
import { createRenditions } from './renditions';
import { thumbnailSettings } from './settings';
import type { EncodedImage } from './renditions';

/*
 * CreateThumbnails: reads the upload, hands its bytes to the pure core, and writes what the core
 * encodes under derived/{mediaId}/{sequencer}/.
 *
 * Why the sequencer is in the key: every object version gets its own folder, so a late run for
 * an older upload can never overwrite the renditions of a newer one (only the record write is
 * conditional), and a key's content never changes, which makes it safe to cache as immutable.
 */

// One image per invocation: libvips' operation cache would only hold memory that is never reused.
sharp.cache(false);

/** The largest upload the step decodes (see ./settings.ts for the defaults and bounds). */
export interface ThumbnailLimits {
  maxInputPixels: number;
  maxInputBytes: number;
}

export interface ThumbnailDeps {
  s3: S3Client;
  limits?: Partial<ThumbnailLimits>;
}

const inputSchema = z.object({ upload: uploadRefSchema });

/** Derived objects are never rewritten (see above): browsers and CDNs may keep them for a year. */
export const DERIVED_CACHE_CONTROL = 'private, max-age=31536000, immutable';

export function createHandler(deps: ThumbnailDeps): (event: unknown, context?: Context) => Promise<ThumbnailResult> {
  const limits: ThumbnailLimits = thumbnailSettings.fromEnv(process.env, deps.limits);

  return (event, context) =>
    runStep(context, async () => {
      const { upload } = parseStepInput(inputSchema, event, 'CreateThumbnails');
      const ids = parseUploadKey(upload.key);
      if (ids === undefined) {
        throw new InvalidUploadKeyError(`Object key "${upload.key}" is not uploads/{ownerId}/{mediaId}`);
      }
      const { ownerId, mediaId } = ids;
      logger.appendKeys({ mediaId });
      tracer.putAnnotation('mediaId', mediaId);

      const bytes = await readUpload(deps.s3, upload, limits.maxInputBytes);
      const folder = `${upload.sequencer.toUpperCase()}/`;
      const keyOf = (image: EncodedImage): string => derivedKeyFor(mediaId, folder + image.fileName);

      const started = performance.now();
      const set = await createRenditions(bytes, { maxInputPixels: limits.maxInputPixels }, (image) =>
        writeDerived(deps.s3, upload.bucket, keyOf(image), image),
      );
      const elapsed = performance.now() - started;

      const renditions: Rendition[] = set.renditions.map((image) => ({
        name: image.name,
        width: image.width,
        height: image.height,
        format: image.format,
        key: keyOf(image),
        bytes: image.data.length,
      }));
      const bytesOut = [...set.renditions, set.analysis].reduce((sum, image) => sum + image.data.length, 0);
      metrics.addMetric('RenditionTime', MetricUnit.Milliseconds, Math.round(elapsed));
      metrics.addMetric('BytesIn', MetricUnit.Bytes, bytes.length);
      metrics.addMetric('BytesOut', MetricUnit.Bytes, bytesOut);
      logger.info('Renditions written', {
        format: set.source.format,
        width: set.source.width,
        height: set.source.height,
        bytesIn: bytes.length,
        bytesOut,
        elapsedMs: Math.round(elapsed),
      });

      return {
        mediaId,
        ownerId,
        original: {
          key: upload.key,
          bytes: bytes.length,
          contentType: set.source.contentType,
          width: set.source.width,
          height: set.source.height,
        },
        renditions,
        analysis: {
          bucket: upload.bucket,
          key: keyOf(set.analysis),
          width: set.analysis.width,
          height: set.analysis.height,
          bytes: set.analysis.data.length,
        },
      };
    });
}

/**
 * Reads the whole object, refusing it as soon as it is known to exceed the byte limit: from the
 * event, then from Content-Length, then while streaming (in case neither was right).
 */
async function readUpload(s3: S3Client, upload: UploadRef, maxBytes: number): Promise<Buffer> {
  const tooLarge = (size: number | string): ImageTooLargeError =>
    new ImageTooLargeError(`Upload is ${size} bytes; the limit is ${maxBytes} bytes`);
  if (upload.size > maxBytes) throw tooLarge(upload.size);

  // If-Match pins the read to the object version the event described (and the claim was made
  // for): if the key was overwritten since, S3 answers 412 instead of serving other bytes.
  let response: GetObjectCommandOutput;
  try {
    response = await s3.send(
      new GetObjectCommand({ Bucket: upload.bucket, Key: upload.key, IfMatch: entityTag(upload.etag) }),
    );
  } catch (error: unknown) {
    throw uploadReadError(error);
  }
  const declared = response.ContentLength;
  if (declared !== undefined && declared > maxBytes) throw tooLarge(declared);
  const body: unknown = response.Body;
  if (body === undefined || body === null) return Buffer.alloc(0);

  if (typeof body === 'object' && Symbol.asyncIterator in body) {
    const chunks: Buffer[] = [];
    let total = 0;
    for await (const chunk of body as AsyncIterable<Uint8Array | string>) {
      const buffer =
        typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      total += buffer.length;
      if (total > maxBytes) {
        if ('destroy' in body && typeof body.destroy === 'function') body.destroy();
        throw tooLarge(`more than ${maxBytes}`);
      }
      chunks.push(buffer);
    }
    return chunks.length === 1 && chunks[0] !== undefined ? chunks[0] : Buffer.concat(chunks, total);
  }
  // Non-Node bodies (web streams, blobs) only offer whole-body reads.
  if (typeof body === 'object' && 'transformToByteArray' in body && typeof body.transformToByteArray === 'function') {
    const bytes = (await body.transformToByteArray()) as Uint8Array;
    if (bytes.length > maxBytes) throw tooLarge(bytes.length);
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  throw new TypeError('GetObject returned a body that cannot be read');
}

/**
 * The If-Match value for an event's ETag. S3 events carry the ETag bare, but RFC 7232 If-Match
 * takes a quoted entity-tag; S3 compares the values with or without quotes, so the quoted form suits
 * S3 and anything that follows the RFC. A value that is already quoted is not quoted twice.
 */
export function entityTag(etag: string): string {
  return `"${etag.replace(/^"(.*)"$/, '$1')}"`;
}

/**
 * Maps the GetObject failures that mean "this upload is gone or not the one the event described"
 * to domain errors the state machine records as a bad upload; anything else (access denied, a
 * missing bucket, a network fault) is a pipeline fault and goes through unchanged. S3 only says
 * NoSuchKey to a caller that may also s3:ListBucket; to others a deleted key is a 403 AccessDenied,
 * which cannot be told apart from a real permission fault and so stays one.
 */
function uploadReadError(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const status = (error as { $metadata?: { httpStatusCode?: unknown } }).$metadata?.httpStatusCode;
  if (error.name === 'PreconditionFailed' || status === 412) {
    return new UploadChangedError(
      'The upload was replaced by another file before it could be processed; request a new upload URL for each file',
      { cause: error },
    );
  }
  if (error.name === 'NoSuchKey') {
    return new UploadMissingError('The upload was deleted before it could be processed', { cause: error });
  }
  return error;
}

async function writeDerived(s3: S3Client, bucket: string, key: string, image: EncodedImage): Promise<void> {
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: image.data,
      ContentType: image.contentType,
      CacheControl: DERIVED_CACHE_CONTROL,
    }),
  );
}

export const handler = createHandler({ s3: s3Client() });
