import type { Stage } from '../config';

/**
 * The REST API's CORS preflight, for the stack (the API's `defaultCorsPreflightOptions`,
 * infra/constructs/api-gateway.ts) and the twin's gateway (local/api/server.ts) alike.
 * test/infra/twin-cors.test.ts compares the twin's answer with the synthesized OPTIONS methods.
 */
/**
 * The browser origins each stage allows by default (CORS on the API and on presigned POST uploads;
 * `-c allowedOrigins=` overrides them). Here, without CDK, so that the twin starts without loading it.
 */
export const STAGE_ALLOWED_ORIGINS = {
  dev: ['http://localhost:5173'],
  prod: ['https://travel-guide.example.com'],
} as const satisfies Record<Stage, readonly string[]>;

export const API_CORS_PREFLIGHT = {
  allowMethods: ['GET', 'POST', 'PUT', 'DELETE', 'OPTIONS'],
  allowHeaders: ['Authorization', 'Content-Type'],
  maxAgeSeconds: 3600,
} as const;

/**
 * The headers of API Gateway's answer (204) to a preflight under {@link API_CORS_PREFLIGHT}, as the
 * mock integration CDK builds for it answers: the first allowed origin, replaced by the request's
 * `Origin` when that is one of the others (the integration's response template); so an origin
 * that is not allowed gets the first one, which a browser refuses. `Vary: Origin` unless the
 * origin is `*`.
 */
export function preflightHeaders(
  allowedOrigins: readonly string[],
  requestOrigin: string | undefined,
): Readonly<Record<string, string>> {
  const [first] = allowedOrigins;
  const origin =
    requestOrigin !== undefined && requestOrigin !== '' && allowedOrigins.slice(1).includes(requestOrigin)
      ? requestOrigin
      : first;
  return {
    'Access-Control-Allow-Headers': API_CORS_PREFLIGHT.allowHeaders.join(','),
    ...(origin === undefined ? {} : { 'Access-Control-Allow-Origin': origin }),
    ...(first === undefined || first === '*' ? {} : { Vary: 'Origin' }),
    'Access-Control-Allow-Methods': API_CORS_PREFLIGHT.allowMethods.join(','),
    'Access-Control-Max-Age': String(API_CORS_PREFLIGHT.maxAgeSeconds),
  };
}

/**
 * The media bucket's CORS rule, for the stack (infra/constructs/media-bucket.ts) and the twin's S3
 * (local/emulators/s3.ts) alike: browsers of the allowed origins upload with the presigned POST
 * form and read renditions with signed GET URLs; only the Content-Type header may be sent, and no
 * response header is exposed. test/infra/twin-cors.test.ts compares both with it.
 */
export const BUCKET_CORS_RULE = {
  allowedMethods: ['POST', 'GET', 'HEAD'],
  allowedHeaders: ['content-type'],
  maxAgeSeconds: 3000,
} as const;

const xmlText = (value: string): string => value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** {@link BUCKET_CORS_RULE} for `allowedOrigins` as S3's CORSConfiguration document (PutBucketCors). */
export function bucketCorsXml(allowedOrigins: readonly string[]): string {
  const elements = [
    ...allowedOrigins.map((origin) => `<AllowedOrigin>${xmlText(origin)}</AllowedOrigin>`),
    ...BUCKET_CORS_RULE.allowedMethods.map((method) => `<AllowedMethod>${method}</AllowedMethod>`),
    ...BUCKET_CORS_RULE.allowedHeaders.map((header) => `<AllowedHeader>${header}</AllowedHeader>`),
    `<MaxAgeSeconds>${BUCKET_CORS_RULE.maxAgeSeconds}</MaxAgeSeconds>`,
  ];
  return `<CORSConfiguration><CORSRule>${elements.join('')}</CORSRule></CORSConfiguration>`;
}
