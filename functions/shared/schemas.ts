import { z } from 'zod';

/*
 * Runtime shapes of the payloads the ASL moves between steps (types in media.ts). Each handler
 * validates its input with these at the seam; the schemas are deliberately no stricter than the
 * contract, so extra fields added by the state machine do not break a step.
 */

export const uploadRefSchema = z.object({
  bucket: z.string().min(1),
  key: z.string().min(1),
  size: z.number().int().nonnegative(),
  etag: z.string().min(1),
  // S3 sequencers are hexadecimal; anything else cannot be ordered.
  sequencer: z.string().regex(/^[0-9A-Fa-f]{1,64}$/, 'must be a hexadecimal S3 sequencer'),
});

export const imageRefSchema = z.object({
  bucket: z.string().min(1),
  key: z.string().min(1),
});

const originalSchema = z.object({
  key: z.string().min(1),
  bytes: z.number().int().nonnegative(),
  contentType: z.string().min(1),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
});

const renditionSchema = z.object({
  name: z.string().min(1),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  format: z.enum(['webp', 'jpeg']),
  key: z.string().min(1),
  bytes: z.number().int().nonnegative(),
});

export const thumbnailResultSchema = z.object({
  mediaId: z.string().min(1),
  ownerId: z.string().min(1),
  original: originalSchema,
  renditions: z.array(renditionSchema),
  analysis: imageRefSchema.extend({
    width: z.number().int().positive(),
    height: z.number().int().positive(),
    bytes: z.number().int().nonnegative(),
  }),
});

export const labelsResultSchema = z.object({
  labels: z.array(z.object({ name: z.string(), confidence: z.number(), parents: z.array(z.string()) })),
});

export const moderateResultSchema = z.object({
  verdict: z.enum(['APPROVED', 'REJECTED']),
  labels: z.array(z.object({ name: z.string(), parentName: z.string(), confidence: z.number() })),
});
