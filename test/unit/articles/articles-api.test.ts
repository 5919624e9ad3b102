import { createHandler } from '../../../functions/articles/handler';
import type { Article } from '../../../functions/articles/ports';
import { ALICE, BOB, apiEvent, errorOf, jsonEvent, parse, type EventOptions } from '../api/fakes';
import { articlesWorld, validArticle } from './fakes';

/** The article routes end to end through createHandler, with in-memory stores. */

function post(userId: string | undefined, json: unknown) {
  return jsonEvent({ method: 'POST', resource: '/articles', json, ...(userId === undefined ? {} : { userId }) });
}

/** POST /articles by ALICE with the headers and body as API Gateway hands them on. */
function rawPost(request: Pick<EventOptions, 'headers' | 'body' | 'isBase64Encoded'>) {
  return apiEvent({ method: 'POST', resource: '/articles', userId: ALICE, ...request });
}

function getArticle(id: string) {
  return apiEvent({ method: 'GET', resource: '/articles/{id}', pathParameters: { id } });
}

function put(userId: string, id: string, json: unknown) {
  return jsonEvent({ method: 'PUT', resource: '/articles/{id}', pathParameters: { id }, json, userId });
}

async function createArticle(
  handler: ReturnType<typeof createHandler>,
  userId: string,
  overrides = {},
): Promise<Article> {
  const response = await handler(post(userId, validArticle(overrides)));
  if (response.statusCode !== 201) throw new Error(`setup failed: ${response.body}`);
  return JSON.parse(response.body) as Article;
}

/** A world holding one article of ALICE's, created through the handler. */
async function withArticleOfAlice(overrides = {}) {
  const world = articlesWorld();
  const handler = createHandler(world.deps);
  const created = await createArticle(handler, ALICE, overrides);
  return { world, handler, created };
}

describe('the article writes', () => {
  it.each([
    ['POST when the authorizer claims are missing', post(undefined, validArticle())],
    [
      'POST when the sub claim is not a safe id',
      jsonEvent({ method: 'POST', resource: '/articles', json: validArticle(), claims: { sub: '../admin' } }),
    ],
    [
      'PUT without claims',
      jsonEvent({ method: 'PUT', resource: '/articles/{id}', pathParameters: { id: 'a' }, json: validArticle() }),
    ],
    ['DELETE without claims', apiEvent({ method: 'DELETE', resource: '/articles/{id}', pathParameters: { id: 'a' } })],
  ])('return 401 for a %s', async (_case, event) => {
    const handler = createHandler(articlesWorld().deps);

    const error = errorOf(await handler(event));

    expect(error).toEqual({ status: 401, code: 'UNAUTHORIZED', message: 'Authentication required' });
  });
});

