import {
  DERIVED_PREFIX,
  EXPIRED_TICKET_KEPT_SECONDS,
  IMAGE_CONTENT_TYPES,
  statusAt,
  uploadKeyFor,
} from '../shared/media';
import type { Label, MediaRecord, MediaStatus, ModerationVerdict } from '../shared/media';
import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
} from '../api/errors';
import type { Clock, IdGenerator, MediaStore } from '../api/ports';
import type { PageTokenCodec } from '../articles/page-token';
import type { DownloadSigner, MediaObjectEraser, UploadSigner } from './ports';
import type { CreateUploadInput } from './schemas';
import { quotaExceeded } from './upload-quota';
import type { UploadQuota } from './upload-quota';

/** Types the pipeline can turn into renditions; the bytes are checked again by the thumbnail step. */
export const ACCEPTED_UPLOAD_TYPES: readonly string[] = Object.values(IMAGE_CONTENT_TYPES);

/** The limits the media core applies; the handler reads them from the environment. */
export interface MediaServiceSettings {
  /** Largest upload accepted (MAX_UPLOAD_BYTES). */
  maxUploadBytes: number;
  uploadUrlTtlSeconds: number;
  downloadUrlTtlSeconds: number;
}

export interface MediaServiceDeps {
  media: MediaStore;
  uploadSigner: UploadSigner;
  downloadSigner: DownloadSigner;
  /** Counts each owner's uploads per UTC day; a refusal is a 429. */
  uploadQuota: UploadQuota;
  /** Erases a media's objects (DELETE /media/{id}). */
  objects: MediaObjectEraser;
  /** Signs and verifies the `nextToken` of GET /media?owner=me. */
  pageTokens: PageTokenCodec;
  clock: Clock;
  ids: IdGenerator;
  settings: MediaServiceSettings;
}

/** Response of POST /media/uploads (docs/design.md "REST API"). */
export interface UploadTicket {
  mediaId: string;
  url: string;
  fields: Record<string, string>;
  /** The policy's own expiration, so a client never counts on seconds that S3 will refuse. */
  expiresAt: string;
  /** Upper bound of the policy's content-length-range: the declared contentLength. */
  maxBytes: number;
}

export interface RenditionView {
  name: string;
  width: number;
  height: number;
  format: string;
  bytes: number;
  url: string;
}

/** Response of GET /media/{id}: the record without storage keys or pipeline bookkeeping. */
export interface MediaView {
  mediaId: string;
  status: MediaStatus;
  original?: { contentType: string; width: number; height: number; bytes: number };
  renditions?: RenditionView[];
  labels?: Label[];
  moderation?: { verdict: ModerationVerdict };
  error?: { code: string; message: string };
  createdAt: string;
  updatedAt: string;
}

/** Response of GET /media?owner=me. */
export interface MediaListing {
  items: MediaView[];
  nextToken?: string;
}

/** How often DELETE re-reads a record that changed between its read and its DELETING mark. */
const DELETE_ATTEMPTS = 3;

export class MediaService {
  constructor(private readonly deps: MediaServiceDeps) {}

  /**
   * Issues a presigned POST for one upload. The policy's content-length-range is
   * [1, contentLength]: the client declared the size, so S3 refuses anything larger than what
   * was declared and validated here (not merely anything under the global maximum).
   *
   * The upload is counted against the owner's daily quota after the request is validated (a
   * refused request costs nothing) and before anything is signed or written, so an owner over
   * the quota never holds a URL that would start the pipeline and its Rekognition calls.
   */
  async createUpload(ownerId: string, input: CreateUploadInput): Promise<UploadTicket> {
    const contentType = input.contentType.trim().toLowerCase();
    if (!ACCEPTED_UPLOAD_TYPES.includes(contentType)) {
      throw new UnsupportedMediaTypeError(`contentType: must be one of ${ACCEPTED_UPLOAD_TYPES.join(', ')}`);
    }
    const { maxUploadBytes, uploadUrlTtlSeconds } = this.deps.settings;
    if (input.contentLength > maxUploadBytes) {
      throw new PayloadTooLargeError(`contentLength: must be at most ${maxUploadBytes} bytes`);
    }

    const now = this.deps.clock.now();
    const quota = await this.deps.uploadQuota.take(ownerId, now);
    if (!quota.granted) throw quotaExceeded(quota, now);

    const mediaId = this.deps.ids.newId();
    const presigned = await this.deps.uploadSigner.signUpload({
      key: uploadKeyFor(ownerId, mediaId),
      contentType,
      minBytes: 1,
      maxBytes: input.contentLength,
      expiresInSeconds: uploadUrlTtlSeconds,
    });
    // Written after signing succeeds, so a PENDING record always has a URL that was handed out.
    const timestamp = now.toISOString();
    await this.deps.media.createPending({
      mediaId,
      ownerId,
      status: 'PENDING',
      createdAt: timestamp,
      updatedAt: timestamp,
      // The ticket lives as long as the form (uploadUrlTtlSeconds, as signed), see ../shared/media.ts.
      uploadExpiresAt: presigned.expiresAt.toISOString(),
      removeAt: Math.ceil(presigned.expiresAt.getTime() / 1000) + EXPIRED_TICKET_KEPT_SECONDS,
    });

    return {
      mediaId,
      url: presigned.url,
      fields: presigned.fields,
      expiresAt: presigned.expiresAt.toISOString(),
      maxBytes: input.contentLength,
    };
  }

