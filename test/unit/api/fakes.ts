import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { MediaRecord } from '../../../functions/shared/media';
import type { Clock, IdGenerator, MediaPage, MediaStore, PageCursor, PendingMedia } from '../../../functions/api/ports';

/**
 * Event builders, response readers and test doubles of the ports both API functions take
 * (functions/api/ports.ts). Doubles of one function's own ports live beside its tests.
 */

export const ALICE = 'alice-sub-0001';
export const BOB = 'bob-sub-0002';
export const ALLOWED_ORIGIN = 'https://guide.example.com';

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

/** The media table both functions read (and the media function writes PENDING records to). */
export class InMemoryMediaStore implements MediaStore {
  readonly records = new Map<string, MediaRecord>();

  async createPending(record: PendingMedia): Promise<void> {
    if (this.records.has(record.mediaId)) throw new Error('exists');
    this.records.set(record.mediaId, { ...record });
  }

  async get(mediaId: string): Promise<MediaRecord | undefined> {
    return this.records.get(mediaId);
  }

  /** With the adapter's compare-and-swap: only the record exactly as it was read is marked. */
  async markDeleting(seen: MediaRecord, at: string): Promise<boolean> {
    const current = this.records.get(seen.mediaId);
    if (current?.ownerId !== seen.ownerId || current.status !== seen.status || current.updatedAt !== seen.updatedAt)
      return false;
    this.records.set(seen.mediaId, { ...current, status: 'DELETING', updatedAt: at });
    return true;
  }

  async removeDeleting(mediaId: string): Promise<void> {
    if (this.records.get(mediaId)?.status === 'DELETING') this.records.delete(mediaId);
  }

  /** Newest first by createdAt, then mediaId, as the byOwner index orders them; the cursor is the last item's keys. */
  async listByOwner(ownerId: string, limit: number, after?: PageCursor): Promise<MediaPage> {
    const order = (record: MediaRecord): string => `${record.createdAt}#${record.mediaId}`;
    const owned = [...this.records.values()]
      .filter((record) => record.ownerId === ownerId)
      .sort((a, b) => order(b).localeCompare(order(a)));
    const start = after === undefined ? 0 : owned.findIndex((record) => record.mediaId === after.mediaId) + 1;
    const items = owned.slice(start, start + limit);
    const last = items[items.length - 1];
    return start + limit < owned.length && last !== undefined
      ? { items, cursor: { mediaId: last.mediaId, ownerId, createdAt: last.createdAt } }
      : { items };
  }

  put(record: Partial<MediaRecord> & Pick<MediaRecord, 'mediaId' | 'ownerId' | 'status'>): void {
    this.records.set(record.mediaId, {
      createdAt: '2026-05-01T09:00:00.000Z',
      updatedAt: '2026-05-01T09:05:00.000Z',
      ...record,
    });
  }
}
