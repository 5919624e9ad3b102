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
    .filter(
      (c): c is { route: (typeof routes)[number]; parameters: Record<string, string> } => c.parameters !== undefined,
    );
  if (candidates.length === 0) return { kind: 'not-found' };
  const specificity = (resource: string) => segments(resource).filter((s) => !s.startsWith('{')).length;
  const best = Math.max(...candidates.map((c) => specificity(c.route.resource)));
  const onResource = candidates.filter((c) => specificity(c.route.resource) === best);
  const exact = onResource.find((c) => c.route.method === method);
  if (!exact) return { kind: 'method-not-allowed', allowed: onResource.map((c) => c.route.method) };
  return {
    kind: 'route',
    route: exact.route,
    pathParameters: Object.keys(exact.parameters).length > 0 ? exact.parameters : null,
  };
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

/**
 * Name -> values, in the order given. A Map, so that no name (`__proto__`, `constructor`,
 * `toString`, ...) can reach Object.prototype while the maps are built.
 */
function collect(pairs: Iterable<[string, string]>): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const [name, value] of pairs) {
    const values = map.get(name);
    if (values === undefined) map.set(name, [value]);
    else values.push(value);
  }
  return map;
}

/**
 * The event's maps as API Gateway delivers them: plain objects parsed from JSON, so every name is
 * an own property (Object.fromEntries defines `__proto__` as a key, as JSON.parse does) and the
 * single-value map holds the last value of a repeated name.
 */
function toMaps(collected: Map<string, string[]>): { single: Record<string, string>; multi: Record<string, string[]> } {
  return {
    single: Object.fromEntries([...collected].map(([name, values]) => [name, values[values.length - 1] ?? ''])),
    multi: Object.fromEntries(collected),
  };
}

function* headerPairs(rawHeaders: readonly string[]): Generator<[string, string]> {
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) yield [rawHeaders[i] ?? '', rawHeaders[i + 1] ?? ''];
}

/** API Gateway splits a query string at `&` and at `;`. */
function* queryPairs(query: string): Generator<[string, string]> {
  for (const pair of query.split(/[&;]/)) {
    if (pair === '') continue;
    const [rawName = '', ...rest] = pair.split('=');
    yield [decodeQueryComponent(rawName), decodeQueryComponent(rest.join('='))];
  }
}

/** The value API Gateway hands the function for a header: the last one sent under that name, any case. */
export function lastHeader(rawHeaders: readonly string[], name: string): string | undefined {
  let found: string | undefined;
  for (const [given, value] of headerPairs(rawHeaders)) if (given.toLowerCase() === name) found = value;
  return found;
}

export function buildProxyEvent(
  request: HttpRequestFacts,
  match: Extract<RouteMatch, { kind: 'route' }>,
  options: { accountId: string; stage: string; claims?: Record<string, string>; now?: Date },
): APIGatewayProxyEvent {
  const { single: headers, multi: multiValueHeaders } = toMaps(collect(headerPairs(request.rawHeaders)));
  const { single: queryStringParameters, multi: multiValueQueryStringParameters } = toMaps(
    collect(queryPairs(request.query)),
  );
  const hasQuery = Object.keys(queryStringParameters).length > 0;

  const now = options.now ?? new Date();
  const requestId = randomUUID();
  const userAgent = lastHeader(request.rawHeaders, 'user-agent') ?? null;
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
