import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { ApiFunctionName } from '../../functions/api/routes';
import { lambdaContext } from '../lambda-context';
import type { IamReport } from '../iam/enforcer';
import type { RunLog } from '../pipeline/runs';
import { listenOnLoopback } from '../listen';
import { LOOPBACK } from '../settings';
import { type LocalTokenIssuer, USER_ID } from './auth';
import { renderDashboard } from './dashboard';
import { preflightHeaders } from '../../infra/definitions/cors';
import { gatewayResponseCorsHeaders, UNKNOWN_ROUTE_MESSAGE } from '../../infra/definitions/gateway-responses';
import { buildProxyEvent, knownResourcePath, lastHeader, matchRoute } from './gateway-event';

/**
 * The twin's HTTP front door: API Gateway's part for the REST API (routing, Cognito authorizer,
 * CORS preflight, proxy events, payload limit) and the twin's own `/_local/*` endpoints.
 */

type ApiFunctionHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

export interface HealthReport {
  ready: boolean;
  [detail: string]: unknown;
}

export interface ApiServerOptions {
  port: number;
  tokens: LocalTokenIssuer;
  /** The handler of each API function; a route goes to the function routes.ts names (`fn`), as its API Gateway integration does. */
  apiHandlers: Readonly<Record<ApiFunctionName, ApiFunctionHandler>>;
  runLog: RunLog;
  /** Step Functions' StartExecution for the media pipeline (POST /_local/executions {name, input}); resolves to the execution ARN. */
  startExecution?(name: string, input: unknown): Promise<string>;
  /**
   * The functions' dead-letter queues: GET /_local/dead-letters lists their messages, POST
   * /_local/dead-letters/redrive gives each message's event to its function once and deletes those it took.
   */
  deadLetters?: { list(): unknown; redrive(): Promise<unknown> };
  /** Every IAM decision the twin made, per function (GET /_local/iam, and a table on the dashboard). */
  iamReport?(): IamReport;
  health(): Promise<HealthReport>;
  /** Applies the bucket's expiry rules as if `daysFromNow` days had passed (POST /_local/lifecycle). */
  lifecycle?(daysFromNow: number): Promise<string[]>;
  /**
   * Runs the sweeper now, as its schedule would (POST /_local/sweep); resolves to its report, or
   * rejects with what the invocation threw.
   */
  sweep?(): Promise<unknown>;
  allowedOrigins: readonly string[];
  accountId: string;
  region: string;
  /**
   * API Gateway's payload limit: a larger body is read to its end (not kept) and answered 413
   * without calling the function. @default 10 MiB, API Gateway's quota for a REST API
   */
  maxBodyBytes?: number;
  /** The API's OpenAPI document for GET /openapi.json, naming `serverUrl` (this server) as its server. */
  openApiDocument?(serverUrl: string): unknown;
  /** The smallest rendition of READY media, for the dashboard's thumbnails (GET /_local/thumbnails/{mediaId}). */
  thumbnail?(mediaId: string): Promise<{ contentType: string; body: Buffer } | undefined>;
  /** Hand this server's API answers to observeApiExchanges (the twin's, which serve the real handlers). @default false */
  reportExchanges?: boolean;
}

/** One answer of the REST API (not of `/_local/*`), as the client received it. */
export interface ApiExchange {
  /** The method routed by (after X-HTTP-Method-Override). */
  method: string;
  path: string;
  status: number;
  contentType: string | undefined;
  body: Buffer;
}

const exchangeObservers = new Set<(exchange: ApiExchange) => void>();

/**
 * Calls `observer` with every answer an API server of this process started with `reportExchanges`
 * gives on an API path (the end-to-end tests check each against docs/openapi.json). Returns the function that stops it.
 */
export function observeApiExchanges(observer: (exchange: ApiExchange) => void): () => void {
  exchangeObservers.add(observer);
  return () => exchangeObservers.delete(observer);
}

