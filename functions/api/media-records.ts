import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { MediaRecord } from '../shared/media';
import type { MediaStore, PendingMedia } from './ports';

/**
 * Media records in the media table. The media function writes PENDING records and reads any
 * record; the articles function holds this adapter as a `MediaReader` and its role may
 * only GetItem, so it cannot write one even by mistake.
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
    if (result.Item === undefined) return undefined;
    const item = result.Item;
    if (typeof item.mediaId !== 'string' || typeof item.ownerId !== 'string' || typeof item.status !== 'string') {
      throw new Error(`Media record ${mediaId} is malformed`);
    }
    // Written by the media and the record functions only, both typed against MediaRecord.
    return item as MediaRecord;
  }
}
