import * as z from 'zod/mini';
import { articleListingSchema, articleSchema } from '../articles/responses';
import { mediaListingSchema, mediaViewSchema, uploadTicketSchema } from '../media/responses';
import { BODY_SCHEMAS, type BodyModelName } from './body-models';
import { DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT } from './list-query';
import { ID_PATTERN } from './ids';
import { errorResponseSchema } from './responses';
import { routes, type ApiFunctionName, type RouteDefinition, type RouteKeyOf } from './routes';

/** `METHOD /resource` of each route in routes.ts. */
type RouteKey = RouteKeyOf<ApiFunctionName>;

/**
 * The REST API's OpenAPI 3.1 document, built from the route table (routes.ts), the request body
 * schemas the functions parse with (body-models.ts) and the response schemas tied to what the
 * handlers return (responses.ts beside each function). `npm run docs:openapi` writes it to
 * docs/openapi.json; the twin serves it at GET /openapi.json; a test fails when the file is stale.
 */

type ResponseSchemaName = 'Article' | 'ArticleListing' | 'UploadTicket' | 'MediaView' | 'MediaListing';

const RESPONSE_SCHEMAS: Readonly<Record<ResponseSchemaName | 'Error', z.core.$ZodType>> = {
  Article: articleSchema,
  ArticleListing: articleListingSchema,
  UploadTicket: uploadTicketSchema,
  MediaView: mediaViewSchema,
  MediaListing: mediaListingSchema,
  Error: errorResponseSchema,
};

/** Refusals in the contract's error shape, by status (functions/api/errors.ts, the gateway responses). */
const ERROR_RESPONSES = {
  400: { name: 'BadRequest', description: 'VALIDATION_ERROR: the message names the field at fault.' },
  401: {
    name: 'Unauthorized',
    description: 'UNAUTHORIZED: no token, or a token the authorizer refused (expired, forged, another pool).',
  },
  403: {
    name: 'Forbidden',
    description: 'FORBIDDEN: only the author may change or delete an article, only the owner delete a media.',
  },
  404: { name: 'NotFound', description: 'NOT_FOUND: no such article or media.' },
  409: {
    name: 'Conflict',
    description: 'CONFLICT: the media is still PROCESSING (a few seconds); delete it once it is final.',
  },
  413: {
    name: 'PayloadTooLarge',
    description:
      'PAYLOAD_TOO_LARGE: a body over 64 KiB, or an upload larger than the stage allows. (Above API Gateway\'s 10 MB limit a deployed API answers 413 with API Gateway\'s own body, `{"message": ...}`, which cannot be customised.)',
  },
  415: {
    name: 'UnsupportedMediaType',
    description: 'UNSUPPORTED_MEDIA_TYPE: the body is not `application/json`, or the upload type is not accepted.',
  },
  429: {
    name: 'TooManyRequests',
    description:
      'Throttled by the stage, or (POST /media/uploads) UPLOAD_QUOTA_EXCEEDED: the daily upload quota is used up.',
  },
  500: { name: 'InternalError', description: 'INTERNAL_ERROR: a fault of the function; never a stack trace.' },
  502: { name: 'BadGateway', description: 'INTERNAL_ERROR: the integration failed or answered in the wrong shape.' },
} as const;
type ErrorStatus = keyof typeof ERROR_RESPONSES;

/** Every route can answer these: a bad parameter, an oversized body, throttling, a fault. */
const COMMON_ERRORS: readonly ErrorStatus[] = [400, 413, 429, 500, 502];

interface OperationContract {
  operationId: string;
  summary: string;
  description?: string;
  tag: 'articles' | 'media';
  success: { status: 200 | 201 | 204; description: string; schema?: ResponseSchemaName };
  /** Refusals beyond COMMON_ERRORS (401 is added to every authenticated route). */
  errors: readonly ErrorStatus[];
  query?: readonly QueryParameter[];
}

interface QueryParameter {
  name: string;
  description: string;
  schema: Record<string, unknown>;
}

/** The query of a listing that pages through `items`: the page size and the token of the next page. */
function pageQuery(items: string): QueryParameter[] {
  return [
    {
      name: 'limit',
      description: `${items} per page (default ${DEFAULT_LIST_LIMIT}).`,
      schema: { type: 'integer', minimum: 1, maximum: MAX_LIST_LIMIT, default: DEFAULT_LIST_LIMIT },
    },
    {
      name: 'nextToken',
      description: 'The `nextToken` of the previous page: opaque and signed.',
      schema: { type: 'string', minLength: 1 },
    },
  ];
}

/**
 * What routes.ts does not say about each route. Keyed by route, so a route added to routes.ts
 * without its contract here fails to compile.
 */
