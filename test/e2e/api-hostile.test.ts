import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import { GATEWAY_MAX_BODY_BYTES } from '../../local/api/server';
import { DEFAULT_ALLOWED_ORIGINS } from '../../local/settings';
import { startTwin, type Twin } from '../../local/twin';
import { send } from './support/http';
import { health, requestJson, tokenFor } from './support/twin-client';

/**
 * Hostile and malformed requests against the twin's API: every one gets a 4xx in the contract's
 * error shape (or API Gateway's own 401 shape for the authorizer), and the twin keeps serving.
 * Ends with a clean shutdown, which Ctrl-C on `npm start` relies on.
 */

let twin: Twin;
let token: string;

beforeAll(async () => {
  twin = await startTwin();
  token = await tokenFor(twin, 'mallory');
}, 60_000);

afterAll(async () => {
  await twin?.stop();
});

function expectErrorShape(body: unknown): void {
  expect(body).toEqual({ error: { code: expect.any(String), message: expect.any(String) } });
}

describe("an author's writes through the twin's authorizer", () => {
  it('lets the author update and delete an article, and nobody else', async () => {
    // Arrange
    const author = await tokenFor(twin, 'alice');
    const created = await requestJson<{ id: string }>(twin, 'POST', '/articles', {
      token: author,
      body: { title: 'Porto in a day', body: 'Start at the Ribeira.' },
    });
    const path = `/articles/${created.body.id}`;
    const replacement = { title: 'Porto in two days', body: 'Start at the Ribeira, end in Foz.' };

    // Act
    const byOther = await requestJson(twin, 'PUT', path, { token, body: replacement });
    const deleteByOther = await requestJson(twin, 'DELETE', path, { token });
    const byAuthor = await requestJson<{ title: string }>(twin, 'PUT', path, { token: author, body: replacement });
    const deleted = await requestJson(twin, 'DELETE', path, { token: author });
    const after = await requestJson(twin, 'GET', path);

    // Assert
    expect(created.status).toBe(201);
    expect(byOther.status).toBe(403);
    expect(deleteByOther.status).toBe(403);
    expect(byAuthor.status).toBe(200);
    expect(byAuthor.body.title).toBe('Porto in two days');
    expect(deleted.status).toBe(204);
    expect(after.status).toBe(404);
  });
});

describe('requests the gateway refuses before any handler runs', () => {
  it.each([
    ['GET', '/'],
    ['GET', '/nope'],
    ['GET', '/articles/a/b'],
    ['GET', '/media/a/b'],
    ['GET', '/_local/nope'],
  ])('answers 404 with the error shape for unknown route %s %s', async (method, path) => {
    const response = await requestJson(twin, method, path);

    expect(response.status).toBe(404);
    expectErrorShape(response.body);
  });

  it.each([
    ['PATCH', '/articles'],
    ['DELETE', '/articles'],
    ['POST', '/articles/abc'],
    ['GET', '/media/uploads'],
  ])(
    'answers %s %s (a method the resource lacks) with the same 404 NOT_FOUND as an unknown path, as the deployed API does',
    async (method, path) => {
      const response = await requestJson<{ error: { code: string; message: string } }>(twin, method, path);

      expect(response.status).toBe(404);
      expect(response.body).toEqual({ error: { code: 'NOT_FOUND', message: 'Route not found' } });
    },
  );

  it.each([
    ['no token', undefined],
    ['a garbage token', 'not-a-jwt'],
    [
      'an unsigned token',
      `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"sub":"eve"}').toString('base64url')}.`,
    ],
  ])("answers 401 like the Cognito authorizer behind the stack's gateway response for %s", async (_case, bearer) => {
    const response = await requestJson(twin, 'POST', '/articles', {
      body: { title: 't', body: 'b' },
      ...(bearer ? { token: bearer } : {}),
    });

    expect(response.status).toBe(401);
    expect(response.body).toEqual({ error: { code: 'UNAUTHORIZED', message: 'Unauthorized' } });
  });

  it('answers 401 for a token whose claims were changed after signing', async () => {
    const [header, , signature] = token.split('.');
    const forged = `${header}.${Buffer.from(JSON.stringify({ sub: 'alice', exp: 4102444800 })).toString('base64url')}.${signature}`;

    const response = await requestJson(twin, 'POST', '/articles', { token: forged, body: { title: 't', body: 'b' } });

    expect(response.status).toBe(401);
  });

  it("answers 413 in the error shape, after reading it, to a body over API Gateway's 10 MB", async () => {
    const response = await fetch(`${twin.apiUrl}/articles`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: 'x'.repeat(GATEWAY_MAX_BODY_BYTES + 1),
    });

    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({
      error: { code: 'PAYLOAD_TOO_LARGE', message: `body: must be at most ${GATEWAY_MAX_BODY_BYTES} bytes` },
    });
  });

  it('answers a GET with a body to an unknown route with 404 once the body is read', async () => {
    const body = Buffer.alloc(1024 * 1024, 0x78);

    // Node sends no Content-Length for a GET unless told to.
    const response = await send(`${twin.apiUrl}/nope`, {
      method: 'GET',
      headers: { 'content-length': String(body.length) },
      body,
    });

    expect(response.status).toBe(404);
    expectErrorShape(JSON.parse(response.body.toString('utf8')));
  });

  it('answers a CORS preflight without calling the handler', async () => {
    const response = await send(`${twin.apiUrl}/articles`, {
      method: 'OPTIONS',
      headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'POST' },
    });

    expect(response.status).toBe(204);
    expect(response.headers['access-control-allow-origin']).toBe('http://localhost:5173');
    expect(response.headers['access-control-allow-headers']).toContain('Authorization');
  });

  it('gives no CORS permission to an origin that is not configured', async () => {
    const response = await send(`${twin.apiUrl}/articles`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example' },
    });

    // As API Gateway's mock integration: the first allowed origin, which a browser refuses for this one.
    expect(response.headers['access-control-allow-origin']).toBe(DEFAULT_ALLOWED_ORIGINS[0]);
  });
});

