/**
 * What the API's gateway responses (the errors API Gateway answers itself: authorizer 401, unknown
 * route 404, 413, throttling, 5xx) carry, for the stack (infra/constructs/api-gateway.ts) and the
 * twin's gateway (local/api/server.ts) alike.
 */

/**
 * The message of the unknown-route response. API Gateway reports an unknown path or method as
 * MISSING_AUTHENTICATION_TOKEN, and when the request carries an Authorization header it parses
 * that header as a SigV4 signature and says so in the message ("Authorization header requires
 * 'Credential' parameter...", or "'<token>' not a valid key=value pair ..." which echoes the
 * token). A fixed message keeps the answer the same 404 with or without the header.
 */
export const UNKNOWN_ROUTE_MESSAGE = 'Route not found';

/**
 * CORS headers of every gateway response. With one allowed origin the header is static; with
 * several it cannot be chosen per request in a gateway response (only static values and request
 * parameters can be mapped, and reflecting the request's Origin would allow any site), so none is
 * sent and a browser sees those errors as opaque CORS failures.
 */
export function gatewayResponseCorsHeaders(allowedOrigins: readonly string[]): Readonly<Record<string, string>> {
  const [only] = allowedOrigins;
  return allowedOrigins.length === 1 && only !== undefined
    ? { 'Access-Control-Allow-Origin': only, Vary: 'Origin' }
    : {};
}
