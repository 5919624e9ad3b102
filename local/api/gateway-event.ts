import type { APIGatewayProxyEvent } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import { routes } from '../../functions/api/routes';

/**
 * Turns an HTTP request into the API Gateway REST (v1) Lambda proxy event an API function (the
 * route's `fn`) receives on AWS, using the route table the CDK API stack is built from.
 */

export type RouteMatch =
  | { kind: 'route'; route: (typeof routes)[number]; pathParameters: Record<string, string> | null }
  | { kind: 'method-not-allowed'; allowed: string[] }
  | { kind: 'not-found' };

function segments(path: string): string[] {
  return path.split('/').slice(1);
}

/** Matches one path template (`/articles/{id}`): each `{param}` is exactly one non-empty segment. */
function matchTemplate(template: string, path: string): Record<string, string> | undefined {
  const wanted = segments(template);
  const given = segments(path);
  if (wanted.length !== given.length) return undefined;
  const parameters: Record<string, string> = {};
  for (let i = 0; i < wanted.length; i++) {
    const w = wanted[i] ?? '';
    const g = given[i] ?? '';
    const param = /^\{(\w+)\}$/.exec(w);
    if (param?.[1] !== undefined) {
      if (g === '') return undefined;
      let decoded: string;
      try {
        // API Gateway hands the handler URL-decoded path parameters.
        decoded = decodeURIComponent(g);
      } catch {
        decoded = g;
      }
      parameters[param[1]] = decoded;
    } else if (w !== g) {
      return undefined;
    }
  }
  return parameters;
}

/**
 * Finds the route for method + path. Literal segments win over `{param}` ones, as in API Gateway
 * (`/media/uploads` is never `/media/{id}`).
 */
export function matchRoute(method: string, path: string): RouteMatch {
  const candidates = routes
    .map((route) => ({ route, parameters: matchTemplate(route.resource, path) }))
    .filter((c): c is { route: (typeof routes)[number]; parameters: Record<string, string> } => c.parameters !== undefined);
  if (candidates.length === 0) return { kind: 'not-found' };
  const specificity = (resource: string) => segments(resource).filter((s) => !s.startsWith('{')).length;
  const best = Math.max(...candidates.map((c) => specificity(c.route.resource)));
  const onResource = candidates.filter((c) => specificity(c.route.resource) === best);
  const exact = onResource.find((c) => c.route.method === method);
  if (!exact) return { kind: 'method-not-allowed', allowed: onResource.map((c) => c.route.method) };
  return { kind: 'route', route: exact.route, pathParameters: Object.keys(exact.parameters).length > 0 ? exact.parameters : null };
}

/** Every resource path (including parents like `/media`) that API Gateway would answer OPTIONS on. */
export function knownResourcePath(path: string): boolean {
  return routes.some((route) => {
    const parts = segments(route.resource);
    for (let n = 1; n <= parts.length; n++) {
      if (matchTemplate(`/${parts.slice(0, n).join('/')}`, path)) return true;
    }
    return false;
  });
}

export interface HttpRequestFacts {
  method: string;
  /** Path without the query string, as received. */
  path: string;
  query: string;
  /** Node's rawHeaders: names with the client's case, repeated names kept. */
  rawHeaders: string[];
  body: string | null;
  sourceIp: string;
}

function decodeQueryComponent(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return value;
  }
}

export function buildProxyEvent(
  request: HttpRequestFacts,
  match: Extract<RouteMatch, { kind: 'route' }>,
  options: { accountId: string; stage: string; claims?: Record<string, string>; now?: Date },
): APIGatewayProxyEvent {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (let i = 0; i + 1 < request.rawHeaders.length; i += 2) {
    const name = request.rawHeaders[i] ?? '';
    const value = request.rawHeaders[i + 1] ?? '';
    headers[name] = value;
    (multiValueHeaders[name] ??= []).push(value);
  }

  const queryStringParameters: Record<string, string> = {};
  const multiValueQueryStringParameters: Record<string, string[]> = {};
  for (const pair of request.query.split('&')) {
    if (pair === '') continue;
    const [rawName = '', ...rest] = pair.split('=');
    const name = decodeQueryComponent(rawName);
    const value = decodeQueryComponent(rest.join('='));
    queryStringParameters[name] = value;
    (multiValueQueryStringParameters[name] ??= []).push(value);
  }
  const hasQuery = Object.keys(queryStringParameters).length > 0;

  const now = options.now ?? new Date();
  const requestId = randomUUID();
  const userAgent = Object.entries(headers).find(([name]) => name.toLowerCase() === 'user-agent')?.[1] ?? null;
  return {
    resource: match.route.resource,
    path: request.path,
    httpMethod: request.method,
    headers,
    multiValueHeaders,
    queryStringParameters: hasQuery ? queryStringParameters : null,
    multiValueQueryStringParameters: hasQuery ? multiValueQueryStringParameters : null,
    pathParameters: match.pathParameters,
    stageVariables: null,
    requestContext: {
      accountId: options.accountId,
      apiId: 'local',
      resourceId: 'local',
      stage: options.stage,
      requestId,
      extendedRequestId: requestId,
      httpMethod: request.method,
      resourcePath: match.route.resource,
      path: `/${options.stage}${request.path}`,
      protocol: 'HTTP/1.1',
      requestTime: now.toUTCString(),
      requestTimeEpoch: now.getTime(),
      identity: {
        sourceIp: request.sourceIp,
        userAgent,
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        user: null,
        userArn: null,
      },
      authorizer: options.claims ? { claims: options.claims } : null,
    },
    body: request.body,
    isBase64Encoded: false,
  };
}
