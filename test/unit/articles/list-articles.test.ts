import { createHandler } from '../../../functions/articles/handler';
import type { Article } from '../../../functions/articles/ports';
import { ALICE, BOB, apiEvent, errorOf, jsonEvent } from '../api/fakes';
import { FakePageTokenKeys, articlesWorld, validArticle } from './fakes';
import type { ArticlesWorld } from './fakes';

/** GET /articles: limits, newest-first paging and the signed nextToken, over an in-memory store. */

interface Listing {
  items: Article[];
  nextToken?: string;
}

function list(query?: Record<string, string>) {
  return apiEvent({ method: 'GET', resource: '/articles', ...(query === undefined ? {} : { query }) });
}

async function seed(world: ArticlesWorld, count: number): Promise<ReturnType<typeof createHandler>> {
  const handler = createHandler(world.deps);
  for (let index = 0; index < count; index += 1) {
    const response = await handler(
      jsonEvent({
        method: 'POST',
        resource: '/articles',
        userId: index % 2 ? ALICE : BOB,
        json: validArticle({ title: `Article ${index}` }),
      }),
    );
    if (response.statusCode !== 201) throw new Error(response.body);
    world.clock.advance(1000);
  }
  return handler;
}

describe('GET /articles', () => {
  it('lists newest first with the default limit of 20', async () => {
    // Arrange
    const world = articlesWorld();
    const handler = await seed(world, 25);

    // Act
    const response = await handler(list());

    // Assert
    const listing = JSON.parse(response.body) as Listing;
    expect(response.statusCode).toBe(200);
    expect(listing.items).toHaveLength(20);
    expect(listing.items[0]?.title).toBe('Article 24');
    expect(listing.items[19]?.title).toBe('Article 5');
    expect(typeof listing.nextToken).toBe('string');
  });

  it('walks every article exactly once across pages', async () => {
    // Arrange
    const world = articlesWorld();
    const handler = await seed(world, 23);
    const seen: string[] = [];
    let nextToken: string | undefined;

    // Act
    do {
      const response = await handler(list({ limit: '5', ...(nextToken === undefined ? {} : { nextToken }) }));
      expect(response.statusCode).toBe(200);
      const listing = JSON.parse(response.body) as Listing;
      seen.push(...listing.items.map((item) => item.id));
      nextToken = listing.nextToken;
    } while (nextToken !== undefined);

    // Assert
    expect(seen).toHaveLength(23);
    expect(new Set(seen).size).toBe(23);
    expect(world.articles.listCalls).toBe(5);
  });

  it('omits nextToken on the last page', async () => {
    const world = articlesWorld();
    const handler = await seed(world, 3);

    const listing = JSON.parse((await handler(list({ limit: '10' }))).body) as Listing;

    expect(listing.items).toHaveLength(3);
    expect(listing).not.toHaveProperty('nextToken');
  });

  it('returns an empty list when there are no articles', async () => {
    const handler = createHandler(articlesWorld().deps);

    const response = await handler(list());

    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ items: [] });
  });

  it.each([['1'], ['100']])('accepts limit=%s', async (limit) => {
    const world = articlesWorld();
    const handler = await seed(world, 2);

    const response = await handler(list({ limit }));

    expect(response.statusCode).toBe(200);
    expect((JSON.parse(response.body) as Listing).items.length).toBeLessThanOrEqual(Number(limit));
  });

  it.each([['0'], ['101'], ['-1'], ['1.5'], ['abc'], [''], ['1e2'], [' 5'], ['0x10'], ['99999999999999999999']])(
    'returns 400 naming limit for limit=%j',
    async (limit) => {
      const world = articlesWorld();
      const handler = createHandler(world.deps);

      const error = errorOf(await handler(list({ limit })));

      expect(error).toEqual({
        status: 400,
        code: 'VALIDATION_ERROR',
        message: 'limit: must be an integer from 1 to 100',
      });
      expect(world.articles.listCalls).toBe(0);
    },
  );

  it('returns 400 for a limit given twice', async () => {
    const handler = createHandler(articlesWorld().deps);
    const event = apiEvent({
      method: 'GET',
      resource: '/articles',
      query: { limit: '5' },
      multiQuery: { limit: ['5', '50'] },
    });

    const error = errorOf(await handler(event));

    expect(error).toEqual({ status: 400, code: 'VALIDATION_ERROR', message: 'limit: must be given at most once' });
  });

  it('returns 400 naming an unknown query parameter', async () => {
    const handler = createHandler(articlesWorld().deps);

    const error = errorOf(await handler(list({ sort: 'oldest' })));

    expect(error).toEqual({ status: 400, code: 'VALIDATION_ERROR', message: 'sort: is not a known query parameter' });
  });

  it.each([
    ['garbage', 'not-a-token'],
    ['empty', ''],
    ['base64 JSON without a MAC', Buffer.from('{"listSortKey":"x"}').toString('base64url')],
    ['a MAC of the wrong length', `${Buffer.from('{"listSortKey":"x"}').toString('base64url')}.AAAA`],
    ['a forged MAC', `${Buffer.from('{"listSortKey":"x"}').toString('base64url')}.${'A'.repeat(43)}`],
    ['DynamoDB operator syntax', '{"id":{"S":"x"}}'],
    ['a huge token', 'A'.repeat(10_000)],
  ])('returns 400 naming nextToken for a %s token, without querying', async (_case, nextToken) => {
    const world = articlesWorld();
    const handler = createHandler(world.deps);

    const error = errorOf(await handler(list({ nextToken })));

    expect(error).toEqual({ status: 400, code: 'VALIDATION_ERROR', message: 'nextToken: is not a valid page token' });
    expect(world.articles.listCalls).toBe(0);
  });

  it('returns 400 for a real token whose payload was altered', async () => {
    // Arrange
    const world = articlesWorld();
    const handler = await seed(world, 3);
    const { nextToken } = JSON.parse((await handler(list({ limit: '1' }))).body) as Listing;
    const [payload = '', mac = ''] = (nextToken ?? '').split('.');
    const altered = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, string>;
    altered.listSortKey = '9999';
    const tampered = `${Buffer.from(JSON.stringify(altered)).toString('base64url')}.${mac}`;

    // Act
    const error = errorOf(await handler(list({ nextToken: tampered })));

    // Assert
    expect(error).toEqual({ status: 400, code: 'VALIDATION_ERROR', message: 'nextToken: is not a valid page token' });
  });

  it('returns 400 for a token signed with another secret', async () => {
    // Arrange
    const other = articlesWorld({ pageTokenKeys: new FakePageTokenKeys('another-secret-another-secret-another') });
    const otherHandler = await seed(other, 3);
    const { nextToken } = JSON.parse((await otherHandler(list({ limit: '1' }))).body) as Listing;
    const world = articlesWorld();
    const handler = await seed(world, 3);

    // Act
    const error = errorOf(await handler(list({ nextToken: nextToken ?? '' })));

    // Assert
    expect(error).toMatchObject({
      status: 400,
      code: 'VALIDATION_ERROR',
      message: 'nextToken: is not a valid page token',
    });
  });

  it('keeps serving a listing across a key rotation: the next page of an earlier token still comes', async () => {
    // Arrange
    const keys = new FakePageTokenKeys();
    const world = articlesWorld({ pageTokenKeys: keys });
    const handler = await seed(world, 3);
    const first = JSON.parse((await handler(list({ limit: '1' }))).body) as Listing;

    // Act
    keys.rotate('rotated-page-token-key-0123456789abcdef');
    await keys.refresh();
    const second = await handler(list({ limit: '1', nextToken: first.nextToken ?? '' }));

    // Assert
    expect(second.statusCode).toBe(200);
    expect((JSON.parse(second.body) as Listing).items.map((a) => a.title)).toEqual(['Article 1']);
  });

  it('answers 500 without detail when the page-token key cannot be read', async () => {
    // Arrange
    const keys = new FakePageTokenKeys();
    jest.spyOn(keys, 'current').mockRejectedValue(new Error('AccessDeniedException: secretsmanager:GetSecretValue'));
    const handler = await seed(articlesWorld({ pageTokenKeys: keys }), 3);

    // Act
    const response = await handler(list({ limit: '1' }));

    // Assert
    expect(response.statusCode).toBe(500);
    expect(response.body).not.toContain('secretsmanager');
  });
});