export const OPERATIONS: Readonly<Record<RouteKey, OperationContract>> = {
  'POST /articles': {
    operationId: 'createArticle',
    summary: 'Write an article',
    description:
      'A cover (`coverMediaId`) must be media you uploaded that is not REJECTED, FAILED or EXPIRED. Duplicate tags are dropped.',
    tag: 'articles',
    success: { status: 201, description: 'The article as stored.', schema: 'Article' },
    errors: [415],
  },
  'GET /articles': {
    operationId: 'listArticles',
    summary: 'List articles, newest first',
    description:
      'Eventually consistent on AWS (a global secondary index): read your own writes from the write or GET /articles/{id}.',
    tag: 'articles',
    success: { status: 200, description: 'One page of articles.', schema: 'ArticleListing' },
    errors: [],
    query: pageQuery('Articles'),
  },
  'GET /articles/{id}': {
    operationId: 'getArticle',
    summary: 'Read an article',
    tag: 'articles',
    success: { status: 200, description: 'The article (strongly consistent).', schema: 'Article' },
    errors: [404],
  },
  'PUT /articles/{id}': {
    operationId: 'replaceArticle',
    summary: 'Replace an article (author only)',
    description: 'A full replacement: an optional field left out is removed.',
    tag: 'articles',
    success: { status: 200, description: 'The article as stored.', schema: 'Article' },
    errors: [403, 404, 415],
  },
  'DELETE /articles/{id}': {
    operationId: 'deleteArticle',
    summary: 'Delete an article (author only)',
    tag: 'articles',
    success: { status: 204, description: 'Deleted.' },
    errors: [403, 404],
  },
  'POST /media/uploads': {
    operationId: 'createUpload',
    summary: 'Get a presigned POST for one photo',
    description:
      'POST a multipart form to `url`: every entry of `fields` first, then the file as `file`. The policy pins the key, the Content-Type and a size of 1..contentLength bytes. Each user gets a limited number per UTC day.',
    tag: 'media',
    success: { status: 201, description: 'The upload form.', schema: 'UploadTicket' },
    errors: [415],
  },
  'GET /media/{id}': {
    operationId: 'getMedia',
    summary: 'Read a photo: status, renditions, labels',
    description:
      'Status goes PENDING → PROCESSING → READY | REJECTED | FAILED. Rendition URLs are short-lived signed GET URLs, only on READY media.',
    tag: 'media',
    success: { status: 200, description: 'The media.', schema: 'MediaView' },
    errors: [404],
  },
  'GET /media': {
    operationId: 'listOwnMedia',
    summary: "List the caller's own media, newest first",
    description:
      'Each item as GET /media/{id} shows it, with its status (DELETING: an erasure that was interrupted; DELETE again finishes it).',
    tag: 'media',
    success: { status: 200, description: "One page of the caller's media.", schema: 'MediaListing' },
    errors: [],
    query: [
      { name: 'owner', description: 'Must be `me`: only your own media can be listed.', schema: { const: 'me' } },
      ...pageQuery('Media'),
    ],
  },
  'DELETE /media/{id}': {
    operationId: 'deleteMedia',
    summary: 'Erase a photo (owner only)',
    description:
      'Erases the record and every object of the media (original, renditions, analysis image, every version of each). A second DELETE answers 404.',
    tag: 'media',
    success: { status: 204, description: 'Erased.' },
    errors: [403, 404, 409],
  },
};

/** API Gateway's answer to a CORS preflight (defaultCorsPreflightOptions), on every path. */
const PREFLIGHT_HEADERS = [
  'Access-Control-Allow-Headers',
  'Access-Control-Allow-Methods',
  'Access-Control-Allow-Origin',
];

const ref = (kind: 'schemas' | 'responses', name: string): { $ref: string } => ({
  $ref: `#/components/${kind}/${name}`,
});

/** zod's JSON Schema (draft 2020-12, the dialect of OpenAPI 3.1) for a set of named schemas. */
function componentSchemas(
  schemas: Readonly<Record<string, z.core.$ZodType>>,
  io: 'input' | 'output',
): Record<string, unknown> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(schemas)) registry.add(schema, { id });
  const { schemas: generated } = z.toJSONSchema(registry, {
    target: 'draft-2020-12',
    io,
    uri: (id) => `#/components/schemas/${id}`,
  });
  return Object.fromEntries(
    Object.entries(generated).map(([id, schema]) => {
      const { $schema: _dialect, $id: _id, ...rest } = schema as Record<string, unknown>;
      return [id, rest];
    }),
  );
}

function requestBodyName(model: BodyModelName): string {
  return `${model}Request`;
}

