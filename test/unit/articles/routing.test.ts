import { Logger } from '@aws-lambda-powertools/logger';
import { createHandler } from '../../../functions/articles/handler';
import { routes } from '../../../functions/api/routes';
import { ALICE, ALLOWED_ORIGIN, apiEvent, errorOf, jsonEvent } from '../api/fakes';
import {
  itAnswers405WithTheAllowedMethods,
  itAnswersAnUnexpectedFailureWithABare500,
  itScopesTheLogContextToTheRequest,
} from '../api/routing';
import { articlesWorld, validArticle } from './fakes';

/** Dispatch, authentication, CORS and the error envelope shared by every route. */

describe('articles handler routing', () => {
  const GET_ARTICLE = apiEvent({ method: 'GET', resource: '/articles/{id}', pathParameters: { id: 'a1' } });

  /** A handler whose article store throws `failure` on every read. */
  function handlerWhoseStoreFails(failure: Error, logger?: Logger) {
    const world = articlesWorld(logger ? { logger } : {});
    world.articles.get = async () => {
      throw failure;
    };
    return createHandler(world.deps);
  }

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

  itAnswers405WithTheAllowedMethods(
    () => createHandler(articlesWorld().deps),
    [
      ['PATCH', '/articles/{id}', 'GET, PUT, DELETE'],
      ['DELETE', '/articles', 'POST, GET'],
    ],
  );

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

  itAnswersAnUnexpectedFailureWithABare500(handlerWhoseStoreFails, GET_ARTICLE);

  itScopesTheLogContextToTheRequest(
    (logger) => createHandler({ ...articlesWorld().deps, logger }),
    jsonEvent({ method: 'POST', resource: '/articles', userId: ALICE, json: validArticle() }),
    'POST /articles',
  );

  it('logs an unexpected error with its stack', async () => {
    // Arrange
    const logger = new Logger({ logLevel: 'SILENT' });
    const logError = jest.spyOn(logger, 'error');
    const failure = new Error('store down');
    const handler = handlerWhoseStoreFails(failure, logger);

    // Act
    await handler(GET_ARTICLE);

    // Assert
    expect(logError).toHaveBeenCalledWith('Unexpected error', failure);
  });
});
