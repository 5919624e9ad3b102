/**
 * The REST API's routes, written once (docs/design.md "REST API"). The CDK API construct creates one
 * resource and method per entry (with the Cognito authorizer where `auth` is true) and integrates
 * it with the function named by `fn`; the local twin routes HTTP requests with it; each API
 * function dispatches on `routeKey` among the routes it serves.
 */

/**
 * The Lambda functions behind the API. Media routes have their own function so that the article
 * routes neither load the S3 client and presigners at cold start nor hold S3 permissions.
 */
export const API_FUNCTIONS = ['articles', 'media'] as const;
export type ApiFunctionName = (typeof API_FUNCTIONS)[number];

export interface RouteDefinition {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** API Gateway resource path, with `{param}` templates as in `event.resource`. */
  resource: string;
  /** Protected by the Cognito user pool authorizer. */
  auth: boolean;
  /** Name of the request body model validated at the gateway, when the method takes a body. */
  bodyModel?: 'CreateArticle' | 'UpdateArticle' | 'CreateUpload';
  /** The function that serves the route: `functions/<fn>/handler.ts`. */
  fn: ApiFunctionName;
}

export const routes = [
  { method: 'POST', resource: '/articles', auth: true, bodyModel: 'CreateArticle', fn: 'articles' },
  { method: 'GET', resource: '/articles', auth: false, fn: 'articles' },
  { method: 'GET', resource: '/articles/{id}', auth: false, fn: 'articles' },
  { method: 'PUT', resource: '/articles/{id}', auth: true, bodyModel: 'UpdateArticle', fn: 'articles' },
  { method: 'DELETE', resource: '/articles/{id}', auth: true, fn: 'articles' },
  { method: 'POST', resource: '/media/uploads', auth: true, bodyModel: 'CreateUpload', fn: 'media' },
  { method: 'GET', resource: '/media/{id}', auth: false, fn: 'media' },
  { method: 'DELETE', resource: '/media/{id}', auth: true, fn: 'media' },
  { method: 'GET', resource: '/media', auth: true, fn: 'media' },
] as const satisfies readonly RouteDefinition[];

export type Route = (typeof routes)[number];
export type RouteKey = `${Route['method']} ${Route['resource']}`;

/** The keys of the routes a function serves, e.g. `'GET /media/{id}'` for `media`. */
export type RouteKeyOf<F extends ApiFunctionName> =
  Extract<Route, { fn: F }> extends infer R ? (R extends Route ? `${R['method']} ${R['resource']}` : never) : never;

export function routeKey(route: Pick<RouteDefinition, 'method' | 'resource'>): string {
  return `${route.method} ${route.resource}`;
}

/** The routes `fn` serves, in the order of {@link routes}. */
export function routesServedBy(fn: ApiFunctionName): readonly RouteDefinition[] {
  return (routes as readonly RouteDefinition[]).filter((route) => route.fn === fn);
}
