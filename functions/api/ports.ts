import type { MediaRecord } from '../shared/media';

/**
 * Ports both REST API functions use. The articles function only reads media records (a cover
 * must be the author's own, usable media); the media function writes PENDING records and reads
 * them back. The DynamoDB adapter is media-records.ts.
 */

/** The record written when an upload URL is issued (docs/design.md "Media record": PENDING). */
export interface PendingMedia {
  mediaId: string;
  ownerId: string;
  status: 'PENDING';
  createdAt: string;
  updatedAt: string;
  /** When the upload form handed out with this ticket expires (ISO 8601). */
  uploadExpiresAt: string;
  /** DynamoDB TTL (epoch seconds): an unclaimed ticket is removed EXPIRED_TICKET_KEPT_SECONDS after its form expired. */
  removeAt: number;
}

/** Reads media records; all the articles function may do with the media table. */
export interface MediaReader {
  get(mediaId: string): Promise<MediaRecord | undefined>;
}

/**
 * A position in a listing, defined by the store (DynamoDB: the LastEvaluatedKey). The cores never
 * read it; they only sign it into a `nextToken` and verify it on the way back.
 */
export type PageCursor = Readonly<Record<string, string>>;

/** One page of an owner's media, newest first. */
export interface MediaPage {
  items: MediaRecord[];
  /** Present when more items may follow. */
  cursor?: PageCursor;
}

export interface MediaStore extends MediaReader {
  /** Writes the PENDING record; fails rather than overwrite an existing one. */
  createPending(record: PendingMedia): Promise<void>;
  /**
   * Marks the record DELETING, but only if it is still exactly the record that was read (same
   * owner, status and updatedAt), so a pipeline write in between is never lost silently.
   * @returns false when the record changed or disappeared since it was read.
   */
  markDeleting(seen: MediaRecord, at: string): Promise<boolean>;
  /** Deletes the record if it is DELETING; a record already gone is not an error. */
  removeDeleting(mediaId: string): Promise<void>;
  /** One owner's media, newest first (the byOwner index; never a Scan). */
  listByOwner(ownerId: string, limit: number, after?: PageCursor): Promise<MediaPage>;
}

export interface Clock {
  now(): Date;
}

export interface IdGenerator {
  newId(): string;
}
