import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { MediaRecord, MediaStatus } from '../shared/media';
import { listNewestFirst } from './newest-first';
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

  listByOwner(ownerId: string, limit: number, after?: PageCursor): Promise<MediaPage> {
    return listNewestFirst(
      this.client,
      {
        tableName: this.tableName,
        indexName: OWNER_INDEX,
        partition: { name: 'ownerId', value: ownerId },
        keyAttributes: ['mediaId', 'ownerId', 'createdAt'],
      },
      { limit, after, toItem: (item) => toRecord(item, String(item.mediaId)) },
    );
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
