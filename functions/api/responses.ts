import * as z from 'zod/mini';
import { ID_PATTERN } from './ids';

/**
 * Response shapes the REST API shares between its functions: the error shape and the building
 * blocks of the article and media responses (../articles/responses.ts, ../media/responses.ts).
 * They are the contract's half that describes answers: docs/openapi.json is generated from them
 * (functions/api/openapi.ts), the end-to-end tests check every answer of the twin against that
 * document, and each response schema is tied to the TypeScript type its handler returns, so a
 * change on either side that the other does not follow fails the typecheck.
 */

/** `{"error": {"code", "message"}}`: every refusal, from a function or from the gateway. */
export const errorResponseSchema = z.strictObject({
  error: z.strictObject({
    /** Stable and machine-readable, e.g. `VALIDATION_ERROR`, `UPLOAD_QUOTA_EXCEEDED`. */
    code: z.string().check(z.regex(/^[A-Z][A-Z0-9_]*$/)),
    /** For people; a validation message starts with the field at fault (`title: ...`). */
    message: z.string(),
  }),
});

/** Ids: article, media and author ids alike (what `crypto.randomUUID()` and Cognito's `sub` produce). */
export const idSchema = z.string().check(z.regex(ID_PATTERN));

/** A UTC instant as `toISOString()` writes it. */
export const timestampSchema = z.iso.datetime();

/** True when A and B are the same type, optional properties included; used to tie a response schema to the type a handler returns. */
export type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
/** Compiles only when given `true`. */
export type Assert<T extends true> = T;

/** One page of a listing, newest first: its items, and `nextToken` when more may follow (pass it back as `nextToken` to read them). */
export function listingSchema<Item extends z.core.SomeType>(item: Item) {
  return z.strictObject({
    items: z.array(item),
    nextToken: z.optional(z.string().check(z.minLength(1))),
  });
}
