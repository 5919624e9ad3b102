/**
 * Key schemas of the DynamoDB tables, written once. The CDK constructs build the real tables
 * from these, and the local twin creates its emulator tables from the very same objects.
 * Attribute and index names here are also what the handlers query, so they are a contract.
 */

import {
  CLAIMED_AT_ATTRIBUTE,
  CLAIM_INDEX_NAME,
  CLAIM_SHARD_ATTRIBUTE,
  TICKET_REMOVE_AT_ATTRIBUTE,
} from '../../functions/shared/media';

export type AttributeType = 'S' | 'N' | 'B';

export interface KeyAttribute {
  name: string;
  type: AttributeType;
}

/** What an index copies of each item besides the keys: everything, or the attributes named. */
export type IndexProjection = { type: 'ALL' } | { type: 'INCLUDE'; nonKeyAttributes: readonly string[] };

export interface GlobalIndexDefinition {
  indexName: string;
  partitionKey: KeyAttribute;
  sortKey?: KeyAttribute;
  /** @default { type: 'ALL' } */
  projection?: IndexProjection;
}

export interface TableDefinition {
  /** Logical id in the CDK stack and the table name suffix in the local twin. */
  id: string;
  partitionKey: KeyAttribute;
  sortKey?: KeyAttribute;
  globalSecondaryIndexes: GlobalIndexDefinition[];
  /** Attribute holding each item's expiry (epoch seconds); DynamoDB TTL deletes expired items. @default no TTL */
  timeToLiveAttribute?: string;
}

/**
 * One item per uploaded media object (docs/design.md "Media record"). `byOwner` lists one owner's media
 * newest first (GET /media?owner=me): partition `ownerId`, sort `createdAt` (ISO-8601, so it
 * sorts by time); every record has both from the moment its upload URL is issued.
 */
export const mediaTable: TableDefinition = {
  id: 'MediaTable',
  partitionKey: { name: 'mediaId', type: 'S' },
  globalSecondaryIndexes: [
    {
      indexName: 'byOwner',
      partitionKey: { name: 'ownerId', type: 'S' },
      sortKey: { name: 'createdAt', type: 'S' },
    },
    {
      // Sparse: only media whose claim is held (PROCESSING) carry its keys, so the sweeper's Query
      // reads the few runs in flight, never the table (functions/shared/media.ts CLAIM_INDEX_NAME).
      // It needs the claim's holder for its conditional write, and nothing else.
      indexName: CLAIM_INDEX_NAME,
      partitionKey: { name: CLAIM_SHARD_ATTRIBUTE, type: 'N' },
      sortKey: { name: CLAIMED_AT_ATTRIBUTE, type: 'S' },
      projection: { type: 'INCLUDE', nonKeyAttributes: ['claimedBy'] },
    },
  ],
  // Unclaimed upload tickets only (see functions/shared/media.ts): the claim removes it.
  timeToLiveAttribute: TICKET_REMOVE_AT_ATTRIBUTE,
};

/**
 * One item per article. `byNewest` lists articles newest first: every article shares the
 * partition `listPartition = "ARTICLE"` and sorts by `listSortKey = {createdAt}#{id}`.
 * One partition sustains ~1,000 writes/s, far beyond a travel guide's authoring rate.
 */
export const articlesTable: TableDefinition = {
  id: 'ArticlesTable',
  partitionKey: { name: 'id', type: 'S' },
  globalSecondaryIndexes: [
    {
      indexName: 'byNewest',
      partitionKey: { name: 'listPartition', type: 'S' },
      sortKey: { name: 'listSortKey', type: 'S' },
    },
  ],
};

/**
 * Upload counters for the daily upload quota: one item per owner and UTC day,
 * `ownerDay = {ownerId}#{yyyy-mm-dd}`, with a numeric `count` and `expiresAt` (epoch seconds,
 * a day after the day ends), so TTL removes old counters and the table never grows.
 */
export const uploadQuotaTable: TableDefinition = {
  id: 'UploadQuotaTable',
  partitionKey: { name: 'ownerDay', type: 'S' },
  globalSecondaryIndexes: [],
  timeToLiveAttribute: 'expiresAt',
};
