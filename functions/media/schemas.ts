import * as z from 'zod/mini';
import '../shared/zod-locale';

/**
 * Request body schema of POST /media/uploads. Like the article schemas (../articles/schemas.ts)
 * it is used twice: the media function parses the body with it, and the CDK stack turns it into
 * the API Gateway request model, so it stays within what JSON Schema draft-04 can say.
 *
 * The model only checks shapes: the accepted content types (415 otherwise) and the upper size
 * bound (413, configured per stage) are checked by the function, because a gateway model can
 * only answer 400.
 */
export const createUploadSchema = z.strictObject({
  contentType: z
    .string()
    .check(
      z.minLength(1, { error: 'must not be empty' }),
      z.maxLength(100, { error: 'must be at most 100 characters' }),
    ),
  contentLength: z.number().check(z.int({ error: 'must be an integer' }), z.gte(1, { error: 'must be at least 1' })),
});

export type CreateUploadInput = z.infer<typeof createUploadSchema>;
