import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoMediaStore } from '../../../functions/api/media-records';
import { DynamoArticleStore } from '../../../functions/articles/dynamodb-stores';
import { createHandler } from '../../../functions/articles/handler';
import { ALICE, BOB, FixedClock, SequentialIds, apiEvent, errorOf, jsonEvent } from '../api/fakes';
import { FakePageTokenKeys, settings, validArticle } from './fakes';

/** The handler over the real DynamoDB adapters, with the DocumentClient mocked: the command inputs are the contract. */

const ARTICLES_TABLE = 'articles-table';
const MEDIA_TABLE = 'media-table';
const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}), {
  marshallOptions: { removeUndefinedValues: true },
});
const dynamo = mockClient(DynamoDBDocumentClient);

function handlerOverDynamo() {
  return createHandler({
    articles: new DynamoArticleStore(documents, ARTICLES_TABLE),
    media: new DynamoMediaStore(documents, MEDIA_TABLE),
    pageTokenKeys: new FakePageTokenKeys(),
    settings,
    clock: new FixedClock(),
    ids: new SequentialIds(),
  });
}

function storedArticle(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'art-1',
    authorId: ALICE,
    title: 'Lisbon',
    body: 'Castle first.',
    tags: ['food'],
    createdAt: '2026-05-01T10:00:00.000Z',
    updatedAt: '2026-05-01T10:00:00.000Z',
    listPartition: 'ARTICLE',
    listSortKey: '2026-05-01T10:00:00.000Z#art-1',
    ...overrides,
  };
}

/** PUT /articles/art-1, the stored article's id, by `userId`. */
function putArticle1(userId: string, json: unknown) {
  return jsonEvent({ method: 'PUT', resource: '/articles/{id}', pathParameters: { id: 'art-1' }, userId, json });
}

function deleteArticle1(userId: string) {
  return apiEvent({ method: 'DELETE', resource: '/articles/{id}', pathParameters: { id: 'art-1' }, userId });
}

function conditionFailed(item?: Record<string, unknown>): ConditionalCheckFailedException {
  return new ConditionalCheckFailedException({
    message: 'The conditional request failed',
    $metadata: {},
    ...(item === undefined ? {} : { Item: { id: { S: String(item.id) } } }),
  });
}

beforeEach(() => {
  dynamo.reset();
});

