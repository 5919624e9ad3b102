import { randomUUID } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { documentClient } from '../shared/dynamodb-client';
import { s3Client } from '../shared/s3-client';
import { numberEnv, requireEnv } from '../shared/config';
import { logger as sharedLogger, tracer } from '../shared/powertools';
import { ArticlesService } from './articles-service';
import { DynamoArticleStore, DynamoMediaStore } from './dynamodb-stores';
import { ApiError, MethodNotAllowedError, NotFoundError, UnauthorizedError, ValidationError } from './errors';
import {
  INTERNAL_ERROR_RESPONSE_BODY,
  errorResponse,
  header,
  jsonResponse,
  noContent,
  parseWith,
  readJsonObject,
  withStandardHeaders,
} from './http';
import { MediaService } from './media-service';
import { PageTokenCodec } from './page-token';
import type { ArticleStore, Clock, DownloadSigner, IdGenerator, MediaStore, UploadSigner } from './ports';
import { routeKey, routes } from './routes';
import type { Route } from './routes';
import { S3DownloadSigner, S3UploadSigner } from './s3-signers';
import { ID_PATTERN, createArticleSchema, createUploadSchema, updateArticleSchema } from './schemas';

/**
 * The articles function: the REST API of DESIGN.md behind API Gateway (REST, Lambda proxy).
 * This module is the thin seam: it dispatches on `${httpMethod} ${resource}`, checks the caller,
 * reads and validates inputs, calls the services and maps their errors to the contract's shape.
 */

export interface ArticlesSettings {
  /** MAX_UPLOAD_BYTES. @default 20971520 */
  maxUploadBytes: number;
  /** UPLOAD_URL_TTL_SECONDS. @default 300 */
  uploadUrlTtlSeconds: number;
  /** DOWNLOAD_URL_TTL_SECONDS. @default 300 */
  downloadUrlTtlSeconds: number;
  /** PAGE_TOKEN_SECRET: HMAC key of `nextToken`; at least 32 characters. */
  pageTokenSecret: string;
  /** ALLOWED_ORIGINS: origins that get an Access-Control-Allow-Origin header. @default none */
  allowedOrigins: readonly string[];
}

export interface ArticlesHandlerDeps {
  articles: ArticleStore;
  media: MediaStore;
  uploadSigner: UploadSigner;
  downloadSigner: DownloadSigner;
  settings: ArticlesSettings;
  /** @default the system clock */
  clock?: Clock;
  /** @default crypto.randomUUID */
  ids?: IdGenerator;
  /** @default the shared Powertools logger */
  logger?: Logger;
}

export type ArticlesHandler = (event: APIGatewayProxyEvent, context?: Context) => Promise<APIGatewayProxyResult>;

const MIN_SECRET_LENGTH = 32;
const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 100;
const LIST_QUERY_PARAMETERS = new Set(['limit', 'nextToken']);
const ID_RULE = 'must be 1 to 128 letters, digits, "-" or "_"';

interface Request {
  event: APIGatewayProxyEvent;
  /** The caller's Cognito `sub`; present on every route with `auth: true`. */
  userId: string | undefined;
}

type Operation = (request: Request) => Promise<APIGatewayProxyResult>;

/** The keys of the routes that exist (routes.ts' RouteKey also spans method/resource pairs that do not). */
type DefinedRouteKey = Route extends infer R ? (R extends Route ? `${R['method']} ${R['resource']}` : never) : never;

