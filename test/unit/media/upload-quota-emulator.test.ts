import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import {
  DynamoUploadQuota,
  EXPIRES_AT_ATTRIBUTE,
  OWNER_DAY_ATTRIBUTE,
} from '../../../functions/media/dynamodb-upload-quota';
import { uploadQuotaTable } from '../../../infra/definitions/tables';
import { emulatedTables, type EmulatedTables } from '../../fixtures/dynamodb';
import { ALICE, BOB } from '../api/fakes';

/**
 * The upload-quota adapter against dynalite, with the table built from
 * infra/definitions/tables.ts by the twin's own table helper: the mocked-client tests prove which
 * UpdateItem is sent, these prove DynamoDB accepts it (reserved word `count`, ADD with a
 * condition) and counts as the quota means: the N+1th upload of a day is refused, the next day
 * starts again at zero, and concurrent requests never count past the limit.
 */

const LIMIT = 3;
const TABLE = 'upload-quota';

let tables: EmulatedTables;
let raw: DynamoDBClient;
let documents: DynamoDBDocumentClient;
let quota: DynamoUploadQuota;

beforeAll(async () => {
  tables = await emulatedTables({ [TABLE]: uploadQuotaTable });
  raw = tables.client;
  documents = tables.documents;
  quota = new DynamoUploadQuota(documents, TABLE, LIMIT);
});

afterAll(() => tables.close());

async function takeTimes(ownerId: string, now: Date, times: number): Promise<boolean[]> {
  const granted: boolean[] = [];
  for (let i = 0; i < times; i += 1) granted.push((await quota.take(ownerId, now)).granted);
  return granted;
}

describe('DynamoUploadQuota on an emulator', () => {
  it('uses the key the table definition declares', async () => {
    const { Table } = await raw.send(new DescribeTableCommand({ TableName: TABLE }));

    expect(Table?.KeySchema).toEqual([{ AttributeName: OWNER_DAY_ATTRIBUTE, KeyType: 'HASH' }]);
    expect(uploadQuotaTable.timeToLiveAttribute).toBe(EXPIRES_AT_ATTRIBUTE);
  });

  it('grants the first N uploads of a day and refuses the N+1th', async () => {
    // Act
    const granted = await takeTimes(ALICE, new Date('2026-05-01T08:00:00.000Z'), LIMIT + 1);

    // Assert
    expect(granted).toEqual([true, true, true, false]);
  });

  it('allows uploads again the next UTC day', async () => {
    // Arrange: the day before is used up.
    await takeTimes(BOB, new Date('2026-05-01T23:59:59.000Z'), LIMIT + 1);

    // Act
    const granted = await takeTimes(BOB, new Date('2026-05-02T00:00:00.000Z'), 1);

    // Assert
    expect(granted).toEqual([true]);
  });

  it('stops counting at the limit, however often a refused owner retries', async () => {
    // Arrange
    const now = new Date('2026-06-01T12:00:00.000Z');
    await takeTimes('carol', now, LIMIT + 5);

    // Act
    const { Item } = await documents.send(
      new GetCommand({ TableName: TABLE, Key: { [OWNER_DAY_ATTRIBUTE]: 'carol#2026-06-01' } }),
    );

    // Assert
    expect(Item).toEqual({
      [OWNER_DAY_ATTRIBUTE]: 'carol#2026-06-01',
      count: LIMIT,
      [EXPIRES_AT_ATTRIBUTE]: Date.parse('2026-06-03T00:00:00.000Z') / 1000,
    });
  });

  it('grants exactly N of many concurrent requests', async () => {
    // Act
    const decisions = await Promise.all(
      Array.from({ length: 10 }, () => quota.take('dave', new Date('2026-07-01T09:00:00.000Z'))),
    );

    // Assert
    expect(decisions.filter((decision) => decision.granted)).toHaveLength(LIMIT);
  });
});