describe('articles over DynamoDB', () => {
  it('creates with a Put that never overwrites and carries the byNewest keys', async () => {
    // Arrange
    dynamo.on(PutCommand).resolves({});
    const handler = handlerOverDynamo();

    // Act
    const response = await handler(
      jsonEvent({ method: 'POST', resource: '/articles', userId: ALICE, json: validArticle() }),
    );

    // Assert
    expect(response.statusCode).toBe(201);
    const [put] = dynamo.commandCalls(PutCommand);
    expect(put?.args[0].input).toEqual({
      TableName: ARTICLES_TABLE,
      Item: {
        id: 'id-0001',
        authorId: ALICE,
        title: 'Lisbon in three days',
        body: 'Start at the castle.',
        tags: [],
        createdAt: '2026-05-01T10:00:00.000Z',
        updatedAt: '2026-05-01T10:00:00.000Z',
        listPartition: 'ARTICLE',
        listSortKey: '2026-05-01T10:00:00.000Z#id-0001',
      },
      ConditionExpression: 'attribute_not_exists(#id)',
      ExpressionAttributeNames: { '#id': 'id' },
    });
  });

  it('checks the cover media record before creating', async () => {
    dynamo
      .on(GetCommand, { TableName: MEDIA_TABLE })
      .resolves({ Item: { mediaId: 'm1', ownerId: BOB, status: 'READY' } });
    const handler = handlerOverDynamo();

    const error = errorOf(
      await handler(
        jsonEvent({ method: 'POST', resource: '/articles', userId: ALICE, json: validArticle({ coverMediaId: 'm1' }) }),
      ),
    );

    expect(error).toEqual({
      status: 400,
      code: 'VALIDATION_ERROR',
      message: 'coverMediaId: must name media uploaded by you',
    });
    expect(dynamo.commandCalls(GetCommand)[0]?.args[0].input).toEqual({
      TableName: MEDIA_TABLE,
      Key: { mediaId: 'm1' },
      ConsistentRead: true,
    });
    expect(dynamo.commandCalls(PutCommand)).toHaveLength(0);
  });

  it('returns a stored article without the index attributes', async () => {
    dynamo.on(GetCommand, { TableName: ARTICLES_TABLE, Key: { id: 'art-1' } }).resolves({ Item: storedArticle() });
    const handler = handlerOverDynamo();

    const response = await handler(
      apiEvent({ method: 'GET', resource: '/articles/{id}', pathParameters: { id: 'art-1' } }),
    );

    expect(response.statusCode).toBe(200);
    const body = JSON.parse(response.body) as Record<string, unknown>;
    expect(body).not.toHaveProperty('listPartition');
    expect(body).not.toHaveProperty('listSortKey');
    expect(body.title).toBe('Lisbon');
  });

  it('queries byNewest newest first and round-trips LastEvaluatedKey through nextToken', async () => {
    // Arrange
    const lastKey = { id: 'art-1', listPartition: 'ARTICLE', listSortKey: '2026-05-01T10:00:00.000Z#art-1' };
    dynamo
      .on(QueryCommand)
      .resolvesOnce({ Items: [storedArticle()], LastEvaluatedKey: lastKey })
      .resolvesOnce({ Items: [] });
    const handler = handlerOverDynamo();

    // Act
    const first = JSON.parse(
      (await handler(apiEvent({ method: 'GET', resource: '/articles', query: { limit: '1' } }))).body,
    ) as { nextToken: string };
    const second = await handler(
      apiEvent({ method: 'GET', resource: '/articles', query: { limit: '1', nextToken: first.nextToken } }),
    );

    // Assert
    expect(second.statusCode).toBe(200);
    const [firstQuery, secondQuery] = dynamo.commandCalls(QueryCommand).map((call) => call.args[0].input);
    expect(firstQuery).toEqual({
      TableName: ARTICLES_TABLE,
      IndexName: 'byNewest',
      KeyConditionExpression: '#partition = :partition',
      ExpressionAttributeNames: { '#partition': 'listPartition' },
      ExpressionAttributeValues: { ':partition': 'ARTICLE' },
      ScanIndexForward: false,
      Limit: 2,
      ExclusiveStartKey: undefined,
    });
    expect(secondQuery?.ExclusiveStartKey).toEqual(lastKey);
    expect(first.nextToken).not.toContain('art-1');
  });

  it('never sends a tampered token to DynamoDB', async () => {
    dynamo.on(QueryCommand).resolves({ Items: [] });
    const handler = handlerOverDynamo();
    const forged = `${Buffer.from(JSON.stringify({ id: 'x', listPartition: 'ARTICLE', listSortKey: 'z' })).toString('base64url')}.${'B'.repeat(43)}`;

    const error = errorOf(
      await handler(apiEvent({ method: 'GET', resource: '/articles', query: { nextToken: forged } })),
    );

    expect(error).toEqual({ status: 400, code: 'VALIDATION_ERROR', message: 'nextToken: is not a valid page token' });
    expect(dynamo.commandCalls(QueryCommand)).toHaveLength(0);
  });

  it('updates with SET/REMOVE conditioned on the caller being the author', async () => {
    // Arrange
    dynamo.on(GetCommand, { TableName: ARTICLES_TABLE }).resolves({ Item: storedArticle() });
    dynamo.on(UpdateCommand).resolves({ Attributes: storedArticle({ title: 'New', body: 'B', tags: ['x'] }) });
    const handler = handlerOverDynamo();

    // Act
    const response = await handler(putArticle1(ALICE, { title: 'New', body: 'B', tags: ['x'] }));

    // Assert
    expect(response.statusCode).toBe(200);
    const [update] = dynamo.commandCalls(UpdateCommand);
    expect(update?.args[0].input).toMatchObject({
      TableName: ARTICLES_TABLE,
      Key: { id: 'art-1' },
      UpdateExpression:
        'SET #title = :title, #body = :body, #tags = :tags, #updatedAt = :updatedAt REMOVE #location, #coverMediaId',
      ConditionExpression: 'attribute_exists(#id) AND #authorId = :me',
      ExpressionAttributeValues: {
        ':me': ALICE,
        ':title': 'New',
        ':body': 'B',
        ':tags': ['x'],
        ':updatedAt': '2026-05-01T10:00:00.000Z',
      },
      ReturnValues: 'ALL_NEW',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
  });

  it('answers 403 when the conditional update fails on an existing item', async () => {
    dynamo.on(GetCommand, { TableName: ARTICLES_TABLE }).resolves({ Item: storedArticle() });
    dynamo.on(UpdateCommand).rejects(conditionFailed(storedArticle({ authorId: BOB })));
    const handler = handlerOverDynamo();

    const error = errorOf(await handler(putArticle1(ALICE, validArticle())));

    expect(error).toEqual({ status: 403, code: 'FORBIDDEN', message: 'Only the author may change this article' });
  });

  it('answers 404 when the article vanished before the conditional update', async () => {
    dynamo.on(GetCommand, { TableName: ARTICLES_TABLE }).resolvesOnce({ Item: storedArticle() }).resolves({});
    dynamo.on(UpdateCommand).rejects(conditionFailed());
    const handler = handlerOverDynamo();

    const error = errorOf(await handler(putArticle1(ALICE, validArticle())));

    expect(error).toEqual({ status: 404, code: 'NOT_FOUND', message: 'Article not found' });
  });

  it('does not write when the reader is not the author', async () => {
    dynamo.on(GetCommand, { TableName: ARTICLES_TABLE }).resolves({ Item: storedArticle() });
    const handler = handlerOverDynamo();

    const error = errorOf(await handler(putArticle1(BOB, validArticle())));

    expect(error).toEqual({ status: 403, code: 'FORBIDDEN', message: 'Only the author may change this article' });
    expect(dynamo.commandCalls(UpdateCommand)).toHaveLength(0);
  });

  it('deletes with a condition on the author', async () => {
    dynamo.on(DeleteCommand).resolves({});
    const handler = handlerOverDynamo();

    const response = await handler(deleteArticle1(ALICE));

    expect(response.statusCode).toBe(204);
    expect(dynamo.commandCalls(DeleteCommand)[0]?.args[0].input).toEqual({
      TableName: ARTICLES_TABLE,
      Key: { id: 'art-1' },
      ConditionExpression: 'attribute_exists(#id) AND #authorId = :me',
      ExpressionAttributeNames: { '#id': 'id', '#authorId': 'authorId' },
      ExpressionAttributeValues: { ':me': ALICE },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
  });

  it('answers 403 when the delete condition fails on someone else’s article', async () => {
    dynamo.on(DeleteCommand).rejects(conditionFailed(storedArticle()));
    const handler = handlerOverDynamo();

    const error = errorOf(await handler(deleteArticle1(BOB)));

    expect(error).toEqual({ status: 403, code: 'FORBIDDEN', message: 'Only the author may delete this article' });
  });

  it('answers 404 when the delete condition fails on a missing article, without another read', async () => {
    dynamo.on(DeleteCommand).rejects(conditionFailed());
    const handler = handlerOverDynamo();

    const error = errorOf(await handler(deleteArticle1(ALICE)));

    expect(error).toEqual({ status: 404, code: 'NOT_FOUND', message: 'Article not found' });
    expect(dynamo.commandCalls(GetCommand)).toHaveLength(0);
  });

  it('answers 500 without details when DynamoDB fails unexpectedly', async () => {
    dynamo.on(QueryCommand).rejects(
      Object.assign(new Error('Rate exceeded for table articles-table'), {
        name: 'ProvisionedThroughputExceededException',
      }),
    );
    const handler = handlerOverDynamo();

    const response = await handler(apiEvent({ method: 'GET', resource: '/articles' }));

    expect(errorOf(response)).toEqual({ status: 500, code: 'INTERNAL_ERROR', message: 'Internal error' });
    expect(response.body).not.toContain('articles-table');
  });
});