function operationObject(route: RouteDefinition, contract: OperationContract): Record<string, unknown> {
  const errorStatuses = [
    ...new Set([...COMMON_ERRORS, ...(route.auth ? [401 as const] : []), ...contract.errors]),
  ].sort((a, b) => a - b);
  const { success } = contract;
  const responses: Record<string, unknown> = {
    [success.status]: {
      description: success.description,
      ...(success.schema ? { content: { 'application/json': { schema: ref('schemas', success.schema) } } } : {}),
    },
  };
  for (const status of errorStatuses) responses[status] = ref('responses', ERROR_RESPONSES[status].name);
  const parameters = (contract.query ?? []).map((q) => ({ in: 'query', required: false, ...q }));
  return {
    operationId: contract.operationId,
    summary: contract.summary,
    ...(contract.description ? { description: contract.description } : {}),
    tags: [contract.tag],
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(route.bodyModel
      ? {
          requestBody: {
            required: true,
            content: { 'application/json': { schema: ref('schemas', requestBodyName(route.bodyModel)) } },
          },
        }
      : {}),
    ...(route.auth ? { security: [{ bearerAuth: [] }] } : {}),
    responses,
  };
}

export interface OpenApiOptions {
  /** The servers the document names. @default the local twin on its default port and a deployed stage */
  servers?: readonly { url: string; description: string }[];
}

/** The OpenAPI 3.1 document of the REST API. Deterministic: the same inputs give the same JSON. */
export function buildOpenApiDocument(options: OpenApiOptions = {}): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes as readonly RouteDefinition[]) {
    const key = `${route.method} ${route.resource}` as RouteKey;
    const item = (paths[route.resource] ??= route.resource.includes('{id}')
      ? {
          parameters: [
            { name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: ID_PATTERN.source } },
          ],
        }
      : {});
    item[route.method.toLowerCase()] = operationObject(route, OPERATIONS[key]);
  }
  for (const item of Object.values(paths)) {
    item.options = {
      summary: 'CORS preflight',
      description: 'Answered by API Gateway itself; `Access-Control-Allow-Origin` only for an allowed origin.',
      tags: ['cors'],
      responses: {
        204: {
          description: 'The methods and headers a browser may use.',
          headers: Object.fromEntries(PREFLIGHT_HEADERS.map((name) => [name, { schema: { type: 'string' } }])),
        },
      },
    };
  }

  const bodyModels = [...new Set(routes.flatMap((route) => ('bodyModel' in route ? [route.bodyModel] : [])))].sort();
  const requestSchemas = componentSchemas(
    Object.fromEntries(bodyModels.map((model) => [requestBodyName(model), BODY_SCHEMAS[model]])),
    'input',
  );
  const responseSchemas = componentSchemas(RESPONSE_SCHEMAS, 'output');

  const errorResponses = Object.fromEntries(
    Object.entries(ERROR_RESPONSES).map(([status, { name, description }]) => [
      name,
      {
        description: `${status}, ${description}`,
        ...(Number(status) === 429
          ? {
              headers: {
                'Retry-After': {
                  description: 'On UPLOAD_QUOTA_EXCEEDED: seconds until the quota resets (the next UTC midnight).',
                  schema: { type: 'integer', minimum: 1 },
                },
              },
            }
          : {}),
        content: { 'application/json': { schema: ref('schemas', 'Error') } },
      },
    ]),
  );

  return {
    openapi: '3.1.0',
    info: {
      title: 'Travel Guide API',
      version: '1',
      description:
        'Articles and their photos. Photos go from the browser straight to S3 with a presigned POST (POST /media/uploads), then through the media pipeline; read the outcome with GET /media/{id}. Every refusal has the shape `{"error": {"code", "message"}}`, and so has the 404 for a path or method not listed here (`Route not found`). Generated from functions/api/routes.ts and the zod schemas of the functions; do not edit by hand.',
    },
    servers: options.servers ?? [
      { url: 'http://127.0.0.1:3000', description: 'The local twin (`npm start`)' },
      {
        url: 'https://{restApiId}.execute-api.{region}.amazonaws.com/v1',
        description: 'A deployed stage (the stack output ApiUrl)',
        variables: { restApiId: { default: 'abcdef1234' }, region: { default: 'eu-west-1' } },
      },
    ],
    tags: [
      { name: 'articles', description: 'Articles: public reads, authored writes.' },
      { name: 'media', description: 'Photo uploads and their processing.' },
      { name: 'cors', description: 'Browser preflight requests.' },
    ],
    paths,
    components: {
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description:
            'A Cognito ID token of the stage user pool; in the local twin, the token from POST /_local/token.',
        },
      },
      schemas: { ...requestSchemas, ...responseSchemas },
      responses: errorResponses,
    },
  };
}
