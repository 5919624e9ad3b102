/**
 * The REST API's routes, written once (DESIGN.md "REST API"). The CDK API stack creates one
 * resource and method per entry (with the Cognito authorizer where `auth` is true), the local
 * twin routes HTTP requests with it, and the articles handler dispatches on `routeKey`.
 */
export interface RouteDefinition {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** API Gateway resource path, with `{param}` templates as in `event.resource`. */
  resource: string;
  /** Protected by the Cognito user pool authorizer. */
  auth: boolean;
  /** Name of the request body model validated at the gateway, when the method takes a body. */
  bodyModel?: 'CreateArticle' | 'UpdateArticle' | 'CreateUpload';
}

export const routes = [
  { method: 'POST', resource: '/articles', auth: true, bodyModel: 'CreateArticle' },
  { method: 'GET', resource: '/articles', auth: false },
  { method: 'GET', resource: '/articles/{id}', auth: false },
  { method: 'PUT', resource: '/articles/{id}', auth: true, bodyModel: 'UpdateArticle' },
  { method: 'DELETE', resource: '/articles/{id}', auth: true },
  { method: 'POST', resource: '/media/uploads', auth: true, bodyModel: 'CreateUpload' },
  { method: 'GET', resource: '/media/{id}', auth: false },
] as const satisfies readonly RouteDefinition[];

export type Route = (typeof routes)[number];
export type RouteKey = `${Route['method']} ${Route['resource']}`;

export function routeKey(route: Pick<RouteDefinition, 'method' | 'resource'>): string {
  return `${route.method} ${route.resource}`;
}
