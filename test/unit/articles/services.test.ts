import { ArticlesService } from '../../../functions/articles/articles-service';
import { ForbiddenError, NotFoundError, ValidationError } from '../../../functions/api/errors';
import { PageTokenCodec } from '../../../functions/articles/page-token';
import { TICKET_UPLOAD_GRACE_SECONDS } from '../../../functions/shared/media';
import { ALICE, BOB, FixedClock, InMemoryMediaStore, SequentialIds } from '../api/fakes';
import { FakePageTokenKeys, InMemoryArticleStore } from './fakes';

/** The pure core, without the HTTP seam: rules that need state. */

function articlesCore() {
  const articles = new InMemoryArticleStore();
  const media = new InMemoryMediaStore();
  const service = new ArticlesService({
    articles,
    media,
    clock: new FixedClock(),
    ids: new SequentialIds(),
    pageTokens: new PageTokenCodec(new FakePageTokenKeys()),
  });
  return { service, articles, media };
}

describe('ArticlesService', () => {
  it('drops duplicate tags and keeps their first order', async () => {
    const { service } = articlesCore();

    const article = await service.create(ALICE, { title: 't', body: 'b', tags: ['b', 'a', 'b', 'c', 'a'] });

    expect(article.tags).toEqual(['b', 'a', 'c']);
  });

  it('allows a PROCESSING cover of the author', async () => {
    const { service, media } = articlesCore();
    media.put({ mediaId: 'm1', ownerId: ALICE, status: 'PROCESSING' });

    const article = await service.create(ALICE, { title: 't', body: 'b', coverMediaId: 'm1' });

    expect(article.coverMediaId).toBe('m1');
  });

  it.each(['FAILED', 'REJECTED'] as const)('refuses a %s cover', async (status) => {
    const { service, media } = articlesCore();
    media.put({ mediaId: 'm1', ownerId: ALICE, status });

    await expect(service.create(ALICE, { title: 't', body: 'b', coverMediaId: 'm1' })).rejects.toThrow(
      new ValidationError('coverMediaId', `cannot use media with status ${status}`),
    );
  });

  it('refuses a PENDING ticket past its end as EXPIRED, and takes one still open', async () => {
    // The clock stands at 10:00; a ticket ends TICKET_UPLOAD_GRACE_SECONDS after its form expires.
    const { service, media } = articlesCore();
    const now = Date.parse('2026-05-01T10:00:00.000Z');
    const expiredForm = new Date(now - TICKET_UPLOAD_GRACE_SECONDS * 1000).toISOString();
    const openForm = new Date(now - TICKET_UPLOAD_GRACE_SECONDS * 1000 + 1000).toISOString();
    media.put({ mediaId: 'ended', ownerId: ALICE, status: 'PENDING', uploadExpiresAt: expiredForm });
    media.put({ mediaId: 'open', ownerId: ALICE, status: 'PENDING', uploadExpiresAt: openForm });

    await expect(service.create(ALICE, { title: 't', body: 'b', coverMediaId: 'ended' })).rejects.toThrow(
      new ValidationError('coverMediaId', 'cannot use media with status EXPIRED'),
    );
    await expect(service.create(ALICE, { title: 't', body: 'b', coverMediaId: 'open' })).resolves.toMatchObject({
      coverMediaId: 'open',
    });
  });

  it("refuses the author's media being deleted as unknown media", async () => {
    const { service, media } = articlesCore();
    media.put({ mediaId: 'm1', ownerId: ALICE, status: 'DELETING' });

    await expect(service.create(ALICE, { title: 't', body: 'b', coverMediaId: 'm1' })).rejects.toThrow(
      new ValidationError('coverMediaId', 'must name media uploaded by you'),
    );
  });

  it('checks the cover only after authorship on replace', async () => {
    // Arrange: Bob's cover check would fail too, but the answer must be about authorship.
    const { service } = articlesCore();
    const article = await service.create(ALICE, { title: 't', body: 'b' });

    // Act / Assert
    await expect(
      service.replace(article.id, BOB, { title: 't', body: 'b', coverMediaId: 'unknown' }),
    ).rejects.toBeInstanceOf(ForbiddenError);
  });

  it('reports a missing article on delete', async () => {
    const { service } = articlesCore();

    await expect(service.delete('nope', ALICE)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('does not consult the store for an invalid token', async () => {
    const { service, articles } = articlesCore();

    await expect(service.listNewest(5, 'bogus')).rejects.toBeInstanceOf(ValidationError);
    expect(articles.listCalls).toBe(0);
  });
});
