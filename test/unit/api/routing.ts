import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { ApiHandler } from '../../../functions/api/rest-handler';
import { ALICE, apiEvent, errorOf } from './fakes';

/** What the shared seam (functions/api/rest-handler.ts) gives every API function, checked on each. */

/** A method a resource does not serve gets a 405 that names the methods it does serve. */
export function itAnswers405WithTheAllowedMethods(
  newHandler: () => ApiHandler,
  cases: [method: string, resource: string, allow: string][],
): void {
  it.each(cases)('returns 405 for %s on %s with the allowed methods', async (method, resource, allow) => {
    const handler = newHandler();

    const response = await handler(apiEvent({ method, resource, userId: ALICE }));

    expect(errorOf(response)).toEqual({
      status: 405,
      code: 'METHOD_NOT_ALLOWED',
      message: `Method ${method} is not allowed here`,
    });
    expect(response.headers?.allow).toBe(allow);
  });
}

/** `request` served by a handler whose store throws `failure` gets a bare JSON 500. */
export function itAnswersAnUnexpectedFailureWithABare500(
  newFailingHandler: (failure: Error) => ApiHandler,
  request: APIGatewayProxyEvent,
): void {
  it('answers an unexpected failure with a bare 500 and no stack trace', async () => {
    // Arrange
    const handler = newFailingHandler(
      new Error('connect ECONNREFUSED 10.0.0.1:443 at Socket.internal (/var/task/index.js:1:1)'),
    );

    // Act
    const response = await handler(request);

    // Assert
    expect(response.statusCode).toBe(500);
    expect(JSON.parse(response.body)).toEqual({ error: { code: 'INTERNAL_ERROR', message: 'Internal error' } });
    expect(response.body).not.toContain('ECONNREFUSED');
    expect(response.headers?.['content-type']).toBe('application/json');
  });
}

/** ALICE's `request` to `route` is logged with its request id, route and user, cleared afterwards. */
export function itScopesTheLogContextToTheRequest(
  newHandler: (logger: Logger) => ApiHandler,
  request: APIGatewayProxyEvent,
  route: string,
): void {
  it('appends request id, route and user to the log context and clears them afterwards', async () => {
    // Arrange
    const logger = new Logger({ logLevel: 'SILENT' });
    const append = jest.spyOn(logger, 'appendKeys');
    const reset = jest.spyOn(logger, 'resetKeys');
    const handler = newHandler(logger);

    // Act
    await handler(request);

    // Assert
    expect(append).toHaveBeenCalledWith({ requestId: 'request-1', route, userId: ALICE });
    expect(reset).toHaveBeenCalledTimes(1);
  });
}
