import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
} from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import type { TableDefinition } from '../../infra/definitions/tables';
import { listenOnLoopback } from '../listen';

export interface DynamoDbEmulator {
  endpoint: string;
  port: number;
  close(): Promise<void>;
}

export async function startDynamoDbEmulator(options: { port: number; path?: string }): Promise<DynamoDbEmulator> {
  // createTableMs 0: tables are ACTIVE at once (dynalite's default mimics a 500 ms CREATING phase).
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, ...(options.path ? { path: options.path } : {}) });
  const { url, port, close } = await listenOnLoopback(server, options.port);
  return { endpoint: url, port, close };
}

/**
 * Creates a table from the same definition the CDK construct uses (infra/definitions/tables.ts)
 * and waits until it is ACTIVE. An existing table (kept in --data-dir) is left as it is.
 */
export async function ensureTable(client: DynamoDBClient, tableName: string, table: TableDefinition): Promise<void> {
  const keyAttributes = [table.partitionKey, table.sortKey, ...table.globalSecondaryIndexes.flatMap((i) => [i.partitionKey, i.sortKey])];
  const attributeTypes = new Map<string, string>();
  for (const attribute of keyAttributes) if (attribute) attributeTypes.set(attribute.name, attribute.type);
  const keySchema = (partitionKey: { name: string }, sortKey?: { name: string }) => [
    { AttributeName: partitionKey.name, KeyType: 'HASH' as const },
    ...(sortKey ? [{ AttributeName: sortKey.name, KeyType: 'RANGE' as const }] : []),
  ];
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [...attributeTypes].map(([AttributeName, AttributeType]) => ({
          AttributeName,
          AttributeType: AttributeType as 'S' | 'N' | 'B',
        })),
        KeySchema: keySchema(table.partitionKey, table.sortKey),
        ...(table.globalSecondaryIndexes.length > 0
          ? {
              GlobalSecondaryIndexes: table.globalSecondaryIndexes.map((index) => ({
                IndexName: index.indexName,
                KeySchema: keySchema(index.partitionKey, index.sortKey),
                Projection: { ProjectionType: 'ALL' as const },
              })),
            }
          : {}),
      }),
    );
  } catch (error: unknown) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  for (let attempt = 0; attempt < 100; attempt++) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    const indexesActive = (Table?.GlobalSecondaryIndexes ?? []).every((i) => i.IndexStatus === 'ACTIVE');
    if (Table?.TableStatus === 'ACTIVE' && indexesActive) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`Table ${tableName} did not become ACTIVE`);
}
