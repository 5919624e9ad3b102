import * as z from 'zod/mini';
import { MEDIA_STATUSES } from '../shared/media';
import { idSchema, listingSchema, timestampSchema, type Assert, type Same } from '../api/responses';
import type { MediaListing, MediaView, UploadTicket } from './media-service';

/** Response bodies of the media routes (see ../api/responses.ts). */

/** POST /media/uploads: a presigned POST for one upload. */
export const uploadTicketSchema = z.strictObject({
  mediaId: idSchema,
  /** Where the browser POSTs the form: the bucket's URL. */
  url: z.url(),
  /** Every form field to send before the file, as given. */
  fields: z.record(z.string(), z.string()),
  /** When S3 stops accepting the form. */
  expiresAt: timestampSchema,
  /** Largest file S3 will accept with this form: the declared contentLength. */
  maxBytes: z.int().check(z.gte(1)),
});

const dimension = z.int().check(z.gte(1));

const renditionViewSchema = z.strictObject({
  name: z.string(),
  width: dimension,
  height: dimension,
  format: z.string(),
  bytes: z.int().check(z.gte(1)),
  /** A short-lived signed GET URL. */
  url: z.url(),
});

const labelSchema = z.strictObject({
  name: z.string(),
  confidence: z.number().check(z.gte(0), z.lte(100)),
  parents: z.array(z.string()),
});

/**
 * GET /media/{id}. READY: renditions (signed URLs) and labels; REJECTED: the verdict only, never
 * a URL; FAILED: `error`; PENDING and PROCESSING: the status and timestamps.
 */
export const mediaViewSchema = z.strictObject({
  mediaId: idSchema,
  status: z.enum(MEDIA_STATUSES),
  original: z.optional(
    z.strictObject({ contentType: z.string(), width: dimension, height: dimension, bytes: z.int().check(z.gte(1)) }),
  ),
  renditions: z.optional(z.array(renditionViewSchema)),
  labels: z.optional(z.array(labelSchema)),
  moderation: z.optional(z.strictObject({ verdict: z.enum(['APPROVED', 'REJECTED']) })),
  error: z.optional(z.strictObject({ code: z.string(), message: z.string() })),
  createdAt: timestampSchema,
  updatedAt: timestampSchema,
});

/** GET /media?owner=me: one page of the caller's media, newest first. */
export const mediaListingSchema = listingSchema(mediaViewSchema);

export type UploadTicketSchemaMatchesTicket = Assert<Same<z.output<typeof uploadTicketSchema>, UploadTicket>>;
export type MediaViewSchemaMatchesView = Assert<Same<z.output<typeof mediaViewSchema>, MediaView>>;
export type MediaListingSchemaMatchesListing = Assert<Same<z.output<typeof mediaListingSchema>, MediaListing>>;
