import * as z from 'zod/mini';
import './zod-locale';

/*
 * Runtime shapes of the payloads the ASL moves between steps (types in media.ts). Each handler
 * validates its input with these at the seam; the schemas are deliberately no stricter than the
 * contract, so extra fields added by the state machine do not break a step.
 */

const nonEmptyString = (): z.ZodMiniString => z.string().check(z.minLength(1));
const count = (): z.ZodMiniNumber => z.number().check(z.int(), z.nonnegative());
const dimension = (): z.ZodMiniNumber => z.number().check(z.int(), z.positive());

export const uploadRefSchema = z.object({
  bucket: nonEmptyString(),
  key: nonEmptyString(),
  size: count(),
  etag: nonEmptyString(),
  // S3 sequencers are hexadecimal; anything else cannot be ordered.
  sequencer: z.string().check(z.regex(/^[0-9A-Fa-f]{1,64}$/, 'must be a hexadecimal S3 sequencer')),
  // When S3 stored the object (the event's time): a ticket takes no upload stored after it ended.
  time: z.optional(z.iso.datetime()),
  // The object's version, in a versioned bucket: what a reused upload's removal deletes.
  versionId: z.optional(nonEmptyString()),
});

export const imageRefSchema = z.object({
  bucket: nonEmptyString(),
  key: nonEmptyString(),
});

const originalSchema = z.object({
  key: nonEmptyString(),
  bytes: count(),
  contentType: nonEmptyString(),
  width: dimension(),
  height: dimension(),
});

const renditionSchema = z.object({
  name: nonEmptyString(),
  width: dimension(),
  height: dimension(),
  format: z.enum(['webp', 'jpeg']),
  key: nonEmptyString(),
  bytes: count(),
});

export const thumbnailResultSchema = z.object({
  mediaId: nonEmptyString(),
  ownerId: nonEmptyString(),
  original: originalSchema,
  renditions: z.array(renditionSchema),
  analysis: z.extend(imageRefSchema, {
    width: dimension(),
    height: dimension(),
    bytes: count(),
  }),
});

export const labelsResultSchema = z.object({
  labels: z.array(z.object({ name: z.string(), confidence: z.number(), parents: z.array(z.string()) })),
});

export const moderateResultSchema = z.object({
  verdict: z.enum(['APPROVED', 'REJECTED']),
  labels: z.array(z.object({ name: z.string(), parentName: z.string(), confidence: z.number() })),
});
