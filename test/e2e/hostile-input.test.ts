import { request } from 'node:http';
import { gatewayResponseCorsHeaders } from '../../infra/definitions/gateway-responses';
import { GATEWAY_MAX_BODY_BYTES } from '../../local/api/server';
import { DEFAULT_ALLOWED_ORIGINS } from '../../local/settings';
import { startTwin, type Twin } from '../../local/twin';
import { requestJson, tokenFor } from './support/twin-client';

/**
 * Hostile input, second pass: numbers DynamoDB cannot store, names that collide with
 * Object.prototype, tokens spelled differently from how they were issued, and the gateway
 * behaviours a client can observe (method override, `;` in queries, repeated Authorization).
 */

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

type ArticleBody = { id: string; title: string; location?: { lat: number; lng: number } };
const PROTOTYPE_NAMES = ['__proto__', 'constructor', 'toString', 'valueOf', 'hasOwnProperty'];

describe('coordinates nearer zero than DynamoDB can store', () => {
  it.each([
    ['lat', 1e-131],
    ['lng', 1e-131],
    ['lat', 5e-324],
    ['lng', -4e-300],
  ])('creates the article with %s %p stored as 0 instead of answering 500', async (field, value) => {
    const location = { name: 'x', lat: 1, lng: 1, [field]: value };

    const created = await requestJson<ArticleBody>(twin, 'POST', '/articles', {
      token: alice,
      body: { title: 't', body: 'b', location },
    });

    expect(created.status).toBe(201);
    expect(created.body.location).toMatchObject({ [field]: 0 });
  });

  it('replaces an article with such a coordinate (PUT) instead of answering 500', async () => {
    const created = await requestJson<ArticleBody>(twin, 'POST', '/articles', {
      token: alice,
      body: { title: 't', body: 'b' },
    });

    const replaced = await requestJson<ArticleBody>(twin, 'PUT', `/articles/${created.body.id}`, {
      token: alice,
      rawBody: '{"title":"t","body":"b","location":{"name":"x","lat":1e-131,"lng":-5e-324}}',
      headers: { 'content-type': 'application/json' },
    });

    expect(replaced.status).toBe(200);
    expect(replaced.body.location).toMatchObject({ lat: 0, lng: 0 });
  });
});

describe('header and query names that are Object.prototype members', () => {
  it.each(PROTOTYPE_NAMES)('answers a request with a header named %s normally', async (name) => {
    const response = await requestJson(twin, 'GET', '/articles?limit=1', { headers: { [name]: 'x' } });

    expect(response.status).toBe(200);
  });

  it.each(PROTOTYPE_NAMES.flatMap((name) => [name, `%${name.charCodeAt(0).toString(16)}${name.slice(1)}`]))(
    'answers 400 naming the unknown query parameter %s on GET /articles, and 404 on GET /articles/{id}',
    async (name) => {
      const list = await requestJson<{ error: { code: string } }>(twin, 'GET', `/articles?${name}=1`);
      const one = await requestJson(twin, 'GET', `/articles/abc?${name}=1`);

      expect(list.status).toBe(400);
      expect(list.body.error.code).toBe('VALIDATION_ERROR');
      expect(one.status).toBe(404);
    },
  );
});

