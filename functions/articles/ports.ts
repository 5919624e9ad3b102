import type { PageCursor } from '../api/ports';

/**
 * The articles core's view of the world. The core (articles-service.ts) only talks to these
 * interfaces and to the shared ones in ../api/ports.ts (media records, clock, ids); the AWS
 * adapters live in dynamodb-stores.ts and ../api/media-records.ts, and tests or the local twin
 * may pass any other implementation to `createHandler`.
 */

export interface GeoLocation {
  name: string;
  lat: number;
  lng: number;
}

/** What an author writes. */
export interface ArticleContent {
  title: string;
  body: string;
  location?: GeoLocation;
  tags: string[];
  coverMediaId?: string;
}

/** An article as the API returns it. */
export interface Article extends ArticleContent {
  id: string;
  authorId: string;
  createdAt: string;
  updatedAt: string;
}

/** A position in the newest-first listing (shared with the media listing: ../api/ports.ts). */
export type { PageCursor };

export interface ArticlePage {
  items: Article[];
  /** Present when more items may follow. */
  cursor?: PageCursor;
}

/** Outcome of a write that only the author may make. */
export type OwnedWriteOutcome<T> = { kind: 'done'; value: T } | { kind: 'not-found' } | { kind: 'forbidden' };

export interface ArticleStore {
  /** Stores a new article; never overwrites an existing id. */
  create(article: Article): Promise<void>;
  get(id: string): Promise<Article | undefined>;
  /** Newest first. */
  listNewest(limit: number, after?: PageCursor): Promise<ArticlePage>;
  /**
   * Replaces the editable fields, but only if the article exists and `authorId` is its author at
   * the moment of the write (a conditional write, so a race cannot bypass ownership).
   */
  replaceContent(
    id: string,
    authorId: string,
    content: ArticleContent,
    updatedAt: string,
  ): Promise<OwnedWriteOutcome<Article>>;
  /** Deletes the article only if `authorId` is its author at the moment of the write. */
  delete(id: string, authorId: string): Promise<OwnedWriteOutcome<undefined>>;
}