describe('POST /articles', () => {
  it('creates an article with server-chosen id, author and timestamps', async () => {
    // Arrange
    const world = articlesWorld();
    const handler = createHandler(world.deps);

    // Act
    const response = parse(
      await handler(
        post(
          ALICE,
          validArticle({
            title: '  Lisbon  ',
            tags: ['food', 'lisbon', 'food'],
            location: { name: 'Lisbon', lat: 38.72, lng: -9.14 },
          }),
        ),
      ),
    );

    // Assert
    expect(response.status).toBe(201);
    expect(response.headers['content-type']).toBe('application/json');
    expect(response.body).toEqual({
      id: 'id-0001',
      authorId: ALICE,
      title: 'Lisbon',
      body: 'Start at the castle.',
      location: { name: 'Lisbon', lat: 38.72, lng: -9.14 },
      tags: ['food', 'lisbon'],
      createdAt: '2026-05-01T10:00:00.000Z',
      updatedAt: '2026-05-01T10:00:00.000Z',
    });
    expect(world.articles.items.get('id-0001')?.authorId).toBe(ALICE);
  });

  it.each([
    ['title missing', { title: undefined }, 'title: is required'],
    ['title blank', { title: '   ' }, 'title: must not be blank'],
    ['title of invisible characters only', { title: ' \u200B\u2060\uFEFF ' }, 'title: must not be blank'],
    [
      'location name of a zero-width space',
      { location: { name: '\u200B', lat: 0, lng: 0 } },
      'location.name: must not be blank',
    ],
    ['title too long', { title: 'x'.repeat(201) }, 'title: must be at most 200 characters'],
    ['title with a control character', { title: 'a\u0000b' }, 'title: must not contain control characters'],
    ['title not a string', { title: 42 }, 'title: must be a string'],
    ['title an empty array (its type only, not its length)', { title: [] }, 'title: must be a string'],
    [
      'title with a lone surrogate',
      { title: 'a\uD800b' },
      'title: must be well-formed Unicode text (a lone surrogate is not)',
    ],
    [
      'body with a lone surrogate',
      { body: 'x\uDC00' },
      'body: must be well-formed Unicode text (a lone surrogate is not)',
    ],
    [
      'location name with a lone surrogate',
      { location: { name: '\uD83D', lat: 0, lng: 0 } },
      'location.name: must be well-formed Unicode text (a lone surrogate is not)',
    ],
    ['body missing', { body: undefined }, 'body: is required'],
    ['body empty', { body: '' }, 'body: must not be empty'],
    ['body too long', { body: 'x'.repeat(50_001) }, 'body: must be at most 50000 characters'],
    [
      'too many tags',
      { tags: ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k'] },
      'tags: must have at most 10 items',
    ],
    ['tag with capitals', { tags: ['Food'] }, 'tags[0]: must be lowercase letters and digits joined by single hyphens'],
    ['tag too long', { tags: ['x'.repeat(31)] }, 'tags[0]: must be at most 30 characters'],
    ['tags not an array', { tags: 'food' }, 'tags: must be an array'],
    ['tags an empty string (its type only, not its length)', { tags: '' }, 'tags: must be an array'],
    [
      'latitude out of range',
      { location: { name: 'Pole', lat: 91, lng: 0 } },
      'location.lat: must be between -90 and 90',
    ],
    [
      'longitude out of range',
      { location: { name: 'X', lat: 0, lng: -180.5 } },
      'location.lng: must be between -180 and 180',
    ],
    ['location name missing', { location: { lat: 0, lng: 0 } }, 'location.name: is required'],
    ['unknown location field', { location: { name: 'X', lat: 0, lng: 0, alt: 3 } }, 'location.alt: unknown field'],
    [
      'coverMediaId with illegal characters',
      { coverMediaId: '../x' },
      'coverMediaId: must be 1 to 128 letters, digits, "-" or "_"',
    ],
    ['unknown top-level field', { authorId: BOB }, 'authorId: unknown field'],
  ])('returns 400 naming the field when %s', async (_case, overrides, message) => {
    // Arrange
    const handler = createHandler(articlesWorld().deps);

    // Act
    const error = errorOf(await handler(post(ALICE, validArticle(overrides))));

    // Assert
    expect(error.status).toBe(400);
    expect(error.code).toBe('VALIDATION_ERROR');
    expect(error.message).toBe(message);
  });

  it.each([
    ['an operator-looking object as title', '{"title":{"$gt":""},"body":"b"}', 'title: must be a string'],
    ['an operator-looking key', '{"title":"t","body":"b","$where":"1"}', '$where: unknown field'],
    ['a __proto__ key', '{"title":"t","body":"b","__proto__":{"isAdmin":true}}', '__proto__: unknown field'],
    [
      'a constructor key',
      '{"title":"t","body":"b","constructor":{"prototype":{"isAdmin":true}}}',
      'constructor: unknown field',
    ],
    [
      'a nested __proto__ key',
      '{"title":"t","body":"b","location":{"name":"x","lat":0,"lng":0,"__proto__":{"isAdmin":true}}}',
      'location.__proto__: unknown field',
    ],
  ])('rejects %s with 400 and pollutes nothing', async (_case, body, message) => {
    // Arrange
    const world = articlesWorld();
    const handler = createHandler(world.deps);
    const event = rawPost({
      headers: { 'content-type': 'application/json' },
      body,
    });

    // Act
    const error = errorOf(await handler(event));

    // Assert
    expect(error).toMatchObject({ status: 400, code: 'VALIDATION_ERROR' });
    expect(error.message).toContain(message);
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
    expect(world.articles.items.size).toBe(0);
  });

  it('names at most five problems however many fields are wrong', async () => {
    // Arrange
    const handler = createHandler(articlesWorld().deps);
    const json = {
      ...validArticle(),
      ...Object.fromEntries(Array.from({ length: 2000 }, (_, index) => [`k${index}`, 1])),
    };

    // Act
    const error = errorOf(await handler(post(ALICE, json)));

    // Assert
    expect(error).toEqual({
      status: 400,
      code: 'VALIDATION_ERROR',
      message:
        'k0: unknown field; k1: unknown field; k2: unknown field; k3: unknown field; k4: unknown field; and 1995 more',
    });
  });

  it('quotes and shortens a hostile field name', async () => {
    const handler = createHandler(articlesWorld().deps);

    const error = errorOf(await handler(post(ALICE, { ...validArticle(), [`<img src=x>${'a'.repeat(500)}`]: 1 })));

    expect(error).toEqual({
      status: 400,
      code: 'VALIDATION_ERROR',
      message: `${JSON.stringify(`<img src=x>${'a'.repeat(53)}`)}: unknown field`,
    });
  });

  it('reports every missing required field', async () => {
    const handler = createHandler(articlesWorld().deps);

    const error = errorOf(await handler(post(ALICE, {})));

    expect(error).toEqual({ status: 400, code: 'VALIDATION_ERROR', message: 'title: is required; body: is required' });
  });

  it.each([
    ['invalid JSON', '{"title": ', 'body: must be valid JSON'],
    ['a JSON array', '[{"title":"t","body":"b"}]', 'body: must be a JSON object'],
    ['JSON null', 'null', 'body: must be a JSON object'],
    ['a JSON number', '42', 'body: must be a JSON object'],
    ['a JSON string', '"hello"', 'body: must be a JSON object'],
    ['an empty body', '', 'body: is required'],
    [
      'a number that overflows to Infinity',
      '{"title":"t","body":"b","location":{"name":"x","lat":1e400,"lng":0}}',
      'location.lat: must be a number',
    ],
    ['a JSON null field', '{"title":null,"body":"b"}', 'title: must be a string'],
    [
      'deeply nested arrays',
      `{"title":${'['.repeat(20_000)}${']'.repeat(20_000)},"body":"b"}`,
      'title: must be a string',
    ],
  ])('returns 400 for %s', async (_case, body, message) => {
    const handler = createHandler(articlesWorld().deps);
    const event = rawPost({
      headers: { 'content-type': 'application/json' },
      body,
    });

    const error = errorOf(await handler(event));

    expect(error).toEqual({ status: 400, code: 'VALIDATION_ERROR', message });
  });

  it('returns 400 for a base64 body that is not UTF-8', async () => {
    const handler = createHandler(articlesWorld().deps);
    const event = rawPost({
      headers: { 'content-type': 'application/json' },
      body: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]).toString('base64'),
      isBase64Encoded: true,
    });

    const error = errorOf(await handler(event));

    expect(error).toEqual({ status: 400, code: 'VALIDATION_ERROR', message: 'body: must be UTF-8 encoded' });
  });

  it('accepts a base64-encoded JSON body', async () => {
    const handler = createHandler(articlesWorld().deps);
    const event = rawPost({
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: Buffer.from(JSON.stringify(validArticle())).toString('base64'),
      isBase64Encoded: true,
    });

    const response = await handler(event);

    expect(response.statusCode).toBe(201);
  });

  it('returns 413 for a body over 64 KiB', async () => {
    const handler = createHandler(articlesWorld().deps);

    const error = errorOf(await handler(post(ALICE, validArticle({ body: 'x'.repeat(64 * 1024) }))));

    expect(error).toEqual({ status: 413, code: 'PAYLOAD_TOO_LARGE', message: 'body: must be at most 65536 bytes' });
  });

  it('measures the limit in bytes, not characters', async () => {
    // 30,000 three-byte characters: under 64 Ki characters, over 64 KiB.
    const handler = createHandler(articlesWorld().deps);

    const error = errorOf(await handler(post(ALICE, validArticle({ body: '€'.repeat(30_000) }))));

    expect(error).toEqual({ status: 413, code: 'PAYLOAD_TOO_LARGE', message: 'body: must be at most 65536 bytes' });
  });

  it('returns 413 for an oversized base64-encoded body', async () => {
    const handler = createHandler(articlesWorld().deps);
    const event = rawPost({
      headers: { 'content-type': 'application/json' },
      body: Buffer.alloc(64 * 1024 + 1, 0x20).toString('base64'),
      isBase64Encoded: true,
    });

    const error = errorOf(await handler(event));

    expect(error).toMatchObject({ status: 413, code: 'PAYLOAD_TOO_LARGE' });
    expect(error.message).toMatch(/^body: /);
  });

  it.each([
    ['text/plain', 'text/plain'],
    ['form encoded', 'application/x-www-form-urlencoded'],
    ['JSON in another charset', 'application/json; charset=utf-16'],
  ])('returns 415 for content-type %s', async (_case, contentType) => {
    const handler = createHandler(articlesWorld().deps);
    const event = rawPost({
      headers: { 'content-type': contentType },
      body: '{}',
    });

    const error = errorOf(await handler(event));

    expect(error).toEqual({
      status: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
      message: 'content-type: must be application/json',
    });
  });

  it('returns 415 when the content-type header is missing', async () => {
    const handler = createHandler(articlesWorld().deps);
    const event = rawPost({
      body: JSON.stringify(validArticle()),
    });

    const error = errorOf(await handler(event));

    expect(error).toMatchObject({ status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' });
    expect(error.message).toContain('content-type');
  });

  it('accepts a cover image that the author uploaded', async () => {
    const world = articlesWorld();
    world.media.put({ mediaId: 'media-1', ownerId: ALICE, status: 'PENDING' });
    const handler = createHandler(world.deps);

    const response = parse(await handler(post(ALICE, validArticle({ coverMediaId: 'media-1' }))));

    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({ coverMediaId: 'media-1' });
  });

  it.each([
    ['belongs to someone else', { ownerId: BOB, status: 'READY' }, 'coverMediaId: must name media uploaded by you'],
    ['does not exist', undefined, 'coverMediaId: must name media uploaded by you'],
    [
      'moderation rejected',
      { ownerId: ALICE, status: 'REJECTED' },
      'coverMediaId: cannot use media with status REJECTED',
    ],
  ] as const)('returns 400 for a cover image that %s', async (_case, stored, message) => {
    const world = articlesWorld();
    if (stored) world.media.put({ mediaId: 'media-1', ...stored });
    const handler = createHandler(world.deps);

    const error = errorOf(await handler(post(ALICE, validArticle({ coverMediaId: 'media-1' }))));

    expect(error).toEqual({ status: 400, code: 'VALIDATION_ERROR', message });
  });
});

describe('GET /articles/{id}', () => {
  it('returns the article without authentication', async () => {
    const { handler, created } = await withArticleOfAlice();

    const response = parse(await handler(getArticle(created.id)));

    expect(response.status).toBe(200);
    expect(response.body).toEqual(created);
  });

  it('returns 404 for an unknown id', async () => {
    const handler = createHandler(articlesWorld().deps);

    const error = errorOf(await handler(getArticle('nope')));

    expect(error).toEqual({ status: 404, code: 'NOT_FOUND', message: 'Article not found' });
  });

  it.each([['../etc'], ['a b'], ['x'.repeat(129)], ['']])('returns 400 naming id for the id %j', async (id) => {
    const handler = createHandler(articlesWorld().deps);

    const error = errorOf(await handler(getArticle(id)));

    expect(error).toEqual({
      status: 400,
      code: 'VALIDATION_ERROR',
      message: 'id: must be 1 to 128 letters, digits, "-" or "_"',
    });
  });
});

describe('PUT /articles/{id}', () => {
  it('replaces the editable fields and keeps id, author and createdAt', async () => {
    // Arrange
    const { world, handler, created } = await withArticleOfAlice({
      tags: ['food'],
      location: { name: 'Lisbon', lat: 1, lng: 2 },
    });
    world.clock.advance(60_000);

    // Act
    const response = parse(await handler(put(ALICE, created.id, { title: 'New title', body: 'New body' })));

    // Assert
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      id: created.id,
      authorId: ALICE,
      title: 'New title',
      body: 'New body',
      tags: [],
      createdAt: created.createdAt,
      updatedAt: '2026-05-01T10:01:00.000Z',
    });
  });

  it('removes optional fields left out (full replacement)', async () => {
    const { world, handler, created } = await withArticleOfAlice({ location: { name: 'Lisbon', lat: 1, lng: 2 } });

    await handler(put(ALICE, created.id, { title: 't', body: 'b' }));

    expect(world.articles.items.get(created.id)?.location).toBeUndefined();
  });

  it('returns 400 when a required field is left out', async () => {
    const { handler, created } = await withArticleOfAlice();

    const error = errorOf(await handler(put(ALICE, created.id, { title: 'only the title' })));

    expect(error).toEqual({ status: 400, code: 'VALIDATION_ERROR', message: 'body: is required' });
  });

  it.each([['id'], ['authorId'], ['createdAt']])('returns 400 when the body tries to set %s', async (field) => {
    const { handler, created } = await withArticleOfAlice();

    const error = errorOf(await handler(put(ALICE, created.id, validArticle({ [field]: 'x' }))));

    expect(error).toEqual({ status: 400, code: 'VALIDATION_ERROR', message: `${field}: unknown field` });
  });

  it('returns 403 when someone other than the author tries', async () => {
    const { world, handler, created } = await withArticleOfAlice();

    const error = errorOf(await handler(put(BOB, created.id, validArticle({ title: 'Hijacked' }))));

    expect(error).toEqual({ status: 403, code: 'FORBIDDEN', message: 'Only the author may change this article' });
    expect(world.articles.items.get(created.id)?.title).toBe('Lisbon in three days');
  });

  it('returns 404 for an article that does not exist', async () => {
    const handler = createHandler(articlesWorld().deps);

    const error = errorOf(await handler(put(ALICE, 'missing', validArticle())));

    expect(error).toEqual({ status: 404, code: 'NOT_FOUND', message: 'Article not found' });
  });

  it('returns 403 when the author changes between the read and the conditional write', async () => {
    // Arrange: the store's conditional write reports another author, as DynamoDB would after a race.
    const { world, handler, created } = await withArticleOfAlice();
    world.articles.replaceContent = async () => ({ kind: 'forbidden' });

    // Act
    const error = errorOf(await handler(put(ALICE, created.id, validArticle())));

    // Assert
    expect(error).toEqual({ status: 403, code: 'FORBIDDEN', message: 'Only the author may change this article' });
  });

  it('returns 400 for a cover image of another user', async () => {
    const world = articlesWorld();
    world.media.put({ mediaId: 'bobs', ownerId: BOB, status: 'READY' });
    const handler = createHandler(world.deps);
    const created = await createArticle(handler, ALICE);

    const error = errorOf(await handler(put(ALICE, created.id, validArticle({ coverMediaId: 'bobs' }))));

    expect(error).toEqual({
      status: 400,
      code: 'VALIDATION_ERROR',
      message: 'coverMediaId: must name media uploaded by you',
    });
  });
});

