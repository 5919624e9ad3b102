import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { claimUpdate } from '../../../functions/record/record';
import { EMULATOR_ACCESS_KEY_ID, EMULATOR_SECRET_ACCESS_KEY } from '../../../local/settings';
import type { Twin } from '../../../local/twin';

/** The twin's media table as a test reads it: a document client on its DynamoDB. Close it in afterAll. */
export class TwinMediaTable {
  private readonly documents: DynamoDBDocumentClient;

  constructor(private readonly twin: Twin) {
    this.documents = DynamoDBDocumentClient.from(
      new DynamoDBClient({
        region: twin.region,
        endpoint: twin.dynamoDbEndpoint,
        credentials: { accessKeyId: EMULATOR_ACCESS_KEY_ID, secretAccessKey: EMULATOR_SECRET_ACCESS_KEY },
      }),
    );
  }

  /** The media record as stored. */
  async record(mediaId: string): Promise<Record<string, unknown> | undefined> {
    return (await this.documents.send(new GetCommand({ TableName: this.twin.mediaTableName, Key: { mediaId } }))).Item;
  }

  /**
   * Polls until a run holds the media's claim (PROCESSING), or until `execution` holds it when
   * named; returns the name of the execution that holds it.
   */
  async claimedBy(mediaId: string, options: { execution?: string; timeoutMs?: number } = {}): Promise<string> {
    const deadline = Date.now() + (options.timeoutMs ?? 60_000);
    while (Date.now() < deadline) {
      const record = await this.record(mediaId);
      const holder = typeof record?.claimedBy === 'string' ? record.claimedBy.split(':').pop() : undefined;
      if (record?.status === 'PROCESSING' && holder !== undefined) {
        if (options.execution === undefined || holder === options.execution) return holder;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`media ${mediaId} was never claimed${options.execution ? ` by ${options.execution}` : ''}`);
  }

  /**
   * Takes the claim of alice's upload ticket `mediaId` (for its upload `key`) with the record
   * function's own claim write, as a run of `executionArn` that started at `at` and never settled it.
   */
  async claimAsStranded(mediaId: string, key: string, at: Date, executionArn: string): Promise<void> {
    const upload = {
      bucket: this.twin.bucketName,
      key,
      size: 2048,
      etag: 'e1',
      sequencer: '0A',
      time: new Date().toISOString(),
    };
    await this.documents.send(
      new UpdateCommand({
        TableName: this.twin.mediaTableName,
        ...claimUpdate(mediaId, 'alice', upload, at.toISOString(), executionArn),
      }),
    );
  }

  close(): void {
    this.documents.destroy();
  }
}
