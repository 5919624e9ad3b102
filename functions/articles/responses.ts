import * as z from 'zod/mini';
import { idSchema, listingSchema, timestampSchema, type Assert, type Same } from '../api/responses';
import type { ArticleListing } from './articles-service';
import type { Article } from './ports';
import { createArticleSchema } from './schemas';

/**
 * Response bodies of the article routes (see ../api/responses.ts). An article holds what its
 * author wrote, under the same rules as the request body (one schema for both), plus what the
 * API sets.
 */

const { title, body, location, coverMediaId } = createArticleSchema.def.shape;
const tags = createArticleSchema.def.shape.tags.def.innerType;

/** An article as the API returns it (POST, GET, PUT). */
export const articleSchema = z.strictObject({
  id: idSchema,
  authorId: idSchema,
  title,
  body,
  location,
  /** Always present; `[]` when the author gave none. */
  tags,
  coverMediaId,
  createdAt: timestampSchema,
  updatedAt: timestampSchema,
});

/** GET /articles: newest first. */
export const articleListingSchema = listingSchema(articleSchema);

export type ArticleSchemaMatchesArticle = Assert<Same<z.output<typeof articleSchema>, Article>>;
export type ListingSchemaMatchesListing = Assert<Same<z.output<typeof articleListingSchema>, ArticleListing>>;
