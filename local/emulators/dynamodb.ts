import {
  type AttributeValue,
  BatchWriteItemCommand,
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
  ResourceNotFoundException,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import dynalite from 'dynalite';
import {
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { TableDefinition } from '../../infra/definitions/tables';
import { listenOnLoopback } from '../listen';
import { LOOPBACK } from '../settings';

export interface DynamoDbEmulator {
  endpoint: string;
  port: number;
  close(): Promise<void>;
}

export async function startDynamoDbEmulator(options: { port: number; path?: string }): Promise<DynamoDbEmulator> {
  // createTableMs 0: tables are ACTIVE at once (dynalite's default mimics a 500 ms CREATING phase).
  const backend = dynalite({
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
    ...(options.path ? { path: options.path } : {}),
  });
  const inner = await listenOnLoopback(backend, 0);
  const front = createServer((req, res) => {
    void answer(inner.port, req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/x-amz-json-1.0' });
      res.end(
        JSON.stringify({
          __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError',
          message: 'Emulator front failed',
        }),
      );
    });
  });
  const outer = await listenOnLoopback(front, options.port);
  return {
    endpoint: outer.url,
    port: outer.port,
    close: async () => {
      await outer.close();
      await inner.close();
    },
  };
}

/** Writes whose refusal DynamoDB explains with the stored item when asked (ALL_OLD) and that name their key. */
const KEYED_CONDITIONAL_WRITES = new Set(['DynamoDB_20120810.UpdateItem', 'DynamoDB_20120810.DeleteItem']);

/**
 * The twin's DynamoDB: dynalite behind a front that passes every request through, with one fix.
 * dynalite 4 ignores ReturnValuesOnConditionCheckFailure, so a refused conditional write comes
 * back without the stored item that DynamoDB returns with ALL_OLD; the record function tells a
 * duplicate delivery from a superseded, reused or unissued upload by that item. For UpdateItem and
 * DeleteItem the front adds it, read with a consistent GetItem right after the refusal (DynamoDB
 * returns it atomically; nothing else writes in between in the twin's tests).
 */
async function answer(backendPort: number, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readBody(req);
  const target = String(req.headers['x-amz-target'] ?? '');
  const reply = await forward(backendPort, req.method ?? 'POST', req.url ?? '/', req.headers, body);
  let out = reply.body;
  if (reply.status === 400 && KEYED_CONDITIONAL_WRITES.has(target) && out.includes('ConditionalCheckFailedException')) {
    const input = JSON.parse(body.toString('utf8')) as {
      TableName?: unknown;
      Key?: unknown;
      ReturnValuesOnConditionCheckFailure?: unknown;
    };
    if (input.ReturnValuesOnConditionCheckFailure === 'ALL_OLD') {
      const read = JSON.stringify({ TableName: input.TableName, Key: input.Key, ConsistentRead: true });
      const got = await forward(
        backendPort,
        'POST',
        '/',
        { ...req.headers, 'x-amz-target': 'DynamoDB_20120810.GetItem' },
        Buffer.from(read),
      );
      const item = got.status === 200 ? (JSON.parse(got.body.toString('utf8')) as { Item?: unknown }).Item : undefined;
      if (item !== undefined)
        out = Buffer.from(JSON.stringify({ ...(JSON.parse(out.toString('utf8')) as object), Item: item }));
    }
  }
  const headers: IncomingHttpHeaders = { ...reply.headers, 'content-length': String(out.length) };
  // The checksum covered dynalite's body; the SDK would reject it for the one with the item.
  if (out !== reply.body) delete headers['x-amz-crc32'];
  res.writeHead(reply.status, headers);
  res.end(out);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function forward(
  port: number,
  method: string,
  path: string,
  headers: IncomingHttpHeaders,
  body: Buffer,
): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      { host: LOOPBACK, port, method, path, headers: { ...headers, 'content-length': String(body.length) } },
      (response) => {
        readBody(response)
          .then((data) => resolve({ status: response.statusCode ?? 500, headers: response.headers, body: data }))
          .catch(reject);
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

/** How `ensureTable` keeps a table it must rebuild, and says what it did. */
export interface EnsureTableOptions {
  /** Folder for the copy of the items while a table is rebuilt (the `--data-dir`'s). @default no copy on disk */
  backupDir?: string;
  log?: (line: string) => void;
}

/**
 * Creates a table from the same definition the CDK construct uses (infra/definitions/tables.ts)
 * and waits until it is ACTIVE. An existing table (kept in --data-dir) is kept with its items; if
 * it lacks an index the definition has (a table made before the index existed), it is rebuilt
 * with its items, as DynamoDB backfills an index added to a table: dynalite cannot add an index to
 * a table. The items are written to `backupDir` first and restored from there if a crash cut the
 * rebuild short.
 */
export async function ensureTable(
  client: DynamoDBClient,
  tableName: string,
  table: TableDefinition,
  options: EnsureTableOptions = {},
): Promise<void> {
  const backup = options.backupDir === undefined ? undefined : join(options.backupDir, `${tableName}.rebuild.json`);
  await createTable(client, tableName, table);
  await waitActive(client, tableName);
  if (backup !== undefined && existsSync(backup)) {
    // A rebuild was cut short: the items are in the copy, and putting them again is harmless.
    await restoreItems(client, tableName, JSON.parse(readFileSync(backup, 'utf8')) as Record<string, AttributeValue>[]);
    rmSync(backup);
    options.log?.(`recovery: table ${tableName} restored from its rebuild copy`);
  }
  const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
  const present = new Set((Table?.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName));
  const missing = table.globalSecondaryIndexes.filter((index) => !present.has(index.indexName));
  if (missing.length === 0) return;
  const items = await scanAll(client, tableName);
  if (backup !== undefined) {
    writeFileSync(`${backup}.tmp`, JSON.stringify(items));
    renameSync(`${backup}.tmp`, backup);
  }
  await client.send(new DeleteTableCommand({ TableName: tableName }));
  await waitDeleted(client, tableName);
  if (!(await createTable(client, tableName, table))) throw new Error(`Table ${tableName} could not be created again`);
  await waitActive(client, tableName);
  await restoreItems(client, tableName, items);
  if (backup !== undefined) rmSync(backup);
  options.log?.(
    `table ${tableName}: rebuilt with its ${items.length} items to add the index ${missing.map((index) => index.indexName).join(', ')}`,
  );
}

async function scanAll(client: DynamoDBClient, tableName: string): Promise<Record<string, AttributeValue>[]> {
  const items: Record<string, AttributeValue>[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: start }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  return items;
}

async function restoreItems(
  client: DynamoDBClient,
  tableName: string,
  items: readonly Record<string, AttributeValue>[],
): Promise<void> {
  for (let i = 0; i < items.length; i += 25) {
    let pending: Record<string, { PutRequest: { Item: Record<string, AttributeValue> } }[]> | undefined = {
      [tableName]: items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })),
    };
    while (pending !== undefined && Object.keys(pending).length > 0) {
      const answer = await client.send(new BatchWriteItemCommand({ RequestItems: pending }));
      pending = answer.UnprocessedItems as typeof pending;
    }
  }
}

