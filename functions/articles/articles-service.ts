import { ForbiddenError, NotFoundError, ValidationError } from '../api/errors';
import type { Clock, IdGenerator, MediaReader } from '../api/ports';
import { statusAt, TERMINAL_STATUSES } from '../shared/media';
import type { PageTokenCodec } from './page-token';
import type { Article, ArticleContent, ArticleStore, OwnedWriteOutcome } from './ports';
import type { CreateArticleInput, UpdateArticleInput } from './schemas';

export interface ArticlesServiceDeps {
  articles: ArticleStore;
  /** Media records are only read here: to check a cover image. */
  media: MediaReader;
  clock: Clock;
  ids: IdGenerator;
  pageTokens: PageTokenCodec;
}

export interface ArticleListing {
  items: Article[];
  nextToken?: string;
}

/** Media in a final state other than READY will never be shown, so it cannot become a cover. */
const UNUSABLE_COVER_STATUSES: ReadonlySet<string> = new Set(TERMINAL_STATUSES.filter((status) => status !== 'READY'));

/**
 * Article use cases. Inputs arrive already shaped by schemas.ts; this adds the rules that need
 * state: authorship, and that a cover image is the author's own media.
 */
export class ArticlesService {
  constructor(private readonly deps: ArticlesServiceDeps) {}

  async create(authorId: string, input: CreateArticleInput): Promise<Article> {
    const content = toContent(input);
    await this.assertUsableCover(authorId, content.coverMediaId);
    const now = this.deps.clock.now().toISOString();
    const article: Article = { id: this.deps.ids.newId(), authorId, ...content, createdAt: now, updatedAt: now };
    await this.deps.articles.create(article);
    return article;
  }

  async get(id: string): Promise<Article> {
    const article = await this.deps.articles.get(id);
    if (!article) throw new NotFoundError('Article not found');
    return article;
  }

  async listNewest(limit: number, nextToken?: string): Promise<ArticleListing> {
    // Verified before any store call: an unverifiable token never becomes an ExclusiveStartKey.
    const after = nextToken === undefined ? undefined : await this.deps.pageTokens.decode(nextToken);
    const page = await this.deps.articles.listNewest(limit, after);
    return page.cursor === undefined
      ? { items: page.items }
      : { items: page.items, nextToken: await this.deps.pageTokens.encode(page.cursor) };
  }

  /**
   * PUT semantics: full replacement of the editable fields (see updateArticleSchema). The read
   * gives clear 404/403 answers before the cover is checked; the conditional write repeats the
   * ownership check so an article deleted or changed in between cannot be written by someone else.
   */
  async replace(id: string, authorId: string, input: UpdateArticleInput): Promise<Article> {
    const existing = await this.deps.articles.get(id);
    if (!existing) throw new NotFoundError('Article not found');
    if (existing.authorId !== authorId) throw new ForbiddenError('Only the author may change this article');

    const content = toContent(input);
    await this.assertUsableCover(authorId, content.coverMediaId);
    const outcome = await this.deps.articles.replaceContent(id, authorId, content, this.deps.clock.now().toISOString());
    return unwrapOwned(outcome, 'change');
  }

  async delete(id: string, authorId: string): Promise<void> {
    unwrapOwned(await this.deps.articles.delete(id, authorId), 'delete');
  }

  /**
   * A cover must be media this author uploaded (someone else's or unknown media get the same
   * answer, so ids of other users' media cannot be probed) and must not be REJECTED, FAILED or EXPIRED
   * (a PENDING ticket past its end, as GET /media/{id} shows it). Media being deleted counts as
   * gone, as GET /media/{id} answers 404 for it. PENDING and PROCESSING are allowed: an article is
   * typically saved right after the upload.
   */
  private async assertUsableCover(authorId: string, coverMediaId: string | undefined): Promise<void> {
    if (coverMediaId === undefined) return;
    const media = await this.deps.media.get(coverMediaId);
    if (!media || media.ownerId !== authorId || media.status === 'DELETING') {
      throw new ValidationError('coverMediaId', 'must name media uploaded by you');
    }
    const status = statusAt(media, this.deps.clock.now());
    if (UNUSABLE_COVER_STATUSES.has(status)) {
      throw new ValidationError('coverMediaId', `cannot use media with status ${status}`);
    }
  }
}

function unwrapOwned<T>(outcome: OwnedWriteOutcome<T>, verb: string): T {
  switch (outcome.kind) {
    case 'done':
      return outcome.value;
    case 'not-found':
      throw new NotFoundError('Article not found');
    case 'forbidden':
      throw new ForbiddenError(`Only the author may ${verb} this article`);
  }
}

/** Copies only known fields (never spreads client input) and drops duplicate tags, keeping order. */
function toContent(input: CreateArticleInput): ArticleContent {
  const content: ArticleContent = { title: input.title, body: input.body, tags: [...new Set(input.tags ?? [])] };
  if (input.location !== undefined) {
    content.location = { name: input.location.name, lat: input.location.lat, lng: input.location.lng };
  }
  if (input.coverMediaId !== undefined) content.coverMediaId = input.coverMediaId;
  return content;
}