export function createHandler(deps: ArticlesHandlerDeps): ArticlesHandler {
  const { settings } = deps;
  if (settings.pageTokenSecret.length < MIN_SECRET_LENGTH) {
    throw new Error(`PAGE_TOKEN_SECRET must be at least ${MIN_SECRET_LENGTH} characters`);
  }
  const log = deps.logger ?? sharedLogger;
  const clock = deps.clock ?? { now: () => new Date() };
  const ids = deps.ids ?? { newId: () => randomUUID() };
  const allowedOrigins = new Set(settings.allowedOrigins);

  const articles = new ArticlesService({
    articles: deps.articles,
    media: deps.media,
    clock,
    ids,
    pageTokens: new PageTokenCodec(settings.pageTokenSecret),
  });
  const media = new MediaService({
    media: deps.media,
    uploadSigner: deps.uploadSigner,
    downloadSigner: deps.downloadSigner,
    clock,
    ids,
    settings: {
      maxUploadBytes: settings.maxUploadBytes,
      uploadUrlTtlSeconds: settings.uploadUrlTtlSeconds,
      downloadUrlTtlSeconds: settings.downloadUrlTtlSeconds,
    },
  });

  // Keyed by route, so adding a route to routes.ts without an operation fails to compile.
  const operations: Record<DefinedRouteKey, Operation> = {
    'POST /articles': async ({ event, userId }) => {
      const input = parseWith(createArticleSchema, readJsonObject(event));
      return jsonResponse(201, await articles.create(required(userId), input));
    },
    'GET /articles': async ({ event }) => {
      const { limit, nextToken } = listParameters(event);
      return jsonResponse(200, await articles.listNewest(limit, nextToken));
    },
    'GET /articles/{id}': async ({ event }) => jsonResponse(200, await articles.get(pathId(event))),
    'PUT /articles/{id}': async ({ event, userId }) => {
      const id = pathId(event);
      const input = parseWith(updateArticleSchema, readJsonObject(event));
      return jsonResponse(200, await articles.replace(id, required(userId), input));
    },
    'DELETE /articles/{id}': async ({ event, userId }) => {
      await articles.delete(pathId(event), required(userId));
      return noContent();
    },
    'POST /media/uploads': async ({ event, userId }) => {
      const input = parseWith(createUploadSchema, readJsonObject(event));
      return jsonResponse(201, await media.createUpload(required(userId), input));
    },
    'GET /media/{id}': async ({ event }) => jsonResponse(200, await media.view(pathId(event))),
  };

  async function dispatch(event: APIGatewayProxyEvent, key: string, userId: string | undefined): Promise<APIGatewayProxyResult> {
    const route = routes.find((candidate) => routeKey(candidate) === key);
    if (route === undefined) {
      const allowed = routes.filter((candidate) => candidate.resource === event.resource).map((candidate) => candidate.method);
      if (allowed.length > 0) throw new MethodNotAllowedError(`Method ${safeMethod(event.httpMethod)} is not allowed here`, allowed);
      throw new NotFoundError('Route not found');
    }
    // API Gateway's Cognito authorizer already refused anonymous calls; checked again so a
    // misconfigured method or another front end (the local twin) cannot skip authentication.
    if (route.auth && userId === undefined) throw new UnauthorizedError('Authentication required');
    return operations[routeKey(route) as DefinedRouteKey]({ event, userId });
  }

  return async (event, context) => {
    const key = `${event.httpMethod} ${event.resource}`;
    const userId = callerId(event);
    log.appendKeys({
      requestId: context?.awsRequestId ?? event.requestContext?.requestId,
      route: key.slice(0, 200),
      ...(userId === undefined ? {} : { userId }),
    });
    let response: APIGatewayProxyResult;
    try {
      response = await traced(key, () => dispatch(event, key, userId));
    } catch (error: unknown) {
      if (error instanceof ApiError) {
        log.info('Request refused', { status: error.status, code: error.code, reason: error.message });
        response = errorResponse(error);
      } else {
        // The stack goes to the log only; the client learns nothing about internals.
        if (error instanceof Error) log.error('Unexpected error', error);
        else log.error('Unexpected error', { error: String(error) });
        response = jsonResponse(500, INTERNAL_ERROR_RESPONSE_BODY);
      }
    } finally {
      log.resetKeys();
    }
    return withStandardHeaders(response, header(event, 'origin'), allowedOrigins);
  };
}

/** Runs the operation in its own X-Ray subsegment (annotations are not allowed on Lambda's facade segment). */
async function traced<T>(key: string, operation: () => Promise<T>): Promise<T> {
  if (!tracer.isTracingEnabled()) return operation();
  const segment = tracer.getSegment();
  if (segment === undefined) return operation();
  const subsegment = segment.addNewSubsegment(`## ${key}`);
  tracer.setSegment(subsegment);
  try {
    tracer.annotateColdStart();
    tracer.putAnnotation('route', key);
    return await operation();
  } catch (error: unknown) {
    if (error instanceof Error && !(error instanceof ApiError)) tracer.addErrorAsMetadata(error);
    throw error;
  } finally {
    subsegment.close();
    tracer.setSegment(segment);
  }
}

/**
 * The Cognito `sub` from the authorizer's claims. A sub that is not a safe id is treated as no
 * caller at all: it becomes part of S3 keys (`uploads/{sub}/...`) and must match their alphabet.
 */