describe('requests the articles handler refuses', () => {
  it.each([
    ['invalid JSON', '{"title": "x",'],
    ['a JSON array', '[1,2,3]'],
    ['a prototype-polluting key', '{"title":"t","body":"b","__proto__":{"admin":true}}'],
  ])('answers 400 for %s', async (_case, rawBody) => {
    const response = await requestJson(twin, 'POST', '/articles', {
      token,
      rawBody,
      headers: { 'content-type': 'application/json' },
    });

    expect(response.status).toBe(400);
    expectErrorShape(response.body);
  });

  it('answers 415 for a body that is not declared as JSON', async () => {
    const response = await requestJson(twin, 'POST', '/articles', {
      token,
      rawBody: 'title=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });

    expect(response.status).toBe(415);
    expectErrorShape(response.body);
  });

  it('answers 413 for a body above the handler limit but below the gateway limit', async () => {
    const response = await requestJson(twin, 'POST', '/articles', {
      token,
      body: { title: 't', body: 'x'.repeat(100 * 1024) },
    });

    expect(response.status).toBe(413);
    expectErrorShape(response.body);
  });

  it('lets a 3 MB body sent with fetch reach the function, which answers 413 in the error shape', async () => {
    const response = await fetch(`${twin.apiUrl}/articles`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ title: 't', body: 'x'.repeat(3 * 1024 * 1024) }),
    });

    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({
      error: { code: 'PAYLOAD_TOO_LARGE', message: 'body: must be at most 65536 bytes' },
    });
  });

  it.each([
    '/articles/..%2F..%2Fetc%2Fpasswd',
    '/articles/%2e%2e%2fsecret',
    '/media/..%5C..%5Cwindows',
    '/media/%00',
    `/media/${'a'.repeat(300)}`,
    '/articles/%E0%A4%A',
  ])('answers 400 for the path-traversal-looking id in %s', async (path) => {
    const response = await requestJson(twin, 'GET', path);

    expect(response.status).toBe(400);
    expectErrorShape(response.body);
  });

  it.each(['limit=0', 'limit=abc', 'limit=101', 'limit=1&limit=2', 'unknown=1', 'nextToken=garbage', 'nextToken='])(
    'answers 400 for the query %s on GET /articles',
    async (query) => {
      const response = await requestJson(twin, 'GET', `/articles?${query}`);

      expect(response.status).toBe(400);
      expectErrorShape(response.body);
    },
  );

  it('answers 404 for an article that does not exist', async () => {
    const response = await requestJson(twin, 'GET', '/articles/does-not-exist');

    expect(response.status).toBe(404);
    expectErrorShape(response.body);
  });
});

describe('the local token endpoint', () => {
  it.each([
    ['a user id with a slash', { userId: '../alice' }],
    ['an empty user id', { userId: '' }],
    ['a number', { userId: 42 }],
    ['no user id', {}],
  ])('answers 400 for %s', async (_case, body) => {
    const response = await requestJson(twin, 'POST', '/_local/token', { body });

    expect(response.status).toBe(400);
    expectErrorShape(response.body);
  });

  it('answers 400 for a body that is not JSON', async () => {
    const response = await requestJson(twin, 'POST', '/_local/token', { rawBody: '{nope' });

    expect(response.status).toBe(400);
    expectErrorShape(response.body);
  });
});

describe('after the sweep', () => {
  it('is still healthy', async () => {
    await requestJson(twin, 'GET', '/nope');

    expect(await health(twin)).toBe(200);
  });

  it('stops within a few seconds and closes every port, even with a keep-alive connection open', async () => {
    await holdKeepAliveConnection(twin.healthUrl);
    const started = Date.now();

    await twin.stop();
    const elapsed = Date.now() - started;

    expect(elapsed).toBeLessThan(5000);
    expect(await portIsClosed(twin.apiUrl)).toBe(true);
    expect(await portIsClosed(twin.s3Endpoint)).toBe(true);
    expect(await portIsClosed(twin.dynamoDbEndpoint)).toBe(true);
  });
});

const keepAlive = new Agent({ keepAlive: true });
afterAll(() => keepAlive.destroy());

/** An open keep-alive connection, as a browser or an SDK client would hold. */
function holdKeepAliveConnection(url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: keepAlive }, (res) => {
      res.resume();
      res.on('end', () => resolve());
    });
    req.on('error', reject);
    req.end();
  });
}

function portIsClosed(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}
