import type { ArticlesHandlerDeps, ArticlesSettings } from '../../../functions/articles/handler';
import type { PageTokenKeys } from '../../../functions/articles/page-token';
import type {
  Article,
  ArticleContent,
  ArticlePage,
  ArticleStore,
  OwnedWriteOutcome,
  PageCursor,
} from '../../../functions/articles/ports';
import { ALLOWED_ORIGIN, FixedClock, InMemoryMediaStore, SequentialIds } from '../api/fakes';

/** Test doubles of the articles function's own ports, and its handler over in-memory stores. */

export const SECRET = 'test-page-token-secret-0123456789abcdef';

export const settings: ArticlesSettings = {
  allowedOrigins: [ALLOWED_ORIGIN],
};

/**
 * The page-token keys as a secret store holds them (`stored`) and as this execution environment
 * last read them (`seen`): `rotate` changes the store only, as another environment or an operator
 * would; `refresh` reads it again, unless `refreshAllowed` is false (read moments ago).
 */
export class FakePageTokenKeys implements PageTokenKeys {
  stored: { current: string; previous?: string };
  seen: { current: string; previous?: string };
  refreshAllowed = true;
  refreshes = 0;
  previousReads = 0;

  constructor(current = SECRET, previous?: string) {
    this.stored = previous === undefined ? { current } : { current, previous };
    this.seen = { ...this.stored };
  }

  /** A new AWSCURRENT; the old one becomes AWSPREVIOUS (what PutSecretValue does). */
  rotate(next: string): void {
    this.stored = { current: next, previous: this.stored.current };
  }

  async current(): Promise<string> {
    return this.seen.current;
  }

  async previous(): Promise<string | undefined> {
    this.previousReads += 1;
    return this.seen.previous;
  }

  async refresh(): Promise<boolean> {
    if (!this.refreshAllowed) return false;
    this.refreshes += 1;
    this.seen = { ...this.stored };
    return true;
  }
}

/** Newest first by `{createdAt}#{id}`, like the byNewest index; the cursor is the last key returned. */
export class InMemoryArticleStore implements ArticleStore {
  readonly items = new Map<string, Article>();
  listCalls = 0;

  async create(article: Article): Promise<void> {
    if (this.items.has(article.id)) throw new Error('exists');
    this.items.set(article.id, structuredClone(article));
  }

  async get(id: string): Promise<Article | undefined> {
    const article = this.items.get(id);
    return article === undefined ? undefined : structuredClone(article);
  }

  async listNewest(limit: number, after?: PageCursor): Promise<ArticlePage> {
    this.listCalls += 1;
    const sorted = [...this.items.values()].sort((a, b) => sortKey(b).localeCompare(sortKey(a)));
    const start = after === undefined ? 0 : sorted.findIndex((article) => sortKey(article) === after.listSortKey) + 1;
    const items = sorted.slice(start, start + limit);
    const last = items[items.length - 1];
    const more = start + limit < sorted.length;
    return more && last ? { items, cursor: { listSortKey: sortKey(last) } } : { items };
  }

  async replaceContent(
    id: string,
    authorId: string,
    content: ArticleContent,
    updatedAt: string,
  ): Promise<OwnedWriteOutcome<Article>> {
    const existing = this.items.get(id);
    if (!existing) return { kind: 'not-found' };
    if (existing.authorId !== authorId) return { kind: 'forbidden' };
    const updated: Article = { id, authorId, createdAt: existing.createdAt, updatedAt, ...structuredClone(content) };
    this.items.set(id, updated);
    return { kind: 'done', value: structuredClone(updated) };
  }

  async delete(id: string, authorId: string): Promise<OwnedWriteOutcome<undefined>> {
    const existing = this.items.get(id);
    if (!existing) return { kind: 'not-found' };
    if (existing.authorId !== authorId) return { kind: 'forbidden' };
    this.items.delete(id);
    return { kind: 'done', value: undefined };
  }
}

function sortKey(article: Article): string {
  return `${article.createdAt}#${article.id}`;
}

export interface ArticlesWorld {
  /** For the articles function's createHandler. */
  deps: ArticlesHandlerDeps;
  articles: InMemoryArticleStore;
  /** The media records the articles function reads to attach media. */
  media: InMemoryMediaStore;
  clock: FixedClock;
}

export function articlesWorld(overrides: Partial<ArticlesHandlerDeps> = {}): ArticlesWorld {
  const articles = new InMemoryArticleStore();
  const media = new InMemoryMediaStore();
  const clock = new FixedClock();
  const deps: ArticlesHandlerDeps = {
    articles,
    media,
    pageTokenKeys: new FakePageTokenKeys(),
    settings,
    clock,
    ids: new SequentialIds(),
    ...overrides,
  };
  return { deps, articles, media, clock };
}

export function validArticle(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { title: 'Lisbon in three days', body: 'Start at the castle.', ...overrides };
}
