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

export interface MediaStore extends MediaReader {
  /** Writes the PENDING record; fails rather than overwrite an existing one. */
  createPending(record: PendingMedia): Promise<void>;
}

export interface Clock {
  now(): Date;
}

export interface IdGenerator {
  newId(): string;
}
