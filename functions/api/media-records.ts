import { DeleteCommand, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { MediaRecord, MediaStatus } from '../shared/media';
import { ValidationError } from './errors';
import type { MediaPage, MediaStore, PageCursor, PendingMedia } from './ports';

/** The media table's owner index (infra/definitions/tables.ts, mediaTable.byOwner). */
export const OWNER_INDEX = 'byOwner';

const DELETING: MediaStatus = 'DELETING';

/**
 * Media records in the media table. The media function writes PENDING records, reads any
 * record, lists an owner's records through the byOwner index and erases records on request; the
 * articles function holds this adapter as a `MediaReader` and its role may only GetItem, so it
 * cannot write one even by mistake.
 */
export class DynamoMediaStore implements MediaStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async createPending(record: PendingMedia): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...record },
        ConditionExpression: 'attribute_not_exists(#mediaId)',
        ExpressionAttributeNames: { '#mediaId': 'mediaId' },
      }),
    );
  }

  async get(mediaId: string): Promise<MediaRecord | undefined> {
    const result = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { mediaId }, ConsistentRead: true }),
    );
    return result.Item === undefined ? undefined : toRecord(result.Item, mediaId);
  }

  /**
   * A conditional PutItem of the record as read, with the new status: the media role needs no
   * UpdateItem (the pipeline's record function is the only one with it), and the condition on
   * status and updatedAt makes it a compare-and-swap against any pipeline write in between.
   */
  async markDeleting(seen: MediaRecord, at: string): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...seen, status: DELETING, updatedAt: at, deletionRequestedAt: at },
          ConditionExpression: '#ownerId = :ownerId AND #status = :status AND #updatedAt = :updatedAt',
          ExpressionAttributeNames: { '#ownerId': 'ownerId', '#status': 'status', '#updatedAt': 'updatedAt' },
          ExpressionAttributeValues: { ':ownerId': seen.ownerId, ':status': seen.status, ':updatedAt': seen.updatedAt },
        }),
      );
      return true;
    } catch (error: unknown) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async removeDeleting(mediaId: string): Promise<void> {
    try {
      await this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { mediaId },
          ConditionExpression: '#status = :deleting',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':deleting': DELETING },
        }),
      );
    } catch (error: unknown) {
      // Gone already (a concurrent DELETE finished first) or, impossibly, no longer DELETING: nothing to remove.
      if (!isConditionFailure(error)) throw error;
    }
  }

  async listByOwner(ownerId: string, limit: number, after?: PageCursor): Promise<MediaPage> {
    const result = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: OWNER_INDEX,
        KeyConditionExpression: '#ownerId = :ownerId',
        ExpressionAttributeNames: { '#ownerId': 'ownerId' },
        ExpressionAttributeValues: { ':ownerId': ownerId },
        ScanIndexForward: false,
        // One more than asked, as the articles listing does: a next page only when an item is there.
        Limit: limit + 1,
        ExclusiveStartKey: after === undefined ? undefined : toStartKey(after, ownerId),
      }),
    );
    const found = result.Items ?? [];
    const page = found.slice(0, limit);
    const items = page.map((item) => toRecord(item, String(item.mediaId)));
    const last = page[page.length - 1];
    if (found.length > limit && last !== undefined) return { items, cursor: toCursor(last) };
    if (result.LastEvaluatedKey !== undefined) return { items, cursor: toCursor(result.LastEvaluatedKey) };
    return { items };
  }
}

function toRecord(item: Record<string, unknown>, mediaId: string): MediaRecord {
  if (typeof item.mediaId !== 'string' || typeof item.ownerId !== 'string' || typeof item.status !== 'string') {
    throw new Error(`Media record ${mediaId} is malformed`);
  }
  // Written by the media and the record functions only, both typed against MediaRecord.
  return item as unknown as MediaRecord;
}

function isConditionFailure(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}

const START_KEY_ATTRIBUTES = ['mediaId', 'ownerId', 'createdAt'];

function toCursor(key: Record<string, unknown>): PageCursor {
  const cursor: Record<string, string> = {};
  for (const name of START_KEY_ATTRIBUTES) {
    const value = key[name];
    if (typeof value !== 'string') throw new Error(`LastEvaluatedKey lacks string attribute ${name}`);
    cursor[name] = value;
  }
  return cursor;
}

/**
 * The cursor is authenticated by the page token; its shape is still checked, and it must belong to
 * the caller's own listing: a token taken from another owner's listing is refused, not sent on.
 */
function toStartKey(cursor: PageCursor, ownerId: string): Record<string, string> {
  const names = Object.keys(cursor);
  const wellFormed =
    names.length === START_KEY_ATTRIBUTES.length &&
    START_KEY_ATTRIBUTES.every((name) => typeof cursor[name] === 'string') &&
    cursor.ownerId === ownerId;
  if (!wellFormed) throw new ValidationError('nextToken', 'is not a valid page token');
  return { mediaId: cursor.mediaId ?? '', ownerId, createdAt: cursor.createdAt ?? '' };
}
