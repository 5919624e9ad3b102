import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { listNewestFirst } from '../api/newest-first';
import type {
  Article,
  ArticleContent,
  ArticlePage,
  ArticleStore,
  GeoLocation,
  OwnedWriteOutcome,
  PageCursor,
} from './ports';

/** Index and key attributes from infra/definitions/tables.ts (articlesTable.byNewest). */
export const NEWEST_INDEX = 'byNewest';
export const LIST_PARTITION = 'ARTICLE';

/** Condition shared by every author-only write: the item exists and `authorId` is the caller. */
const AUTHOR_ONLY = 'attribute_exists(#id) AND #authorId = :me';

/**
 * Articles in DynamoDB: one item per article, plus the two GSI attributes that list all
 * articles newest first (`listPartition`, `listSortKey = {createdAt}#{id}`).
 */
export class DynamoArticleStore implements ArticleStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async create(article: Article): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...article, listPartition: LIST_PARTITION, listSortKey: `${article.createdAt}#${article.id}` },
        ConditionExpression: 'attribute_not_exists(#id)',
        ExpressionAttributeNames: { '#id': 'id' },
      }),
    );
  }

  async get(id: string): Promise<Article | undefined> {
    const result = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { id }, ConsistentRead: true }),
    );
    return result.Item === undefined ? undefined : toArticle(result.Item);
  }

  listNewest(limit: number, after?: PageCursor): Promise<ArticlePage> {
    return listNewestFirst(
      this.client,
      {
        tableName: this.tableName,
        indexName: NEWEST_INDEX,
        partition: { name: 'listPartition', value: LIST_PARTITION },
        keyAttributes: ['id', 'listPartition', 'listSortKey'],
      },
      { limit, after, toItem: toArticle },
    );
  }

  async replaceContent(
    id: string,
    authorId: string,
    content: ArticleContent,
    updatedAt: string,
  ): Promise<OwnedWriteOutcome<Article>> {
    const names: Record<string, string> = {
      '#id': 'id',
      '#authorId': 'authorId',
      '#title': 'title',
      '#body': 'body',
      '#tags': 'tags',
      '#updatedAt': 'updatedAt',
      '#location': 'location',
      '#coverMediaId': 'coverMediaId',
    };
    const values: Record<string, unknown> = {
      ':me': authorId,
      ':title': content.title,
      ':body': content.body,
      ':tags': content.tags,
      ':updatedAt': updatedAt,
    };
    const set = ['#title = :title', '#body = :body', '#tags = :tags', '#updatedAt = :updatedAt'];
    const remove: string[] = [];
    // Full replacement: optional fields the caller left out are removed from the item.
    if (content.location === undefined) remove.push('#location');
    else {
      set.push('#location = :location');
      values[':location'] = content.location;
    }
    if (content.coverMediaId === undefined) remove.push('#coverMediaId');
    else {
      set.push('#coverMediaId = :coverMediaId');
      values[':coverMediaId'] = content.coverMediaId;
    }

    try {
      const result = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { id },
          UpdateExpression: `SET ${set.join(', ')}${remove.length > 0 ? ` REMOVE ${remove.join(', ')}` : ''}`,
          ConditionExpression: AUTHOR_ONLY,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      if (result.Attributes === undefined) throw new Error('UpdateItem returned no attributes');
      return { kind: 'done', value: toArticle(result.Attributes) };
    } catch (error: unknown) {
      return this.ownershipFailure(error);
    }
  }

  async delete(id: string, authorId: string): Promise<OwnedWriteOutcome<undefined>> {
    try {
      await this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { id },
          ConditionExpression: AUTHOR_ONLY,
          ExpressionAttributeNames: { '#id': 'id', '#authorId': 'authorId' },
          ExpressionAttributeValues: { ':me': authorId },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { kind: 'done', value: undefined };
    } catch (error: unknown) {
      return this.ownershipFailure(error);
    }
  }

  /**
   * Explains a failed author-only condition. With ALL_OLD, DynamoDB returns the stored item when
   * it exists (so the author did not match), and none when there is no such article. Any other
   * error is not ours to interpret.
   */
  private ownershipFailure(error: unknown): OwnedWriteOutcome<never> {
    if (!(error instanceof Error && error.name === 'ConditionalCheckFailedException')) throw error;
    return (error as Error & { Item?: unknown }).Item !== undefined ? { kind: 'forbidden' } : { kind: 'not-found' };
  }
}

/** Picks the article's fields from an item, leaving the index attributes behind. */
function toArticle(item: Record<string, unknown>): Article {
  const { id, authorId, title, body, tags, createdAt, updatedAt, location, coverMediaId } = item;
  if (
    typeof id !== 'string' ||
    typeof authorId !== 'string' ||
    typeof title !== 'string' ||
    typeof body !== 'string' ||
    typeof createdAt !== 'string' ||
    typeof updatedAt !== 'string'
  ) {
    throw new Error('Article item is malformed');
  }
  const article: Article = {
    id,
    authorId,
    title,
    body,
    tags: Array.isArray(tags) ? tags.filter((tag): tag is string => typeof tag === 'string') : [],
    createdAt,
    updatedAt,
  };
  if (isGeoLocation(location)) article.location = { name: location.name, lat: location.lat, lng: location.lng };
  if (typeof coverMediaId === 'string') article.coverMediaId = coverMediaId;
  return article;
}

function isGeoLocation(value: unknown): value is GeoLocation {
  if (typeof value !== 'object' || value === null) return false;
  const { name, lat, lng } = value as Record<string, unknown>;
  return typeof name === 'string' && typeof lat === 'number' && typeof lng === 'number';
}