describe('gateway behaviours a client can observe', () => {
  it('routes a POST with X-HTTP-Method-Override: DELETE as DELETE', async () => {
    const created = await requestJson<ArticleBody>(twin, 'POST', '/articles', {
      token: alice,
      body: { title: 't', body: 'b' },
    });

    const overridden = await requestJson(twin, 'POST', `/articles/${created.body.id}`, {
      token: alice,
      headers: { 'x-http-method-override': 'DELETE' },
    });
    const after = await requestJson(twin, 'GET', `/articles/${created.body.id}`);

    expect(overridden.status).toBe(204);
    expect(after.status).toBe(404);
  });

  it('splits the query string at ";" (limit=1;nextToken=... is two parameters)', async () => {
    const response = await requestJson<{ error: { message: string } }>(twin, 'GET', '/articles?limit=1;nextToken=');

    expect(response.status).toBe(400);
    expect(response.body.error.message).toMatch(/^nextToken:/);
  });

  it('verifies the same Authorization header the function receives (the last of two)', async () => {
    const author = await requestJson<ArticleBody>(twin, 'POST', '/articles', {
      token: alice,
      body: { title: 't', body: 'b' },
    });

    // Bob's token last: the authorizer and the function both see Bob, who is not the author.
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${twin.apiUrl}/articles/${author.body.id}`, { method: 'DELETE', agent: false }, (res) => {
        res.resume().on('end', () => resolve(res.statusCode ?? 0));
      });
      req.setHeader('authorization', [`Bearer ${alice}`, `Bearer ${bob}`]);
      req.on('error', reject).end();
    });
    const after = await requestJson(twin, 'GET', `/articles/${author.body.id}`);

    expect(status).toBe(403);
    expect(after.status).toBe(200);
  });
});

describe('the local token endpoint', () => {
  it('answers a body over its 4 KiB limit with a 413 that states 4096 bytes', async () => {
    const response = await requestJson<{ error: { code: string; message: string } }>(twin, 'POST', '/_local/token', {
      rawBody: JSON.stringify({ userId: 'alice', pad: 'x'.repeat(5000) }),
    });

    expect(response.status).toBe(413);
    expect(response.body.error).toEqual({ code: 'PAYLOAD_TOO_LARGE', message: 'body: must be at most 4096 bytes' });
  });

  it('lets a browser on an allowed origin get a token (preflight and answer)', async () => {
    const origin = DEFAULT_ALLOWED_ORIGINS[0] ?? '';
    const preflight = await fetch(`${twin.apiUrl}/_local/token`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    const issued = await fetch(`${twin.apiUrl}/_local/token`, {
      method: 'POST',
      headers: { origin, 'content-type': 'application/json' },
      body: JSON.stringify({ userId: 'browser-user' }),
    });

    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(origin);
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
    expect(preflight.headers.get('access-control-allow-headers')).toContain('Content-Type');
    expect(issued.status).toBe(200);
    expect(issued.headers.get('access-control-allow-origin')).toBe(origin);
  });

  it('gives another origin no CORS permission for a token', async () => {
    const issued = await fetch(`${twin.apiUrl}/_local/token`, {
      method: 'POST',
      headers: { origin: 'https://evil.example', 'content-type': 'application/json' },
      body: JSON.stringify({ userId: 'browser-user' }),
    });

    expect(issued.status).toBe(200);
    expect(issued.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe("the gateway's own answers carry the stack's gateway-response CORS headers", () => {
  const expected = Object.fromEntries(
    Object.entries(gatewayResponseCorsHeaders(DEFAULT_ALLOWED_ORIGINS)).map(([name, value]) => [
      name.toLowerCase(),
      value,
    ]),
  );
  const origin = { origin: DEFAULT_ALLOWED_ORIGINS[0] ?? '' };

  it.each([
    ['the authorizer 401', 'POST', '/articles', {}, false, 401],
    ['an unknown route 404', 'GET', '/nope', {}, false, 404],
    ['an unknown route 404 with an Authorization header', 'GET', '/nope', { authorization: 'Bearer abc' }, false, 404],
    ['a missing method 404', 'PATCH', '/articles', {}, false, 404],
    ['the body-limit 413', 'POST', '/articles', { 'content-type': 'application/json' }, true, 413],
  ])('adds them to %s', async (_what, method, path, headers, signedIn, status) => {
    const response = await requestJson(twin, method, path, {
      headers: { ...origin, ...headers },
      ...(method === 'POST'
        ? { rawBody: status === 413 ? 'x'.repeat(GATEWAY_MAX_BODY_BYTES + 1) : '{"title":"t","body":"b"}' }
        : {}),
      ...(signedIn ? { token: alice } : {}),
    });

    expect(Object.keys(expected)).toContain('access-control-allow-origin');
    expect(response.status).toBe(status);
    for (const [name, value] of Object.entries(expected)) expect(response.headers[name]).toBe(value);
  });
});
