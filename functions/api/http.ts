import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { safeParse } from 'zod/mini';
import type * as z from 'zod/mini';
import '../shared/zod-locale';
import type { ApiError } from './errors';
import {
  MethodNotAllowedError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
  UploadQuotaExceededError,
  ValidationError,
} from './errors';

/**
 * HTTP edge of the REST API functions (articles, media): reading bodies, headers and query
 * strings defensively, and writing JSON responses in the contract's shape. Nothing here knows
 * about articles or media.
 */

/** Largest request body accepted, in bytes (after base64 decoding). */
export const MAX_BODY_BYTES = 64 * 1024;

export function header(event: APIGatewayProxyEvent, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === wanted && value !== undefined) return value;
  }
  return undefined;
}

/**
 * The request body as a JSON object. Checks, in order: Content-Type is JSON (415), the byte
 * size (413, measured on the decoded bytes when API Gateway base64-encoded them), UTF-8,
 * JSON syntax, and that the top level is an object (400).
 */
export function readJsonObject(event: APIGatewayProxyEvent): Record<string, unknown> {
  assertJsonContentType(header(event, 'content-type'));

  const raw = event.body;
  if (raw === null || raw === undefined || raw === '') throw new ValidationError('body', 'is required');
  const bytes = decodeBody(raw, event.isBase64Encoded === true);

  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new ValidationError('body', 'must be UTF-8 encoded');
  }

  let value: unknown;
  try {
    // JSON.parse defines "__proto__" as an ordinary own key (it never sets a prototype); the
    // strict schemas then reject it, like any other unknown key.
    value = JSON.parse(text);
  } catch {
    throw new ValidationError('body', 'must be valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ValidationError('body', 'must be a JSON object');
  }
  return value as Record<string, unknown>;
}

function assertJsonContentType(contentType: string | undefined): void {
  if (contentType === undefined) throw new UnsupportedMediaTypeError('content-type: must be application/json');
  const [mediaType, ...parameters] = contentType.split(';').map((part) => part.trim().toLowerCase());
  const charsetOk = parameters.every(
    (parameter) => !parameter.startsWith('charset=') || /^charset="?utf-8"?$/.test(parameter),
  );
  if (mediaType !== 'application/json' || !charsetOk) {
    throw new UnsupportedMediaTypeError('content-type: must be application/json');
  }
}

function decodeBody(raw: string, base64: boolean): Buffer {
  const tooLarge = (): PayloadTooLargeError =>
    new PayloadTooLargeError(`body: must be at most ${MAX_BODY_BYTES} bytes`);
  if (base64) {
    // Refuse before decoding when even the encoded length says it is too big.
    if (raw.length > Math.ceil(MAX_BODY_BYTES / 3) * 4 + 4) throw tooLarge();
    const bytes = Buffer.from(raw, 'base64');
    if (bytes.length > MAX_BODY_BYTES) throw tooLarge();
    return bytes;
  }
  // Every UTF-16 unit is at least one UTF-8 byte, so a long string is refused without encoding it.
  if (raw.length > MAX_BODY_BYTES || Buffer.byteLength(raw, 'utf8') > MAX_BODY_BYTES) throw tooLarge();
  return Buffer.from(raw, 'utf8');
}

/**
 * Parses with a zod schema; a failure becomes a 400 whose message names the offending fields,
 * at most MAX_REPORTED_PROBLEMS of them, so a body of a thousand unknown keys gets a short answer.
 */
export function parseWith<S extends z.core.$ZodType>(schema: S, value: unknown): z.output<S> {
  const result = safeParse(schema, value, { error: describeIssue });
  if (result.success) return result.data;
  // A value of the wrong type fails its type and then every check of that field (zod runs them
  // all): only the type is reported, so `{"title": []}` does not also read "must not be blank".
  const wrongType = new Set(
    result.error.issues.filter((issue) => issue.code === 'invalid_type').map((issue) => fieldName(issue.path)),
  );
  const issues = result.error.issues.filter(
    (issue) => issue.code === 'invalid_type' || !wrongType.has(fieldName(issue.path)),
  );
  const problems = issues.flatMap(describeProblems);
  const shown = problems.slice(0, MAX_REPORTED_PROBLEMS);
  const more = problems.length - shown.length;
  const first = issues[0];
  const field = first ? fieldName(first.path) : 'body';
  throw new ValidationError(field, 'is invalid', `${shown.join('; ')}${more > 0 ? `; and ${more} more` : ''}`);
}

const MAX_REPORTED_PROBLEMS = 5;

/** Messages for issues the schemas leave to the defaults: types, missing and unknown fields. */
function describeIssue(issue: z.core.$ZodRawIssue): string | undefined {
  if (issue.code === 'invalid_type') {
    if (issue.input === undefined) return 'is required';
    const expected = String(issue.expected);
    if (expected === 'int') return 'must be an integer';
    return `must be ${/^[aeiou]/.test(expected) ? 'an' : 'a'} ${expected}`;
  }
  return undefined;
}

/** One `field: problem` line per offending field (an unknown-keys issue names several). */
function describeProblems(issue: z.core.$ZodIssue): string[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => `${fieldName([...issue.path, key])}: unknown field`);
  }
  return [`${fieldName(issue.path)}: ${issue.message}`];
}

/** `location.lat`, `tags[2]`; odd keys (hostile or huge) are quoted and cut short. */
function fieldName(path: readonly PropertyKey[]): string {
  if (path.length === 0) return 'body';
  return path
    .map((segment, index) => {
      if (typeof segment === 'number') return `[${segment}]`;
      const name = String(segment);
      const safe = /^[A-Za-z_$][\w$-]{0,63}$/.test(name) ? name : JSON.stringify(name.slice(0, 64));
      return index === 0 ? safe : `.${safe}`;
    })
    .join('');
}

export function jsonResponse(status: number, body: unknown): APIGatewayProxyResult {
  return { statusCode: status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

export function noContent(): APIGatewayProxyResult {
  return { statusCode: 204, headers: {}, body: '' };
}

export function errorResponse(error: ApiError): APIGatewayProxyResult {
  const response = jsonResponse(error.status, { error: { code: error.code, message: error.message } });
  if (error instanceof MethodNotAllowedError)
    response.headers = { ...response.headers, allow: error.allowed.join(', ') };
  if (error instanceof UploadQuotaExceededError) {
    // Retry-After is not a CORS-safelisted response header: a browser app reads it only if exposed.
    response.headers = {
      ...response.headers,
      'retry-after': String(error.retryAfterSeconds),
      'access-control-expose-headers': 'Retry-After',
    };
  }
  return response;
}

export const INTERNAL_ERROR_RESPONSE_BODY = { error: { code: 'INTERNAL_ERROR', message: 'Internal error' } };

/**
 * Headers every response carries: CORS only for a configured origin (echoing any origin would
 * let every site read responses), `Vary: Origin` so caches keep those answers apart, and no
 * caching or sniffing of API responses (media views hold signed URLs).
 */
export function withStandardHeaders(
  response: APIGatewayProxyResult,
  origin: string | undefined,
  allowedOrigins: ReadonlySet<string>,
): APIGatewayProxyResult {
  const headers: Record<string, string | number | boolean> = {
    ...response.headers,
    vary: 'Origin',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  };
  if (origin !== undefined && allowedOrigins.has(origin)) headers['access-control-allow-origin'] = origin;
  return { ...response, headers };
}