describe('DELETE /articles/{id}', () => {
  function del(userId: string | undefined, id: string) {
    return apiEvent({
      method: 'DELETE',
      resource: '/articles/{id}',
      pathParameters: { id },
      ...(userId === undefined ? {} : { userId }),
    });
  }

  it('deletes the author’s article with 204 and no body', async () => {
    const { world, handler, created } = await withArticleOfAlice();

    const response = await handler(del(ALICE, created.id));

    expect(response.statusCode).toBe(204);
    expect(response.body).toBe('');
    expect(world.articles.items.has(created.id)).toBe(false);
  });

  it('returns 403 for someone else’s article and keeps it', async () => {
    const { world, handler, created } = await withArticleOfAlice();

    const error = errorOf(await handler(del(BOB, created.id)));

    expect(error).toEqual({ status: 403, code: 'FORBIDDEN', message: 'Only the author may delete this article' });
    expect(world.articles.items.has(created.id)).toBe(true);
  });

  it('returns 404 for an article that does not exist', async () => {
    const handler = createHandler(articlesWorld().deps);

    const error = errorOf(await handler(del(ALICE, 'missing')));

    expect(error).toEqual({ status: 404, code: 'NOT_FOUND', message: 'Article not found' });
  });

  it('returns 400 naming id for an id with illegal characters', async () => {
    const handler = createHandler(articlesWorld().deps);

    const error = errorOf(await handler(del(ALICE, 'a/b')));

    expect(error).toMatchObject({ status: 400, code: 'VALIDATION_ERROR' });
    expect(error.message).toMatch(/^id: /);
  });
});