/** Copies what is written to `res`, and hands it to the observers once the answer is sent. */
function recordExchange(req: IncomingMessage, res: ServerResponse, path: string): void {
  const chunks: Buffer[] = [];
  let contentType: string | undefined;
  const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse;
  res.writeHead = ((...args: unknown[]) => {
    const headers = args.find((arg): arg is Record<string, unknown> => typeof arg === 'object' && arg !== null);
    const found = Object.entries(headers ?? {}).find(([name]) => name.toLowerCase() === 'content-type');
    if (found !== undefined) contentType = String(found[1]);
    return writeHead(...args);
  }) as typeof res.writeHead;
  const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
  res.end = ((...args: unknown[]) => {
    const [chunk] = args;
    if (typeof chunk === 'string' || Buffer.isBuffer(chunk)) chunks.push(Buffer.from(chunk));
    return end(...args);
  }) as typeof res.end;
  res.on('finish', () => {
    const exchange: ApiExchange = {
      method: effectiveMethod(req),
      path,
      status: res.statusCode,
      contentType: contentType ?? (res.getHeader('content-type') as string | undefined),
      body: Buffer.concat(chunks),
    };
    for (const observer of exchangeObservers) observer(exchange);
  });
}

export interface ApiServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** API Gateway's maximum payload for a REST API (10 MB); up to it, a body reaches the function. */
export const GATEWAY_MAX_BODY_BYTES = 10 * 1024 * 1024;
/** The body limits of the twin's own endpoints. */
const TOKEN_MAX_BODY_BYTES = 4096;
const EXECUTIONS_MAX_BODY_BYTES = 64 * 1024;
/** POST /_local/lifecycle takes only {"daysFromNow": N}. */
const LIFECYCLE_MAX_BODY_BYTES = 4096;

/** A body over `limit` bytes: the 413 names the limit of the endpoint that refused it. */
class BodyTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`body over ${limit} bytes`);
  }
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
  res.end(text);
}

const errorBody = (code: string, message: string) => ({ error: { code, message } });

