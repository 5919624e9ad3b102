import { DynamoMediaStore } from '../../../functions/api/media-records';
import { DynamoArticleStore } from '../../../functions/articles/dynamodb-stores';
import type { Article } from '../../../functions/articles/ports';
import { createArticleSchema } from '../../../functions/articles/schemas';
import { articlesTable, mediaTable } from '../../../infra/definitions/tables';
import { emulatedTables, type EmulatedTables } from '../../fixtures/dynamodb';
import { ALICE, BOB } from '../api/fakes';

/**
 * The DynamoDB adapters against the twin's DynamoDB (dynalite behind its front), with the tables
 * built from infra/definitions/tables.ts as the twin builds them:
 * the mocked-client tests prove which commands are sent, these prove DynamoDB accepts them
 * (expression syntax, reserved words, conditions, the GSI) and behaves as the core expects.
 */

let tables: EmulatedTables;
let articles: DynamoArticleStore;
let media: DynamoMediaStore;

function article(index: number, authorId = ALICE): Article {
  const createdAt = new Date(Date.UTC(2026, 4, 1, 10, 0, index)).toISOString();
  return {
    id: `art-${index}`,
    authorId,
    title: `Article ${index}`,
    body: 'b',
    tags: ['food'],
    createdAt,
    updatedAt: createdAt,
  };
}

beforeAll(async () => {
  tables = await emulatedTables(
    { [articlesTable.id]: articlesTable, [mediaTable.id]: mediaTable },
    { marshallOptions: { removeUndefinedValues: true } },
  );
  articles = new DynamoArticleStore(tables.documents, articlesTable.id);
  media = new DynamoMediaStore(tables.documents, mediaTable.id);
});

afterAll(() => tables.close());

describe('DynamoDB adapters on an emulator', () => {
  it('pages newest first through the byNewest index without duplicates', async () => {
    // Arrange
    for (let index = 0; index < 7; index += 1) await articles.create(article(index));

    // Act
    const seen: string[] = [];
    let page = await articles.listNewest(3);
    seen.push(...page.items.map((item) => item.id));
    while (page.cursor) {
      page = await articles.listNewest(3, page.cursor);
      seen.push(...page.items.map((item) => item.id));
    }

    // Assert
    expect(seen).toEqual(['art-6', 'art-5', 'art-4', 'art-3', 'art-2', 'art-1', 'art-0']);
  });

  it('promises no next page when the last page is exactly full', async () => {
    // Arrange
    for (let index = 500; index < 502; index += 1) await articles.create(article(index));
    const total = (await articles.listNewest(100)).items.length;

    // Act
    const exact = await articles.listNewest(total);
    const short = await articles.listNewest(total - 1);

    // Assert
    expect(exact.items).toHaveLength(total);
    expect(exact.cursor).toBeUndefined();
    expect(short.items).toHaveLength(total - 1);
    expect(short.cursor).toBeDefined();
  });

  it('refuses to create an article over an existing id', async () => {
    await articles.create(article(100));

    await expect(articles.create({ ...article(100), title: 'Overwrite' })).rejects.toMatchObject({
      name: 'ConditionalCheckFailedException',
    });
    expect((await articles.get('art-100'))?.title).toBe('Article 100');
  });

  it('replaces content for the author and removes fields left out', async () => {
    // Arrange
    await articles.create({ ...article(200), location: { name: 'Porto', lat: 41.1, lng: -8.6 }, coverMediaId: 'm-1' });

    // Act
    const outcome = await articles.replaceContent(
      'art-200',
      ALICE,
      { title: 'New', body: 'Body', tags: [] },
      '2026-06-01T00:00:00.000Z',
    );

    // Assert
    expect(outcome).toEqual({
      kind: 'done',
      value: { ...article(200), title: 'New', body: 'Body', tags: [], updatedAt: '2026-06-01T00:00:00.000Z' },
    });
  });

  it('keeps the item unchanged and answers forbidden for another author', async () => {
    await articles.create(article(300));

    const outcome = await articles.replaceContent(
      'art-300',
      BOB,
      { title: 'Hijack', body: 'x', tags: [] },
      '2026-06-01T00:00:00.000Z',
    );

    expect(outcome).toEqual({ kind: 'forbidden' });
    expect((await articles.get('art-300'))?.title).toBe('Article 300');
  });

  it('answers not-found when replacing an absent article, without creating it', async () => {
    const outcome = await articles.replaceContent(
      'art-missing',
      ALICE,
      { title: 't', body: 'b', tags: [] },
      '2026-06-01T00:00:00.000Z',
    );

    expect(outcome).toEqual({ kind: 'not-found' });
    expect(await articles.get('art-missing')).toBeUndefined();
  });

  it('deletes only for the author', async () => {
    await articles.create(article(400));

    const byBob = await articles.delete('art-400', BOB);
    const byAlice = await articles.delete('art-400', ALICE);
    const again = await articles.delete('art-400', ALICE);

    expect([byBob.kind, byAlice.kind, again.kind]).toEqual(['forbidden', 'done', 'not-found']);
  });

  it('writes a PENDING media record once and never overwrites it', async () => {
    const pending = {
      mediaId: 'media-1',
      ownerId: ALICE,
      status: 'PENDING' as const,
      createdAt: 't',
      updatedAt: 't',
      uploadExpiresAt: 't',
      removeAt: 1,
    };
    await media.createPending(pending);

    await expect(media.createPending({ ...pending, ownerId: BOB })).rejects.toMatchObject({
      name: 'ConditionalCheckFailedException',
    });
    expect((await media.get('media-1'))?.ownerId).toBe(ALICE);
  });
  it('stores coordinates nearer zero than 1E-130 once the request schema has normalised them, and refuses them raw', async () => {
    // Arrange: what a client may send; DynamoDB numbers underflow below 1E-130
    const sent = { title: 'Null Island', body: 'b', location: { name: 'x', lat: 1e-131, lng: -5e-324 } };
    const { location } = createArticleSchema.parse(sent);

    // Act
    const unnormalised = articles.create({ ...article(600), location: sent.location });
    await articles.create({ ...article(601), ...(location ? { location } : {}) });

    // Assert
    await expect(unnormalised).rejects.toMatchObject({ name: 'ValidationException' });
    expect((await articles.get('art-601'))?.location).toEqual({ name: 'x', lat: 0, lng: 0 });
  });
});
