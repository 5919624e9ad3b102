import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ValidationError } from './errors';
import type { PageCursor } from './ports';

/** One partition of an index whose sort key orders its items by time, listed newest first. */
export interface NewestFirstListing {
  readonly tableName: string;
  readonly indexName: string;
  /** The index's partition key and the one value listed (e.g. `ownerId` = the caller). */
  readonly partition: { readonly name: string; readonly value: string };
  /** The attributes of the table's key and the index's key: what DynamoDB needs to resume, and all a cursor holds. */
  readonly keyAttributes: readonly string[];
}

/** One page; `cursor` is present when more items may follow. */
export interface NewestFirstPage<T> {
  items: T[];
  cursor?: PageCursor;
}

/**
 * One page of a listing, newest first. One item more than asked is read, so a next page is
 * promised only when an item is really there (DynamoDB returns a LastEvaluatedKey whenever it
 * stopped at Limit, even on the last item); fewer than asked with a LastEvaluatedKey means the
 * query stopped at DynamoDB's 1 MB page size, and the cursor resumes there.
 */
export async function listNewestFirst<T>(
  client: DynamoDBDocumentClient,
  listing: NewestFirstListing,
  page: { limit: number; after?: PageCursor | undefined; toItem(item: Record<string, unknown>): T },
): Promise<NewestFirstPage<T>> {
  const { partition } = listing;
  const result = await client.send(
    new QueryCommand({
      TableName: listing.tableName,
      IndexName: listing.indexName,
      KeyConditionExpression: '#partition = :partition',
      ExpressionAttributeNames: { '#partition': partition.name },
      ExpressionAttributeValues: { ':partition': partition.value },
      ScanIndexForward: false,
      Limit: page.limit + 1,
      ExclusiveStartKey: page.after === undefined ? undefined : startKey(listing, page.after),
    }),
  );
  const found = result.Items ?? [];
  const kept = found.slice(0, page.limit);
  const items = kept.map((item) => page.toItem(item));
  const last = kept[kept.length - 1];
  if (found.length > page.limit && last !== undefined) return { items, cursor: cursorOf(listing, last) };
  if (result.LastEvaluatedKey !== undefined) return { items, cursor: cursorOf(listing, result.LastEvaluatedKey) };
  return { items };
}

function cursorOf(listing: NewestFirstListing, key: Record<string, unknown>): PageCursor {
  const cursor: Record<string, string> = {};
  for (const name of listing.keyAttributes) {
    const value = key[name];
    if (typeof value !== 'string') throw new Error(`LastEvaluatedKey lacks string attribute ${name}`);
    cursor[name] = value;
  }
  return cursor;
}

/**
 * The cursor is authenticated by the page token; its shape is still checked before DynamoDB sees
 * it, and it must belong to this listing: a token taken from another partition (another owner's
 * listing) is refused, not sent on.
 */
function startKey(listing: NewestFirstListing, cursor: PageCursor): Record<string, string> {
  const names = Object.keys(cursor);
  const wellFormed =
    names.length === listing.keyAttributes.length &&
    listing.keyAttributes.every((name) => typeof cursor[name] === 'string') &&
    cursor[listing.partition.name] === listing.partition.value;
  if (!wellFormed) throw new ValidationError('nextToken', 'is not a valid page token');
  return { ...cursor };
}
