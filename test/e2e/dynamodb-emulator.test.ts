import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { startDynamoDbEmulator, type DynamoDbEmulator } from '../../local/emulators/dynamodb';

/**
 * The twin's DynamoDB answers a refused conditional write as DynamoDB does: with the stored item
 * when the request asked for it (ReturnValuesOnConditionCheckFailure ALL_OLD), which dynalite
 * alone omits. Everything else passes through unchanged.
 */

const TABLE = 'Media';
let emulator: DynamoDbEmulator;
let client: DynamoDBClient;
let documents: DynamoDBDocumentClient;

beforeAll(async () => {
  emulator = await startDynamoDbEmulator({ port: 0 });
  client = new DynamoDBClient({
    region: 'eu-west-1',
    endpoint: emulator.endpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  documents = DynamoDBDocumentClient.from(client);
  await client.send(
    new CreateTableCommand({
      TableName: TABLE,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'mediaId', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'mediaId', KeyType: 'HASH' }],
    }),
  );
  await documents.send(
    new PutCommand({ TableName: TABLE, Item: { mediaId: 'm1', status: 'READY', sourceSequencer: '0001' } }),
  );
});

afterAll(async () => {
  client?.destroy();
  await emulator?.close();
});

/** Tries to claim a PENDING record; returns the error the SDK threw. */
async function refusedClaim(mediaId: string, returnOld: boolean): Promise<Error & { Item?: unknown }> {
  const claim = new UpdateCommand({
    TableName: TABLE,
    Key: { mediaId },
    UpdateExpression: 'SET #status = :processing',
    ConditionExpression: '#status = :pending',
    ExpressionAttributeNames: { '#status': 'status' },
    ExpressionAttributeValues: { ':processing': 'PROCESSING', ':pending': 'PENDING' },
    ...(returnOld ? { ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const } : {}),
  });
  try {
    await documents.send(claim);
  } catch (error: unknown) {
    return error as Error & { Item?: unknown };
  }
  throw new Error('the claim was not refused');
}

describe("the twin's DynamoDB emulator", () => {
  it('returns the stored item with a refused UpdateItem that asked for ALL_OLD', async () => {
    const error = await refusedClaim('m1', true);

    expect(error.name).toBe('ConditionalCheckFailedException');
    expect(error.Item).toEqual({ mediaId: { S: 'm1' }, status: { S: 'READY' }, sourceSequencer: { S: '0001' } });
  });

  it('returns no item when the request did not ask for it', async () => {
    const error = await refusedClaim('m1', false);

    expect(error.name).toBe('ConditionalCheckFailedException');
    expect(error.Item).toBeUndefined();
  });

  it('returns no item when there is none', async () => {
    const error = await refusedClaim('absent', true);

    expect(error.name).toBe('ConditionalCheckFailedException');
    expect(error.Item).toBeUndefined();
  });

  it('returns the stored item with a refused DeleteItem that asked for ALL_OLD', async () => {
    const error = await documents
      .send(
        new DeleteCommand({
          TableName: TABLE,
          Key: { mediaId: 'm1' },
          ConditionExpression: '#status = :pending',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':pending': 'PENDING' },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      )
      .then(
        () => undefined,
        (e: unknown) => e as Error & { Item?: unknown },
      );

    expect(error?.name).toBe('ConditionalCheckFailedException');
    expect(error?.Item).toMatchObject({ mediaId: { S: 'm1' } });
  });

  it('passes successful writes through unchanged', async () => {
    const result = await documents.send(
      new UpdateCommand({
        TableName: TABLE,
        Key: { mediaId: 'm2' },
        UpdateExpression: 'SET #status = :pending',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':pending': 'PENDING' },
        ReturnValues: 'ALL_NEW',
      }),
    );

    expect(result.Attributes).toEqual({ mediaId: 'm2', status: 'PENDING' });
  });
});
