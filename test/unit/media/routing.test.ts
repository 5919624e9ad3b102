import { routes } from '../../../functions/api/routes';
import { createHandler } from '../../../functions/media/handler';
import { ALICE, ALLOWED_ORIGIN, apiEvent, errorOf, jsonEvent } from '../api/fakes';
import {
  itAnswers405WithTheAllowedMethods,
  itAnswersAnUnexpectedFailureWithABare500,
  itScopesTheLogContextToTheRequest,
} from '../api/routing';
import { mediaWorld } from './fakes';

/** The media function serves the media routes only; the shared seam gives it the same envelope. */

describe('media handler routing', () => {
  it.each(routes.filter((route) => route.fn === 'articles').map((route) => [route.method, route.resource]))(
    'returns 404 for %s %s, a route of the articles function',
    async (method, resource) => {
      // Arrange
      const world = mediaWorld();
      const handler = createHandler(world.deps);
      const event = jsonEvent({
        method,
        resource,
        pathParameters: { id: 'a1' },
        userId: ALICE,
        json: { title: 'Lisbon in three days', body: 'Start at the castle.' },
      });

      // Act
      const error = errorOf(await handler(event));

      // Assert
      expect(error).toEqual({ status: 404, code: 'NOT_FOUND', message: 'Route not found' });
      expect(world.uploads.requests).toHaveLength(0);
      expect(world.media.records.size).toBe(0);
    },
  );

  itAnswers405WithTheAllowedMethods(
    () => createHandler(mediaWorld().deps),
    [
      ['GET', '/media/uploads', 'POST'],
      ['PUT', '/media/{id}', 'GET, DELETE'],
      ['POST', '/media', 'GET'],
    ],
  );

  it('returns 401 for POST /media/uploads without claims', async () => {
    const world = mediaWorld();
    const handler = createHandler(world.deps);

    const error = errorOf(
      await handler(
        jsonEvent({
          method: 'POST',
          resource: '/media/uploads',
          json: { contentType: 'image/jpeg', contentLength: 1 },
        }),
      ),
    );

    expect(error).toEqual({ status: 401, code: 'UNAUTHORIZED', message: 'Authentication required' });
    expect(world.uploads.requests).toHaveLength(0);
  });

  it('allows CORS for a configured origin on its responses and errors', async () => {
    const handler = createHandler(mediaWorld().deps);

    const response = await handler(
      apiEvent({
        method: 'GET',
        resource: '/media/{id}',
        pathParameters: { id: 'unknown' },
        headers: { Origin: ALLOWED_ORIGIN },
      }),
    );

    expect(response.statusCode).toBe(404);
    expect(response.headers?.['access-control-allow-origin']).toBe(ALLOWED_ORIGIN);
    expect(response.headers?.vary).toBe('Origin');
  });

  itAnswersAnUnexpectedFailureWithABare500(
    (failure) => {
      const world = mediaWorld();
      world.media.get = async () => {
        throw failure;
      };
      return createHandler(world.deps);
    },
    apiEvent({ method: 'GET', resource: '/media/{id}', pathParameters: { id: 'm1' } }),
  );

  itScopesTheLogContextToTheRequest(
    (logger) => createHandler({ ...mediaWorld().deps, logger }),
    jsonEvent({
      method: 'POST',
      resource: '/media/uploads',
      userId: ALICE,
      json: { contentType: 'image/png', contentLength: 10 },
    }),
    'POST /media/uploads',
  );
});
