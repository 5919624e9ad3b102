import type { ArticlesHandlerDeps, ArticlesSettings } from '../../../functions/articles/handler';
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
  pageTokenSecret: SECRET,
  allowedOrigins: [ALLOWED_ORIGIN],
};

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
  const deps: ArticlesHandlerDeps = { articles, media, settings, clock, ids: new SequentialIds(), ...overrides };
  return { deps, articles, media, clock };
}

export function validArticle(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { title: 'Lisbon in three days', body: 'Start at the castle.', ...overrides };
}
