import type * as z from 'zod/mini';
import { createArticleSchema, updateArticleSchema } from '../articles/schemas';
import { createUploadSchema } from '../media/schemas';
import type { RouteDefinition } from './routes';

/** The name of a request body model (`bodyModel` in routes.ts). */
export type BodyModelName = NonNullable<RouteDefinition['bodyModel']>;

/**
 * The zod schema each function parses a route's body with, by model name: one source for the
 * function's check, API Gateway's request model (infra/constructs/api-gateway.ts) and the
 * OpenAPI document (openapi.ts). Typed as zod's core schema type, which both the classic and the
 * mini API build on.
 */
export const BODY_SCHEMAS: Readonly<Record<BodyModelName, z.core.$ZodType>> = {
  CreateArticle: createArticleSchema,
  UpdateArticle: updateArticleSchema,
  CreateUpload: createUploadSchema,
};
