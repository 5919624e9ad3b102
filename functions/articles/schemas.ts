import * as z from 'zod/mini';
import { ID_PATTERN, ID_RULE } from '../api/ids';
import { toStorableNumber } from '../shared/dynamodb-numbers';
import '../shared/zod-locale';

/**
 * Request body schemas of the article routes (the upload body is ../media/schemas.ts). They are
 * used twice: the articles function parses every body with them, and the CDK stack turns them
 * into API Gateway request models with
 * `z.toJSONSchema(schema, { target: 'draft-04' })`. So they stay within what draft-04 can say:
 * plain strings, numbers, arrays and strict objects (`additionalProperties: false`), no
 * transforms or refinements whose meaning would be lost in the model. Each check carries the
 * message the API returns after the field name, e.g. `title: must be at most 200 characters`.
 *
 * What a model cannot say is still enforced by the function: blank-after-trim titles, duplicate
 * tags (dropped) and cover ownership. The model measures `title` before trimming, so it is slightly stricter for padded titles.
 */

/** Single-line text: no C0 control characters and no DEL. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const SINGLE_LINE = /^[^\u0000-\u001f\u007f]*$/;
/** Long text: line breaks and tabs are fine, other control characters are not. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const MULTI_LINE = /^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]*$/;
/**
 * Well-formed Unicode: no lone UTF-16 surrogate (a pair is one code point, outside the range, under
 * the `u` flag). A refinement, so it stays out of the model: a draft-04 `pattern` has no `u` flag,
 * and the same class there would refuse every emoji.
 */
const WELL_FORMED = /^[^\uD800-\uDFFF]*$/u;
const wellFormed = z.refine<string>((text) => WELL_FORMED.test(text), {
  error: 'must be well-formed Unicode text (a lone surrogate is not)',
});
/**
 * Something a reader can see: a character that is neither white space nor an invisible format
 * character (U+200B zero-width space, U+2060 word joiner, ...), which trim() leaves in place. A
 * refinement, like {@link wellFormed}, so it stays out of the model.
 */
const VISIBLE = /[^\p{White_Space}\p{Cf}]/u;
// An empty string is minLength's to report (it is in the model too).
const notBlank = z.refine<string>((text) => text === '' || VISIBLE.test(text), { error: 'must not be blank' });
/** Lowercase words joined by single hyphens: `street-food`, `lisbon`, `2026`. */
const TAG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

export const TITLE_MAX = 200;
export const BODY_MAX = 50_000;
export const TAGS_MAX = 10;
export const TAG_MAX = 30;
export const PLACE_NAME_MAX = 200;
const title = z
  .string()
  .check(
    z.trim(),
    z.minLength(1, { error: 'must not be blank' }),
    z.maxLength(TITLE_MAX, { error: `must be at most ${TITLE_MAX} characters` }),
    z.regex(SINGLE_LINE, { error: 'must not contain control characters' }),
    wellFormed,
    notBlank,
  );

const body = z
  .string()
  .check(
    z.minLength(1, { error: 'must not be empty' }),
    z.maxLength(BODY_MAX, { error: `must be at most ${BODY_MAX} characters` }),
    z.regex(MULTI_LINE, { error: 'must not contain control characters other than line breaks and tabs' }),
    wellFormed,
  );

/**
 * A coordinate in decimal degrees between -limit and limit. Values nearer zero than DynamoDB can
 * store (|x| < 1E-130, e.g. 1e-131 or 5e-324) are stored as 0 rather than failing the write: the
 * normalisation is an `overwrite`, which keeps the model a plain bounded number (the gateway lets
 * such values through and the function normalises them).
 */
const coordinate = (limit: number) =>
  z
    .number()
    .check(
      z.gte(-limit, { error: `must be between -${limit} and ${limit}` }),
      z.lte(limit, { error: `must be between -${limit} and ${limit}` }),
      z.overwrite(toStorableNumber),
    );

/**
 * Where an article is about: a display name and WGS 84 coordinates in decimal degrees.
 */
const location = z.strictObject({
  name: z
    .string()
    .check(
      z.trim(),
      z.minLength(1, { error: 'must not be blank' }),
      z.maxLength(PLACE_NAME_MAX, { error: `must be at most ${PLACE_NAME_MAX} characters` }),
      z.regex(SINGLE_LINE, { error: 'must not contain control characters' }),
      wellFormed,
      notBlank,
    ),
  lat: coordinate(90),
  lng: coordinate(180),
});

const tags = z
  .array(
    z
      .string()
      .check(
        z.minLength(1, { error: 'must not be empty' }),
        z.maxLength(TAG_MAX, { error: `must be at most ${TAG_MAX} characters` }),
        z.regex(TAG, { error: 'must be lowercase letters and digits joined by single hyphens' }),
      ),
  )
  .check(z.maxLength(TAGS_MAX, { error: `must have at most ${TAGS_MAX} items` }));

const mediaId = z.string().check(z.regex(ID_PATTERN, { error: ID_RULE }));

const articleFields = {
  title,
  body,
  location: z.optional(location),
  /** Duplicates are dropped by the service (first occurrence kept), so the model needs no uniqueItems. */
  tags: z.optional(tags),
  /** Must name media uploaded by the same author that was not rejected (checked by the service). */
  coverMediaId: z.optional(mediaId),
};

/** Body of POST /articles. */
export const createArticleSchema = z.strictObject(articleFields);

/**
 * Body of PUT /articles/{id}: a **full replacement** of the article's editable fields, the
 * usual meaning of PUT. `title` and `body` are required; an optional field left out is removed
 * from the article (send the current `tags` to keep them). `id`, `authorId`, `createdAt` are
 * not editable and are rejected as unknown fields.
 */
export const updateArticleSchema = z.strictObject(articleFields);

export type CreateArticleInput = z.infer<typeof createArticleSchema>;
export type UpdateArticleInput = z.infer<typeof updateArticleSchema>;
