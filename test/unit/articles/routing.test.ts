import { Logger } from '@aws-lambda-powertools/logger';
import { createHandler } from '../../../functions/articles/handler';
import { routes } from '../../../functions/api/routes';
import { ALICE, ALLOWED_ORIGIN, apiEvent, errorOf, jsonEvent } from '../api/fakes';
import { articlesWorld, validArticle } from './fakes';

/** Dispatch, authentication, CORS and the error envelope shared by every route. */

describe('articles handler routing', () => {
  it.each([
    ['GET', '/users'],
    ['GET', '/articles/{id}/comments'],
    ['GET', '/{proxy+}'],
  ])('returns 404 for %s %s', async (method, resource) => {
    const handler = createHandler(articlesWorld().deps);

    const error = errorOf(await handler(apiEvent({ method, resource })));

    expect(error).toEqual({ status: 404, code: 'NOT_FOUND', message: 'Route not found' });
  });

  it.each([
    ['POST', '/media/uploads'],
    ['GET', '/media/{id}'],
  ])('returns 404 for %s %s, a route of the media function', async (method, resource) => {
    const handler = createHandler(articlesWorld().deps);

    const error = errorOf(
      await handler(jsonEvent({ method, resource, pathParameters: { id: 'm1' }, userId: ALICE, json: {} })),
    );

    expect(error).toEqual({ status: 404, code: 'NOT_FOUND', message: 'Route not found' });
  });

  it.each([
    ['PATCH', '/articles/{id}', 'GET, PUT, DELETE'],
    ['DELETE', '/articles', 'POST, GET'],
  ])('returns 405 for %s on %s with the allowed methods', async (method, resource, allow) => {
    const handler = createHandler(articlesWorld().deps);

    const response = await handler(apiEvent({ method, resource, userId: ALICE }));

    expect(errorOf(response)).toEqual({
      status: 405,
      code: 'METHOD_NOT_ALLOWED',
      message: `Method ${method} is not allowed here`,
    });
    expect(response.headers?.allow).toBe(allow);
  });

  it('does not echo a hostile method name', async () => {
    const handler = createHandler(articlesWorld().deps);

    const error = errorOf(await handler(apiEvent({ method: '<script>', resource: '/articles' })));

    expect(error).toEqual({
      status: 405,
      code: 'METHOD_NOT_ALLOWED',
      message: 'Method this method is not allowed here',
    });
  });

  it.each(
    routes.filter((route) => route.auth && route.fn === 'articles').map((route) => [route.method, route.resource]),
  )('returns 401 for %s %s without claims', async (method, resource) => {
    const handler = createHandler(articlesWorld().deps);
    const event = jsonEvent({ method, resource, pathParameters: { id: 'a1' }, json: {} });

    const error = errorOf(await handler(event));

    expect(error).toEqual({ status: 401, code: 'UNAUTHORIZED', message: 'Authentication required' });
  });

  it('returns 401 when claims exist without a sub', async () => {
    const handler = createHandler(articlesWorld().deps);

    const error = errorOf(
      await handler(
        jsonEvent({ method: 'POST', resource: '/articles', claims: { email: 'a@b.c' }, json: validArticle() }),
      ),
    );

    expect(error).toEqual({ status: 401, code: 'UNAUTHORIZED', message: 'Authentication required' });
  });

  it('allows CORS for a configured origin and varies on Origin', async () => {
    const handler = createHandler(articlesWorld().deps);

    const response = await handler(
      apiEvent({ method: 'GET', resource: '/articles', headers: { Origin: ALLOWED_ORIGIN } }),
    );

    expect(response.headers?.['access-control-allow-origin']).toBe(ALLOWED_ORIGIN);
    expect(response.headers?.vary).toBe('Origin');
  });

  it('sends no CORS header for an origin that is not configured', async () => {
    const handler = createHandler(articlesWorld().deps);

    const response = await handler(
      apiEvent({ method: 'GET', resource: '/articles', headers: { origin: 'https://evil.example' } }),
    );

    expect(response.headers).not.toHaveProperty('access-control-allow-origin');
    expect(response.headers?.vary).toBe('Origin');
  });

  it('adds CORS headers to error responses too', async () => {
    const handler = createHandler(articlesWorld().deps);

    const response = await handler(
      apiEvent({ method: 'GET', resource: '/nowhere', headers: { origin: ALLOWED_ORIGIN } }),
    );

    expect(response.statusCode).toBe(404);
    expect(response.headers?.['access-control-allow-origin']).toBe(ALLOWED_ORIGIN);
  });

  it('answers an unexpected failure with a bare 500 and no stack trace', async () => {
    // Arrange
    const world = articlesWorld();
    world.articles.get = async () => {
      throw new Error('connect ECONNREFUSED 10.0.0.1:443 at Socket.internal (/var/task/index.js:1:1)');
    };
    const handler = createHandler(world.deps);

    // Act
    const response = await handler(
      apiEvent({ method: 'GET', resource: '/articles/{id}', pathParameters: { id: 'a1' } }),
    );

    // Assert
    expect(response.statusCode).toBe(500);
    expect(JSON.parse(response.body)).toEqual({ error: { code: 'INTERNAL_ERROR', message: 'Internal error' } });
    expect(response.body).not.toContain('ECONNREFUSED');
    expect(response.headers?.['content-type']).toBe('application/json');
  });

  it('appends request id, route and user to the log context and clears them afterwards', async () => {
    // Arrange
    const logger = new Logger({ logLevel: 'SILENT' });
    const append = jest.spyOn(logger, 'appendKeys');
    const reset = jest.spyOn(logger, 'resetKeys');
    const handler = createHandler({ ...articlesWorld().deps, logger });

    // Act
    await handler(jsonEvent({ method: 'POST', resource: '/articles', userId: ALICE, json: validArticle() }));

    // Assert
    expect(append).toHaveBeenCalledWith({ requestId: 'request-1', route: 'POST /articles', userId: ALICE });
    expect(reset).toHaveBeenCalledTimes(1);
  });

  it('logs an unexpected error with its stack', async () => {
    // Arrange
    const logger = new Logger({ logLevel: 'SILENT' });
    const logError = jest.spyOn(logger, 'error');
    const world = articlesWorld({ logger });
    const failure = new Error('store down');
    world.articles.get = async () => {
      throw failure;
    };
    const handler = createHandler(world.deps);

    // Act
    await handler(apiEvent({ method: 'GET', resource: '/articles/{id}', pathParameters: { id: 'a1' } }));

    // Assert
    expect(logError).toHaveBeenCalledWith('Unexpected error', failure);
  });
});
