import type { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { routeKey, routesServedBy } from './routes';
import type { ApiFunctionName, RouteKeyOf } from './routes';
import { tracer } from '../shared/powertools';
import { ApiError, MethodNotAllowedError, NotFoundError, UnauthorizedError, ValidationError } from './errors';
import { INTERNAL_ERROR_RESPONSE_BODY, errorResponse, header, jsonResponse, withStandardHeaders } from './http';
import { ID_PATTERN, ID_RULE } from './ids';

/**
 * The seam both REST API functions share: dispatch on `${httpMethod} ${resource}` among the
 * routes of routes.ts that this function serves, the caller check, the X-Ray subsegment, the
 * mapping of errors to the contract's shape and the standard headers. Each function only
 * supplies one operation per route it serves.
 */

export type ApiHandler = (event: APIGatewayProxyEvent, context?: Context) => Promise<APIGatewayProxyResult>;

export interface ApiRequest {
  event: APIGatewayProxyEvent;
  /** The caller's Cognito `sub`; present on every route with `auth: true`. */
  userId: string | undefined;
}

export type Operation = (request: ApiRequest) => Promise<APIGatewayProxyResult>;

export interface RestHandlerOptions<F extends ApiFunctionName> {
  /** The function this handler is; it serves the routes whose `fn` names it. */
  fn: F;
  /** Keyed by route, so a route added to routes.ts for this function without an operation fails to compile. */
  operations: Record<RouteKeyOf<F>, Operation>;
  /** Origins that get an Access-Control-Allow-Origin header. */
  allowedOrigins: readonly string[];
  logger: Logger;
}

export function createRestHandler<F extends ApiFunctionName>(options: RestHandlerOptions<F>): ApiHandler {
  const { logger: log } = options;
  const served = routesServedBy(options.fn);
  const operations: Readonly<Record<string, Operation>> = options.operations;
  const allowedOrigins = new Set(options.allowedOrigins);

  async function dispatch(
    event: APIGatewayProxyEvent,
    key: string,
    userId: string | undefined,
  ): Promise<APIGatewayProxyResult> {
    const route = served.find((candidate) => routeKey(candidate) === key);
    const operation = route === undefined ? undefined : operations[routeKey(route)];
    if (route === undefined || operation === undefined) {
      // A route of the other API function is not found here either: API Gateway never sends one,
      // and a misrouted request must get the contract's 404 rather than reach the wrong code.
      const allowed = served
        .filter((candidate) => candidate.resource === event.resource)
        .map((candidate) => candidate.method);
      if (allowed.length > 0)
        throw new MethodNotAllowedError(`Method ${safeMethod(event.httpMethod)} is not allowed here`, allowed);
      throw new NotFoundError('Route not found');
    }
    // API Gateway's Cognito authorizer already refused anonymous calls; checked again so a
    // misconfigured method or another front end (the local twin) cannot skip authentication.
    if (route.auth && userId === undefined) throw new UnauthorizedError('Authentication required');
    return operation({ event, userId });
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

/** Auth routes are checked before the operation runs; this only narrows the type for the operations. */
export function required(userId: string | undefined): string {
  if (userId === undefined) throw new UnauthorizedError('Authentication required');
  return userId;
}

/** The `{id}` path parameter, checked against the id alphabet. */
export function pathId(event: APIGatewayProxyEvent): string {
  const id = event.pathParameters?.id;
  if (typeof id !== 'string' || !ID_PATTERN.test(id)) throw new ValidationError('id', ID_RULE);
  return id;
}

function safeMethod(method: string): string {
  return /^[A-Z]{1,10}$/.test(method) ? method : 'this method';
}
