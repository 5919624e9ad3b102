import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ownerDayKey, quotaDay } from './upload-quota';
import type { QuotaDecision, UploadQuota } from './upload-quota';

/**
 * Key and TTL attributes of infra/definitions/tables.ts (uploadQuotaTable), written out so the
 * bundle carries no infra code; the emulator tests build the table from that definition.
 */
export const OWNER_DAY_ATTRIBUTE = 'ownerDay';
export const EXPIRES_AT_ATTRIBUTE = 'expiresAt';

/**
 * Upload counters in the upload-quota table: one UpdateItem per upload, which adds one to the
 * owner's count for the day only while it is below the limit, so concurrent requests can never
 * count past it. UpdateItem is the media role's only right on this table, and this adapter only ever increments.
 */
export class DynamoUploadQuota implements UploadQuota {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly limit: number,
  ) {}

  async take(ownerId: string, now: Date): Promise<QuotaDecision> {
    const { day, resetsAt, expiresAtEpochSeconds } = quotaDay(now);
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { [OWNER_DAY_ATTRIBUTE]: ownerDayKey(ownerId, day) },
          // `count` is a DynamoDB reserved word.
          UpdateExpression: 'ADD #count :one SET #expiresAt = :expiresAt',
          ConditionExpression: 'attribute_not_exists(#count) OR #count < :limit',
          ExpressionAttributeNames: { '#count': 'count', '#expiresAt': EXPIRES_AT_ATTRIBUTE },
          ExpressionAttributeValues: { ':one': 1, ':limit': this.limit, ':expiresAt': expiresAtEpochSeconds },
        }),
      );
      return { granted: true };
    } catch (error: unknown) {
      // Only the condition means "limit reached"; throttling and outages surface after the SDK's retries.
      if (error instanceof Error && error.name === 'ConditionalCheckFailedException') {
        return { granted: false, limit: this.limit, resetsAt };
      }
      throw error;
    }
  }
}
