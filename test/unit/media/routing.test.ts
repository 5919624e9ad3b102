import { Logger } from '@aws-lambda-powertools/logger';
import { routes } from '../../../functions/api/routes';
import { createHandler } from '../../../functions/media/handler';
import { ALICE, ALLOWED_ORIGIN, apiEvent, errorOf, jsonEvent } from '../api/fakes';
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

  it.each([
    ['GET', '/media/uploads', 'POST'],
    ['PUT', '/media/{id}', 'GET, DELETE'],
    ['POST', '/media', 'GET'],
  ])('returns 405 for %s on %s with the allowed methods', async (method, resource, allow) => {
    const handler = createHandler(mediaWorld().deps);

    const response = await handler(apiEvent({ method, resource, userId: ALICE }));

    expect(errorOf(response)).toEqual({
      status: 405,
      code: 'METHOD_NOT_ALLOWED',
      message: `Method ${method} is not allowed here`,
    });
    expect(response.headers?.allow).toBe(allow);
  });

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

  it('answers an unexpected failure with a bare 500 and no stack trace', async () => {
    // Arrange
    const world = mediaWorld();
    world.media.get = async () => {
      throw new Error('connect ECONNREFUSED 10.0.0.1:443');
    };
    const handler = createHandler(world.deps);

    // Act
    const response = await handler(apiEvent({ method: 'GET', resource: '/media/{id}', pathParameters: { id: 'm1' } }));

    // Assert
    expect(response.statusCode).toBe(500);
    expect(JSON.parse(response.body)).toEqual({ error: { code: 'INTERNAL_ERROR', message: 'Internal error' } });
    expect(response.body).not.toContain('ECONNREFUSED');
  });

  it('appends request id, route and user to the log context and clears them afterwards', async () => {
    // Arrange
    const logger = new Logger({ logLevel: 'SILENT' });
    const append = jest.spyOn(logger, 'appendKeys');
    const reset = jest.spyOn(logger, 'resetKeys');
    const handler = createHandler({ ...mediaWorld().deps, logger });

    // Act
    await handler(
      jsonEvent({
        method: 'POST',
        resource: '/media/uploads',
        userId: ALICE,
        json: { contentType: 'image/png', contentLength: 10 },
      }),
    );

    // Assert
    expect(append).toHaveBeenCalledWith({ requestId: 'request-1', route: 'POST /media/uploads', userId: ALICE });
    expect(reset).toHaveBeenCalledTimes(1);
  });
});
