import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { routes } from '../../functions/articles/routes';
import { LocalTokenIssuer } from '../../local/api/auth';
import { startApiServer, type ApiServer } from '../../local/api/server';
import { RunLog } from '../../local/pipeline/runs';
import { startTwin, type Twin } from '../../local/twin';
import { send } from './support/http';
import { presign, requestJson, tokenFor } from './support/twin-client';

/**
 * The REST API is served by two functions, articles and media (routes.ts says which serves
 * which). Through the twin, over real HTTP: each route reaches its own function's handler with
 * that function's Lambda context, and the two work together on the shared media table (a cover
 * must be media its author uploaded through the media function).
 */

describe("the twin's front door", () => {
  type Call = { fn: string; route: string; functionName: string };
  let server: ApiServer;
  let calls: Call[];
  const tokens = new LocalTokenIssuer('api-functions-test');

  const recording =
    (fn: string) =>
    async (event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> => {
      calls.push({ fn, route: `${event.httpMethod} ${event.resource}`, functionName: context.functionName });
      return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: '{}' };
    };

  beforeAll(async () => {
    server = await startApiServer({
      port: 0,
      tokens,
      apiHandlers: { articles: recording('articles'), media: recording('media') },
      runLog: new RunLog(),
      health: async () => ({ ready: true }),
      allowedOrigins: [],
      accountId: '000000000000',
      region: 'eu-west-1',
    });
  });

  beforeEach(() => {
    calls = [];
  });

  afterAll(async () => {
    await server?.close();
  });

  it.each(routes.map((route) => [route.method, route.resource, route.fn] as const))(
    'sends %s %s to the %s function with its own Lambda context',
    async (method, resource, fn) => {
      // Arrange
      const path = resource.replace('{id}', 'abc');
      const headers: Record<string, string> = { authorization: `Bearer ${tokens.issue('alice')}`, 'content-type': 'application/json' };

      // Act
      const response = await send(`${server.url}${path}`, { method, headers, ...(method === 'GET' || method === 'DELETE' ? {} : { body: '{}' }) });

      // Assert
      expect(response.status).toBe(200);
      expect(calls).toEqual([{ fn, route: `${method} ${resource}`, functionName: `travel-guide-local-${fn}` }]);
    },
  );
});

describe('the two API functions in the twin', () => {
  let twin: Twin;
  let alice: string;
  let bob: string;

  beforeAll(async () => {
    twin = await startTwin();
    [alice, bob] = await Promise.all([tokenFor(twin, 'alice'), tokenFor(twin, 'bob')]);
  }, 60_000);

  afterAll(async () => {
    await twin?.stop();
  });

  it('loads both handlers and reports them in the health check', async () => {
    const response = await requestJson<{ ready: boolean; functions: Record<string, string> }>(twin, 'GET', '/_local/health');

    expect(response.status).toBe(200);
    expect(response.body.functions).toMatchObject({ articles: 'loaded', media: 'loaded' });
  });

  it('lets an author use media she uploaded through the media function as an article cover', async () => {
    // Arrange: a PENDING record written by the media function.
    const ticket = await presign(twin, alice, 'image/jpeg', 1000);

    // Act: read by the articles function.
    const created = await requestJson<{ coverMediaId?: string }>(twin, 'POST', '/articles', {
      token: alice,
      body: { title: 'Porto', body: 'Bridges.', coverMediaId: ticket.mediaId },
    });

    // Assert
    expect(created.status).toBe(201);
    expect(created.body.coverMediaId).toBe(ticket.mediaId);
  });

  it("refuses another author's media as a cover", async () => {
    // Arrange
    const ticket = await presign(twin, alice, 'image/png', 1000);

    // Act
    const created = await requestJson(twin, 'POST', '/articles', { token: bob, body: { title: 'Porto', body: 'Bridges.', coverMediaId: ticket.mediaId } });

    // Assert
    expect(created.status).toBe(400);
    expect(created.body).toEqual({ error: { code: 'VALIDATION_ERROR', message: 'coverMediaId: must name media uploaded by you' } });
  });

  it('shows the media record the media function wrote', async () => {
    // Arrange
    const ticket = await presign(twin, bob, 'image/webp', 10);

    // Act
    const view = await requestJson<{ mediaId: string; status: string }>(twin, 'GET', `/media/${ticket.mediaId}`);

    // Assert
    expect(view.status).toBe(200);
    expect(view.body).toMatchObject({ mediaId: ticket.mediaId, status: 'PENDING' });
  });

  it('answers unknown media in the contract error shape', async () => {
    const view = await requestJson(twin, 'GET', '/media/no-such-media');

    expect(view.status).toBe(404);
    expect(view.body).toEqual({ error: { code: 'NOT_FOUND', message: 'Media not found' } });
  });
});