/**
 * The whole request body, read to its end whatever its size, so a client still sending gets the
 * answer rather than a reset connection; over `limit` bytes the rest is dropped, not kept, and
 * the result is a {@link BodyTooLargeError}.
 */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | BodyTooLargeError> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
      else chunks.length = 0;
    });
    req.on('end', () => resolve(size > limit ? new BodyTooLargeError(limit) : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** The body within `limit`, or a {@link BodyTooLargeError} thrown (answered 413 by the server). */
function within(body: Buffer | BodyTooLargeError, limit: number): Buffer {
  if (body instanceof BodyTooLargeError) throw body;
  if (body.length > limit) throw new BodyTooLargeError(limit);
  return body;
}

function firstHeader(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The method API Gateway routes by: a POST carrying `X-HTTP-Method-Override` is treated as the
 * method it names (API Gateway honours the header), so a client or proxy that can only send POST
 * reaches the same route on both.
 */
function effectiveMethod(req: IncomingMessage): string {
  const method = req.method ?? 'GET';
  const override = lastHeader(req.rawHeaders, 'x-http-method-override')?.trim().toUpperCase();
  return method === 'POST' && override !== undefined && override !== '' ? override : method;
}

export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const maxBodyBytes = options.maxBodyBytes ?? GATEWAY_MAX_BODY_BYTES;
  const allowedOrigins = new Set(options.allowedOrigins);
  // Every answer the gateway gives itself carries the CORS headers the stack adds to its gateway responses.
  const gatewayCors = Object.fromEntries(
    Object.entries(gatewayResponseCorsHeaders(options.allowedOrigins)).map(([name, value]) => [
      name.toLowerCase(),
      value,
    ]),
  );
  const gatewayError = (
    res: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): void => send(res, status, body, { ...gatewayCors, ...headers });
  const iamReport = (): IamReport =>
    options.iamReport?.() ?? { enforcing: false, allowed: 0, denied: 0, functions: [] };

  /**
   * CORS for `POST /_local/token`, so a front end on an allowed origin can sign in from the
   * browser: its preflight, and the origin on its answers.
   */
  const tokenCors = (req: IncomingMessage): Record<string, string> => {
    const origin = firstHeader(req, 'origin');
    return origin !== undefined && allowedOrigins.has(origin)
      ? { 'access-control-allow-origin': origin, vary: 'Origin' }
      : { vary: 'Origin' };
  };

  async function handleLocal(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    body: Buffer | BodyTooLargeError,
  ): Promise<void> {
    const method = req.method ?? 'GET';
    const route = `${method} ${path}`;
    const thumbnailOf = /^\/_local\/thumbnails\/([A-Za-z0-9_-]{1,128})$/.exec(path)?.[1];
    if (method === 'GET' && thumbnailOf !== undefined && options.thumbnail !== undefined) {
      const image = await options.thumbnail(thumbnailOf);
      if (image === undefined) send(res, 404, errorBody('NOT_FOUND', 'No READY media with a rendition'));
      else {
        res.writeHead(200, { 'content-type': image.contentType, 'cache-control': 'private, max-age=300' });
        res.end(image.body);
      }
      return;
    }
    switch (route) {
      case 'GET /_local/health': {
        const report = await options.health();
        send(res, report.ready ? 200 : 503, { status: report.ready ? 'ok' : 'unavailable', ...report });
        return;
      }
      case 'GET /_local/runs':
        send(res, 200, options.runLog.snapshot());
        return;
      case 'GET /_local/dashboard':
        send(res, 200, renderDashboard(options.runLog, iamReport()), { 'content-type': 'text/html; charset=utf-8' });
        return;
      case 'GET /_local/iam':
        send(res, 200, iamReport());
        return;
      case 'GET /_local/dead-letters':
        send(res, 200, options.deadLetters?.list() ?? {});
        return;
      case 'POST /_local/dead-letters/redrive':
        send(res, 200, (await options.deadLetters?.redrive()) ?? {});
        return;
      case 'OPTIONS /_local/token':
        res.writeHead(204, {
          ...tokenCors(req),
          'access-control-allow-methods': 'POST,OPTIONS',
          'access-control-allow-headers': 'Content-Type',
          'access-control-max-age': '3600',
        });
        res.end();
        return;
      case 'POST /_local/token': {
        const cors = tokenCors(req);
        if (body instanceof BodyTooLargeError || body.length > TOKEN_MAX_BODY_BYTES) {
          send(res, 413, errorBody('PAYLOAD_TOO_LARGE', `body: must be at most ${TOKEN_MAX_BODY_BYTES} bytes`), cors);
          return;
        }
        let userId: unknown;
        try {
          userId = (JSON.parse(body.toString('utf8')) as { userId?: unknown } | null)?.userId;
        } catch {
          send(res, 400, errorBody('VALIDATION_ERROR', 'body: must be valid JSON'), cors);
          return;
        }
        if (typeof userId !== 'string' || !USER_ID.test(userId)) {
          send(res, 400, errorBody('VALIDATION_ERROR', 'userId: must be 1 to 64 letters, digits, "-" or "_"'), cors);
          return;
        }
        send(res, 200, { token: options.tokens.issue(userId), tokenType: 'Bearer', expiresIn: 3600 }, cors);
        return;
      }
      case 'POST /_local/executions': {
        let request: { name?: unknown; input?: unknown } | null;
        try {
          request = JSON.parse(within(body, EXECUTIONS_MAX_BODY_BYTES).toString('utf8')) as {
            name?: unknown;
            input?: unknown;
          } | null;
        } catch (error: unknown) {
          if (error instanceof BodyTooLargeError) throw error;
          send(res, 400, errorBody('VALIDATION_ERROR', 'body: must be valid JSON'));
          return;
        }
        if (
          typeof request?.name !== 'string' ||
          typeof request.input !== 'object' ||
          request.input === null ||
          options.startExecution === undefined
        ) {
          send(res, 400, errorBody('VALIDATION_ERROR', 'body: must be {"name": string, "input": object}'));
          return;
        }
        try {
          send(res, 200, { executionArn: await options.startExecution(request.name, request.input) });
        } catch (error: unknown) {
          const exists = error instanceof Error && error.name === 'ExecutionAlreadyExists';
          send(
            res,
            exists ? 409 : 400,
            errorBody(
              exists ? 'EXECUTION_ALREADY_EXISTS' : 'VALIDATION_ERROR',
              error instanceof Error ? error.message : String(error),
            ),
          );
        }
        return;
      }
      case 'POST /_local/lifecycle': {
        let days: unknown;
        try {
          const text = within(body, LIFECYCLE_MAX_BODY_BYTES).toString('utf8');
          days = text === '' ? 0 : ((JSON.parse(text) as { daysFromNow?: unknown } | null)?.daysFromNow ?? 0);
        } catch (error: unknown) {
          if (error instanceof BodyTooLargeError) throw error;
          send(res, 400, errorBody('VALIDATION_ERROR', 'body: must be valid JSON'));
          return;
        }
        if (typeof days !== 'number' || !Number.isInteger(days) || days < 0 || days > 36_500) {
          send(res, 400, errorBody('VALIDATION_ERROR', 'daysFromNow: must be an integer from 0 to 36500'));
          return;
        }
        send(res, 200, { daysFromNow: days, expired: options.lifecycle ? await options.lifecycle(days) : [] });
        return;
      }
      case 'POST /_local/sweep': {
        if (options.sweep === undefined) {
          send(res, 404, errorBody('NOT_FOUND', 'Route not found'));
          return;
        }
        try {
          send(res, 200, { sweep: await options.sweep() });
        } catch (error: unknown) {
          // The invocation failed as Lambda reports it: the name and message, never a stack.
          const failure = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
          send(res, 502, errorBody('SWEEP_FAILED', failure));
        }
        return;
      }
      default: {
        const known = [
          '/_local/health',
          '/_local/runs',
          '/_local/dashboard',
          '/_local/iam',
          '/_local/token',
          '/_local/executions',
          '/_local/lifecycle',
          '/_local/sweep',
          '/_local/dead-letters',
          '/_local/dead-letters/redrive',
        ].includes(path);
        if (known) send(res, 405, errorBody('METHOD_NOT_ALLOWED', `Method not allowed on ${path}`));
        else send(res, 404, errorBody('NOT_FOUND', 'Route not found'));
      }
    }
  }

  async function handleApi(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    query: string,
    received: Buffer | BodyTooLargeError,
  ): Promise<void> {
    const method = effectiveMethod(req);
    if (method === 'OPTIONS' && knownResourcePath(path)) {
      // API Gateway answers preflight itself (the stack's mock integration); the handler never sees it.
      res.writeHead(204, preflightHeaders(options.allowedOrigins, firstHeader(req, 'origin')));
      res.end();
      return;
    }
    const match = matchRoute(method, path);
    if (match.kind === 'not-found' || match.kind === 'method-not-allowed') {
      // A REST API has no 405: API Gateway answers a method with no integration as it answers an
      // unknown path (MISSING_AUTHENTICATION_TOKEN, with or without an Authorization header),
      // which the stack maps to 404 NOT_FOUND with a fixed message.
      gatewayError(res, 404, errorBody('NOT_FOUND', UNKNOWN_ROUTE_MESSAGE));
      return;
    }

    let claims: Record<string, string> | undefined;
    if (match.route.auth) {
      // The Cognito authorizer answers before the function runs, with API Gateway's message in the
      // error shape the stack's UNAUTHORIZED gateway response gives it (infra/constructs/api-gateway.ts).
      // The value the function will see (the last Authorization header), so both agree.
      const verdict = options.tokens.verify(lastHeader(req.rawHeaders, 'authorization'));
      if (!verdict.ok) {
        const message = verdict.reason === 'expired' ? 'The incoming token has expired' : 'Unauthorized';
        gatewayError(res, 401, { error: { code: 'UNAUTHORIZED', message } });
        return;
      }
      claims = verdict.claims;
    }

    const raw = within(received, maxBodyBytes);
    let body: string | null = null;
    let isBase64Encoded = false;
    if (raw.length > 0) {
      try {
        body = new TextDecoder('utf-8', { fatal: true }).decode(raw);
      } catch {
        // Not text: hand it over base64-encoded, as API Gateway does for binary payloads.
        body = raw.toString('base64');
        isBase64Encoded = true;
      }
    }
    const event = buildProxyEvent(
      {
        method,
        path,
        query,
        rawHeaders: req.rawHeaders,
        body,
        sourceIp: (req.socket.remoteAddress ?? LOOPBACK).replace(/^::ffff:/, ''),
      },
      match,
      { accountId: options.accountId, stage: 'local', ...(claims ? { claims } : {}) },
    );
    event.isBase64Encoded = isBase64Encoded;
    const { fn } = match.route;
    const context = lambdaContext({
      functionName: `travel-guide-local-${fn}`,
      region: options.region,
      account: options.accountId,
      timeoutMs: 29_000,
    });

    let result: APIGatewayProxyResult;
    try {
      result = await options.apiHandlers[fn](event, context);
      if (typeof result?.statusCode !== 'number') throw new Error('malformed proxy response');
    } catch {
      // What API Gateway says when the integration fails or answers in the wrong shape, through the
      // stack's DEFAULT_5XX gateway response.
      gatewayError(res, 502, errorBody('INTERNAL_ERROR', 'Internal server error'));
      return;
    }
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(result.headers ?? {})) headers[name] = String(value);
    for (const [name, values] of Object.entries(result.multiValueHeaders ?? {})) headers[name] = values.map(String);
    headers['x-amzn-requestid'] = event.requestContext.requestId;
    const payload = result.isBase64Encoded
      ? Buffer.from(result.body ?? '', 'base64')
      : Buffer.from(result.body ?? '', 'utf8');
    if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type') && payload.length > 0)
      headers['content-type'] = 'application/json';
    res.writeHead(result.statusCode, headers);
    res.end(payload);
  }

  const server: Server = createServer((req, res) => {
    const url = req.url ?? '/';
    const queryAt = url.indexOf('?');
    const path = queryAt === -1 ? url : url.slice(0, queryAt);
    const query = queryAt === -1 ? '' : url.slice(queryAt + 1);
    // Every answer comes after the whole request has been read: a client still sending a body
    // (to an unknown route, or past the limit) reads the answer instead of a reset connection.
    const openApi = path === '/openapi.json' && req.method === 'GET' ? options.openApiDocument : undefined;
    if (
      openApi === undefined &&
      options.reportExchanges === true &&
      !path.startsWith('/_local/') &&
      exchangeObservers.size > 0
    )
      recordExchange(req, res, path);
    const handling = readBody(req, maxBodyBytes).then((body) => {
      if (openApi !== undefined) {
        // The twin's own route (not on AWS): the contract, readable from an allowed origin's page too.
        const origin = firstHeader(req, 'origin');
        send(res, 200, openApi(listening.url), {
          vary: 'Origin',
          ...(origin !== undefined && allowedOrigins.has(origin) ? { 'access-control-allow-origin': origin } : {}),
        });
        return;
      }
      return path.startsWith('/_local/') ? handleLocal(req, res, path, body) : handleApi(req, res, path, query, body);
    });
    handling.catch((error: unknown) => {
      if (error instanceof BodyTooLargeError) {
        const cors = path.startsWith('/_local/') ? {} : gatewayCors;
        send(res, 413, errorBody('PAYLOAD_TOO_LARGE', `body: must be at most ${error.limit} bytes`), cors);
        return;
      }
      // Never a stack trace, never a crash: the twin keeps serving.
      send(res, 500, errorBody('INTERNAL_ERROR', 'Internal error'), path.startsWith('/_local/') ? {} : gatewayCors);
    });
  });
  // Malformed HTTP (bad request lines, header floods) gets a 400 from Node and never reaches a handler.
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });

  const listening = await listenOnLoopback(server, options.port);
  return listening;
}
