import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { MediaRecord } from '../../../functions/shared/media';
import type { Clock, IdGenerator, MediaStore, PendingMedia } from '../../../functions/api/ports';
import type { ArticlesHandlerDeps, ArticlesSettings } from '../../../functions/articles/handler';
import type { Article, ArticleContent, ArticlePage, ArticleStore, OwnedWriteOutcome, PageCursor } from '../../../functions/articles/ports';
import type { MediaHandlerDeps, MediaSettings } from '../../../functions/media/handler';
import type { DownloadSigner, PresignedUpload, UploadRequest, UploadSigner } from '../../../functions/media/ports';

/** Test doubles and event builders shared by the tests of the two API functions (articles, media). */

export const ALICE = 'alice-sub-0001';
export const BOB = 'bob-sub-0002';
export const SECRET = 'test-page-token-secret-0123456789abcdef';
export const ALLOWED_ORIGIN = 'https://guide.example.com';

export const settings: ArticlesSettings = {
  pageTokenSecret: SECRET,
  allowedOrigins: [ALLOWED_ORIGIN],
};

export const mediaSettings: MediaSettings = {
  maxUploadBytes: 1_000_000,
  uploadUrlTtlSeconds: 300,
  downloadUrlTtlSeconds: 120,
  allowedOrigins: [ALLOWED_ORIGIN],
};

export interface EventOptions {
  method: string;
  resource: string;
  pathParameters?: Record<string, string>;
  query?: Record<string, string>;
  multiQuery?: Record<string, string[]>;
  body?: string | null;
  headers?: Record<string, string>;
  userId?: string;
  claims?: unknown;
  isBase64Encoded?: boolean;
}

export function apiEvent(options: EventOptions): APIGatewayProxyEvent {
  const claims = options.claims ?? (options.userId === undefined ? undefined : { sub: options.userId });
  const event = {
    httpMethod: options.method,
    resource: options.resource,
    path: options.resource,
    pathParameters: options.pathParameters ?? null,
    queryStringParameters: options.query ?? null,
    multiValueQueryStringParameters:
      options.multiQuery ??
      (options.query ? Object.fromEntries(Object.entries(options.query).map(([key, value]) => [key, [value]])) : null),
    headers: options.headers ?? {},
    multiValueHeaders: {},
    body: options.body ?? null,
    isBase64Encoded: options.isBase64Encoded ?? false,
    stageVariables: null,
    requestContext: {
      requestId: 'request-1',
      authorizer: claims === undefined ? undefined : { claims },
    },
  };
  return event as unknown as APIGatewayProxyEvent;
}

/** A request with a JSON body. */
export function jsonEvent(options: Omit<EventOptions, 'body'> & { json: unknown }): APIGatewayProxyEvent {
  return apiEvent({
    ...options,
    headers: { 'Content-Type': 'application/json', ...options.headers },
    body: JSON.stringify(options.json),
  });
}

export interface ParsedResponse {
  status: number;
  headers: Record<string, string | number | boolean>;
  body: unknown;
}

export function parse(response: APIGatewayProxyResult): ParsedResponse {
  return {
    status: response.statusCode,
    headers: response.headers ?? {},
    body: response.body === '' ? undefined : (JSON.parse(response.body) as unknown),
  };
}

/** The `{error: {code, message}}` of an error response. */
export function errorOf(response: APIGatewayProxyResult): { status: number; code: string; message: string } {
  const body = JSON.parse(response.body) as { error: { code: string; message: string } };
  return { status: response.statusCode, code: body.error.code, message: body.error.message };
}

export class FixedClock implements Clock {
  constructor(private current = new Date('2026-05-01T10:00:00.000Z')) {}
  now(): Date {
    return new Date(this.current);
  }
  advance(milliseconds: number): void {
    this.current = new Date(this.current.getTime() + milliseconds);
  }
}

export class SequentialIds implements IdGenerator {
  private next = 1;
  newId(): string {
    return `id-${String(this.next++).padStart(4, '0')}`;
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

export class InMemoryMediaStore implements MediaStore {
  readonly records = new Map<string, MediaRecord>();

  async createPending(record: PendingMedia): Promise<void> {
    if (this.records.has(record.mediaId)) throw new Error('exists');
    this.records.set(record.mediaId, { ...record });
  }

  async get(mediaId: string): Promise<MediaRecord | undefined> {
    return this.records.get(mediaId);
  }

  put(record: Partial<MediaRecord> & Pick<MediaRecord, 'mediaId' | 'ownerId' | 'status'>): void {
    this.records.set(record.mediaId, { createdAt: '2026-05-01T09:00:00.000Z', updatedAt: '2026-05-01T09:05:00.000Z', ...record });
  }
}

export class RecordingUploadSigner implements UploadSigner {
  readonly requests: UploadRequest[] = [];
  async signUpload(request: UploadRequest): Promise<PresignedUpload> {
    this.requests.push(request);
    return { url: 'https://bucket.example/', fields: { key: request.key, 'Content-Type': request.contentType } };
  }
}

export class FakeDownloadSigner implements DownloadSigner {
  async signDownload(key: string, expiresInSeconds: number): Promise<string> {
    return `https://bucket.example/${key}?expires=${expiresInSeconds}`;
  }
}

/** Both API functions over one set of in-memory stores, as on AWS they share the media table. */
export interface FakeWorld {
  /** For the articles function's createHandler. */
  deps: ArticlesHandlerDeps;
  /** For the media function's createHandler. */
  mediaDeps: MediaHandlerDeps;
  articles: InMemoryArticleStore;
  media: InMemoryMediaStore;
  uploads: RecordingUploadSigner;
  clock: FixedClock;
}

export function fakeWorld(overrides: Partial<ArticlesHandlerDeps> = {}, mediaOverrides: Partial<MediaHandlerDeps> = {}): FakeWorld {
  const articles = new InMemoryArticleStore();
  const media = new InMemoryMediaStore();
  const uploads = new RecordingUploadSigner();
  const clock = new FixedClock();
  const ids = new SequentialIds();
  const deps: ArticlesHandlerDeps = { articles, media, settings, clock, ids, ...overrides };
  const mediaDeps: MediaHandlerDeps = {
    media,
    uploadSigner: uploads,
    downloadSigner: new FakeDownloadSigner(),
    settings: mediaSettings,
    clock,
    ids,
    ...mediaOverrides,
  };
  return { deps, mediaDeps, articles, media, uploads, clock };
}

export function validArticle(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { title: 'Lisbon in three days', body: 'Start at the castle.', ...overrides };
}
