import type { APIGatewayProxyEvent } from 'aws-lambda';
import { ValidationError } from './errors';

/**
 * The query of a listing route, read the same way by every listing of the API (GET /articles,
 * GET /media?owner=me): `limit` 1 to 100 (default 20) and an opaque `nextToken`; each parameter at
 * most once, and any parameter the route does not know is a 400 naming it.
 */

/**
 * The page size of every listing when `limit` is not given, and the largest `limit` accepted:
 * written once (the OpenAPI contract reads the same constants). Kept here rather than beside the
 * article body schemas, so a function that lists (media) does not build those schemas at load.
 */
export const DEFAULT_LIST_LIMIT = 20;
export const MAX_LIST_LIMIT = 100;

export interface ListQuery {
  limit: number;
  nextToken?: string;
  /** The route's own parameters (`extra`), as given. */
  extra: Readonly<Record<string, string>>;
}

export function listParameters(event: APIGatewayProxyEvent, extra: readonly string[] = []): ListQuery {
  const known = new Set(['limit', 'nextToken', ...extra]);
  for (const [name, values] of Object.entries(event.multiValueQueryStringParameters ?? {})) {
    if (values !== undefined && values.length > 1)
      throw new ValidationError(safeName(name), 'must be given at most once');
  }
  const query = event.queryStringParameters ?? {};
  for (const name of Object.keys(query)) {
    if (!known.has(name)) throw new ValidationError(safeName(name), 'is not a known query parameter');
  }
  const { limit: rawLimit, nextToken } = query;
  const extras = Object.fromEntries(
    extra.flatMap((name) => {
      const value = query[name];
      return value === undefined ? [] : [[name, value] as const];
    }),
  );

  let limit = DEFAULT_LIST_LIMIT;
  if (rawLimit !== undefined) {
    limit = /^[0-9]{1,3}$/.test(rawLimit) ? Number(rawLimit) : Number.NaN;
    if (!(limit >= 1 && limit <= MAX_LIST_LIMIT)) {
      throw new ValidationError('limit', `must be an integer from 1 to ${MAX_LIST_LIMIT}`);
    }
  }
  if (nextToken === undefined) return { limit, extra: extras };
  if (nextToken === '') throw new ValidationError('nextToken', 'is not a valid page token');
  return { limit, nextToken, extra: extras };
}

function safeName(name: string): string {
  return /^[A-Za-z_][\w-]{0,63}$/.test(name) ? name : JSON.stringify(name.slice(0, 64));
}
