import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLAIM_INDEX_NAME } from '../../../functions/shared/media';
import { mediaTable, type TableDefinition } from '../../../infra/definitions/tables';
import { ensureTable, startDynamoDbEmulator, type DynamoDbEmulator } from '../../../local/emulators/dynamodb';

/*
 * A media table kept in --data-dir from before the held-claim index gets the index at the next
 * start, with every item kept (DynamoDB backfills an added index; dynalite cannot add one, so the
 * twin rebuilds the table), and a rebuild a crash cut short is finished from its copy.
 */

/** The media table as it was before the held-claim index. */
const before: TableDefinition = {
  ...mediaTable,
  globalSecondaryIndexes: mediaTable.globalSecondaryIndexes.filter((index) => index.indexName !== CLAIM_INDEX_NAME),
};

let dynamo: DynamoDbEmulator;
let documents: DynamoDBDocumentClient;
let client: DynamoDBClient;
let dir: string;

beforeAll(async () => {
  dynamo = await startDynamoDbEmulator({ port: 0 });
  client = new DynamoDBClient({
    endpoint: dynamo.endpoint,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  documents = DynamoDBDocumentClient.from(client);
  dir = mkdtempSync(join(tmpdir(), 'twin-rebuild-'));
});

afterAll(async () => {
  documents.destroy();
  await dynamo.close();
  rmSync(dir, { recursive: true, force: true });
});

const put = async (TableName: string, Item: Record<string, unknown>): Promise<void> => {
  await documents.send(new PutCommand({ TableName, Item }));
};

/** Ensures the media table `tableName` as the twin does at start (rebuild copies in `dir`); returns what it logged. */
async function ensureAtStart(tableName: string): Promise<string[]> {
  const lines: string[] = [];
  await ensureTable(client, tableName, mediaTable, { backupDir: dir, log: (line) => lines.push(line) });
  return lines;
}

it('adds a missing index to a kept table, with its items and the index filled', async () => {
  // Arrange: an old table with a READY record and one claimed while PROCESSING
  await ensureTable(client, 'old-media', before);
  await put('old-media', { mediaId: 'm-1', ownerId: 'alice', status: 'READY', createdAt: 'a' });
  await put('old-media', {
    mediaId: 'm-2',
    ownerId: 'alice',
    status: 'PROCESSING',
    createdAt: 'b',
    claimShard: 1,
    claimedAt: '2026-12-01T00:00:00.000Z',
    claimedBy: 'run-1',
  });

  // Act
  const lines = await ensureAtStart('old-media');

  // Assert
  const items = (await documents.send(new ScanCommand({ TableName: 'old-media' }))).Items ?? [];
  const held = await documents.send(
    new QueryCommand({
      TableName: 'old-media',
      IndexName: CLAIM_INDEX_NAME,
      KeyConditionExpression: 'claimShard = :shard',
      ExpressionAttributeValues: { ':shard': 1 },
    }),
  );
  expect(items.map((item) => item.mediaId).sort()).toEqual(['m-1', 'm-2']);
  expect(held.Items?.map((item) => item.mediaId)).toEqual(['m-2']);
  expect(lines).toEqual(['table old-media: rebuilt with its 2 items to add the index byClaimAge']);
  expect(existsSync(join(dir, 'old-media.rebuild.json'))).toBe(false);
});

it('finishes a rebuild a crash cut short, from the copy it wrote first', async () => {
  // Arrange: the copy is on disk and the table was already deleted
  writeFileSync(
    join(dir, 'cut-media.rebuild.json'),
    JSON.stringify([{ mediaId: { S: 'm-3' }, ownerId: { S: 'bob' }, status: { S: 'FAILED' }, createdAt: { S: 'c' } }]),
  );

  // Act
  const lines = await ensureAtStart('cut-media');

  // Assert
  const items = (await documents.send(new ScanCommand({ TableName: 'cut-media' }))).Items ?? [];
  expect(items).toEqual([{ mediaId: 'm-3', ownerId: 'bob', status: 'FAILED', createdAt: 'c' }]);
  expect(lines).toEqual(['recovery: table cut-media restored from its rebuild copy']);
  expect(existsSync(join(dir, 'cut-media.rebuild.json'))).toBe(false);
});

it('leaves a table that has every index as it is', async () => {
  // Arrange
  await ensureTable(client, 'current-media', mediaTable);
  await put('current-media', { mediaId: 'm-4', ownerId: 'carol', status: 'READY', createdAt: 'd' });

  // Act
  const lines = await ensureAtStart('current-media');

  // Assert
  expect((await documents.send(new ScanCommand({ TableName: 'current-media' }))).Items).toHaveLength(1);
  expect(lines).toEqual([]);
});