  /**
   * READY media shows its renditions with short-lived signed GET URLs, its labels and verdict;
   * REJECTED media shows only its status and verdict (never a URL); FAILED media its error.
   */
  async view(mediaId: string): Promise<MediaView> {
    const record = await this.deps.media.get(mediaId);
    // Media being erased is gone for everyone already; only its owner's listing still shows it.
    if (!record || record.status === 'DELETING') throw new NotFoundError('Media not found');
    return this.viewOf(record);
  }

  /**
   * GET /media?owner=me: the caller's media newest first, each as GET /media/{id} shows it. A
   * record whose erasure was interrupted shows as DELETING, so its owner can finish it with DELETE.
   */
  async listOwn(ownerId: string, limit: number, nextToken?: string): Promise<MediaListing> {
    // Verified before any store call: an unverifiable token never becomes an ExclusiveStartKey.
    const after = nextToken === undefined ? undefined : await this.deps.pageTokens.decode(nextToken);
    const page = await this.deps.media.listByOwner(ownerId, limit, after);
    const items = await Promise.all(page.items.map((record) => this.viewOf(record)));
    return page.cursor === undefined ? { items } : { items, nextToken: await this.deps.pageTokens.encode(page.cursor) };
  }

  /**
   * DELETE /media/{id}: erases the record and every object of the media, for its owner only.
   *
   * Crash-safe order: the record is first marked DELETING (from then on nothing of it is served),
   * then every object version is deleted, then the record. A crash anywhere leaves a DELETING
   * record naming what is left, never a served record pointing at nothing nor objects without a
   * record; DELETE again (the owner's listing shows DELETING) finishes the work. Media still
   * PROCESSING is refused with 409: the running step could write renditions after the erasure.
   * A second DELETE after success answers 404, like any absent media.
   */
  async delete(callerId: string, mediaId: string): Promise<void> {
    for (let attempt = 1; attempt <= DELETE_ATTEMPTS; attempt += 1) {
      const record = await this.deps.media.get(mediaId);
      if (!record) throw new NotFoundError('Media not found');
      if (record.ownerId !== callerId) throw new ForbiddenError('Only the owner may delete this media');
      if (record.status === 'PROCESSING') {
        throw new ConflictError(
          'Media is being processed; delete it once it is READY, REJECTED or FAILED (a few seconds)',
        );
      }
      // The pipeline moved the record on between the read and the mark: read it again.
      if (
        record.status !== 'DELETING' &&
        !(await this.deps.media.markDeleting(record, this.deps.clock.now().toISOString()))
      )
        continue;
      await this.deps.objects.erase({ ownerId: record.ownerId, mediaId });
      await this.deps.media.removeDeleting(mediaId);
      return;
    }
    throw new ConflictError('Media changed while it was being deleted; try again');
  }

  private async viewOf(record: MediaRecord): Promise<MediaView> {
    const view: MediaView = {
      mediaId: record.mediaId,
      status: record.status,
      createdAt: record.createdAt,
      updatedAt: record.updatedAt,
    };
    // A ticket whose upload never came ends EXPIRED (DynamoDB TTL removes it later).
    if (statusAt(record, this.deps.clock.now()) === 'EXPIRED') {
      view.status = 'EXPIRED';
      view.error = {
        code: 'UPLOAD_EXPIRED',
        message: `No upload arrived before the upload form expired (${record.uploadExpiresAt}); request a new one with POST /media/uploads.`,
      };
    }
    switch (record.status) {
      case 'READY':
        if (record.original) {
          const { contentType, width, height, bytes } = record.original;
          view.original = { contentType, width, height, bytes };
        }
        view.renditions = await this.signRenditions(record);
        view.labels = (record.labels ?? []).map(({ name, confidence, parents }) => ({
          name,
          confidence,
          parents: [...parents],
        }));
        if (record.moderation) view.moderation = { verdict: record.moderation.verdict };
        break;
      case 'REJECTED':
        view.moderation = { verdict: record.moderation?.verdict ?? 'REJECTED' };
        break;
      case 'FAILED':
        if (record.error) view.error = { code: record.error.code, message: record.error.message };
        break;
      default:
        break;
    }
    return view;
  }

  /** Signs only objects under this media's derived prefix, whatever else a record might hold. */
  private async signRenditions(record: MediaRecord): Promise<RenditionView[]> {
    const prefix = `${DERIVED_PREFIX}${record.mediaId}/`;
    const renditions = (record.renditions ?? []).filter((rendition) => rendition.key.startsWith(prefix));
    return Promise.all(
      renditions.map(async ({ name, width, height, format, bytes, key }) => ({
        name,
        width,
        height,
        format,
        bytes,
        url: await this.deps.downloadSigner.signDownload(key, this.deps.settings.downloadUrlTtlSeconds),
      })),
    );
  }
}