function callerId(event: APIGatewayProxyEvent): string | undefined {
  const claims: unknown = event.requestContext?.authorizer?.claims;
  if (typeof claims !== 'object' || claims === null) return undefined;
  const sub: unknown = (claims as Record<string, unknown>).sub;
  return typeof sub === 'string' && ID_PATTERN.test(sub) ? sub : undefined;
}

/** Auth routes are checked in `dispatch`; this only narrows the type for the operations. */
function required(userId: string | undefined): string {
  if (userId === undefined) throw new UnauthorizedError('Authentication required');
  return userId;
}

function pathId(event: APIGatewayProxyEvent): string {
  const id = event.pathParameters?.id;
  if (typeof id !== 'string' || !ID_PATTERN.test(id)) throw new ValidationError('id', ID_RULE);
  return id;
}

function listParameters(event: APIGatewayProxyEvent): { limit: number; nextToken?: string } {
  for (const [name, values] of Object.entries(event.multiValueQueryStringParameters ?? {})) {
    if (values !== undefined && values.length > 1) throw new ValidationError(safeName(name), 'must be given at most once');
  }
  const query = event.queryStringParameters ?? {};
  for (const name of Object.keys(query)) {
    if (!LIST_QUERY_PARAMETERS.has(name)) throw new ValidationError(safeName(name), 'is not a known query parameter');
  }
  const { limit: rawLimit, nextToken } = query;

  let limit = DEFAULT_LIMIT;
  if (rawLimit !== undefined) {
    limit = /^[0-9]{1,3}$/.test(rawLimit) ? Number(rawLimit) : Number.NaN;
    if (!(limit >= 1 && limit <= MAX_LIMIT)) {
      throw new ValidationError('limit', `must be an integer from 1 to ${MAX_LIMIT}`);
    }
  }
  if (nextToken === undefined) return { limit };
  if (nextToken === '') throw new ValidationError('nextToken', 'is not a valid page token');
  return { limit, nextToken };
}

function safeName(name: string): string {
  return /^[A-Za-z_][\w-]{0,63}$/.test(name) ? name : JSON.stringify(name.slice(0, 64));
}

function safeMethod(method: string): string {
  return /^[A-Z]{1,10}$/.test(method) ? method : 'this method';
}

/** Reads the function's environment (set by the CDK construct or the local twin). */
export function settingsFromEnv(): ArticlesSettings {
  const positiveInteger = (name: string, fallback: number): number => {
    const value = numberEnv(name, fallback);
    if (!Number.isSafeInteger(value) || value < 1) throw new Error(`Environment variable ${name} must be a positive integer`);
    return value;
  };
  return {
    maxUploadBytes: positiveInteger('MAX_UPLOAD_BYTES', 20_971_520),
    uploadUrlTtlSeconds: positiveInteger('UPLOAD_URL_TTL_SECONDS', 300),
    downloadUrlTtlSeconds: positiveInteger('DOWNLOAD_URL_TTL_SECONDS', 300),
    pageTokenSecret: requireEnv('PAGE_TOKEN_SECRET'),
    allowedOrigins: (process.env.ALLOWED_ORIGINS ?? '')
      .split(',')
      .map((origin) => origin.trim())
      .filter((origin) => origin !== ''),
  };
}

/** The AWS wiring: DynamoDB tables and the media bucket named by the environment. */
export function awsDependencies(): ArticlesHandlerDeps {
  const bucket = requireEnv('MEDIA_BUCKET_NAME');
  return {
    articles: new DynamoArticleStore(documentClient(), requireEnv('ARTICLES_TABLE_NAME')),
    media: new DynamoMediaStore(documentClient(), requireEnv('MEDIA_TABLE_NAME')),
    uploadSigner: new S3UploadSigner(s3Client(), bucket),
    downloadSigner: new S3DownloadSigner(s3Client(), bucket),
    settings: settingsFromEnv(),
  };
}

let lambdaHandler: ArticlesHandler | undefined;

/**
 * What Lambda calls. Wired on the first invocation rather than at import, so tests and the local
 * twin can import `createHandler` without this function's environment; a missing variable still
 * fails that first invocation loudly.
 */
export const handler: ArticlesHandler = (event, context) => {
  lambdaHandler ??= createHandler(awsDependencies());
  return lambdaHandler(event, context);
};