/** Creates the table; false when it already exists. */
async function createTable(client: DynamoDBClient, tableName: string, table: TableDefinition): Promise<boolean> {
  const keyAttributes = [
    table.partitionKey,
    table.sortKey,
    ...table.globalSecondaryIndexes.flatMap((i) => [i.partitionKey, i.sortKey]),
  ];
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
                Projection:
                  index.projection?.type === 'INCLUDE'
                    ? { ProjectionType: 'INCLUDE' as const, NonKeyAttributes: [...index.projection.nonKeyAttributes] }
                    : { ProjectionType: 'ALL' as const },
              })),
            }
          : {}),
      }),
    );
    return true;
  } catch (error: unknown) {
    if (!(error instanceof ResourceInUseException)) throw error;
    return false;
  }
}

async function waitDeleted(client: DynamoDBClient, tableName: string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    try {
      await client.send(new DescribeTableCommand({ TableName: tableName }));
    } catch (error: unknown) {
      if (error instanceof ResourceNotFoundException) return;
      throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`Table ${tableName} was not deleted`);
}

async function waitActive(client: DynamoDBClient, tableName: string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    const indexesActive = (Table?.GlobalSecondaryIndexes ?? []).every((i) => i.IndexStatus === 'ACTIVE');
    if (Table?.TableStatus === 'ACTIVE' && indexesActive) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`Table ${tableName} did not become ACTIVE`);
}
