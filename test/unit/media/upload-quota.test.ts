import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  ProvisionedThroughputExceededException,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { UploadQuotaExceededError } from '../../../functions/api/errors';
import { DynamoMediaStore } from '../../../functions/api/media-records';
import { DynamoUploadQuota } from '../../../functions/media/dynamodb-upload-quota';
import { createHandler } from '../../../functions/media/handler';
import { quotaDay, quotaExceeded } from '../../../functions/media/upload-quota';
import { ALICE, ALLOWED_ORIGIN, BOB, FixedClock, errorOf, jsonEvent, parse } from '../api/fakes';
import { FakePageTokenKeys } from '../articles/fakes';
import {
  FakeDownloadSigner,
  InMemoryObjectEraser,
  InMemoryUploadQuota,
  RecordingUploadSigner,
  mediaSettings,
  mediaWorld,
} from './fakes';

/**
 * The daily upload quota: the UTC day an upload counts against, the 429 a refusal becomes, the
 * DynamoDB adapter's one conditional UpdateItem (mocked client), and POST /media/uploads with
 * the quota in front of signing and the PENDING write.
 */

const QUOTA_TABLE = 'upload-quota-table';
const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const dynamo = mockClient(DynamoDBDocumentClient);

function requestUpload(userId: string = ALICE) {
  return jsonEvent({
    method: 'POST',
    resource: '/media/uploads',
    json: { contentType: 'image/jpeg', contentLength: 10 },
    userId,
  });
}

describe('quotaDay', () => {
  it('counts an upload against its UTC day and resets at the next UTC midnight', () => {
    const window = quotaDay(new Date('2026-05-01T23:59:59.999Z'));

    expect(window.day).toBe('2026-05-01');
    expect(window.resetsAt.toISOString()).toBe('2026-05-02T00:00:00.000Z');
  });

  it('starts a new day exactly at UTC midnight', () => {
    const window = quotaDay(new Date('2026-05-02T00:00:00.000Z'));

    expect(window.day).toBe('2026-05-02');
    expect(window.resetsAt.toISOString()).toBe('2026-05-03T00:00:00.000Z');
  });

  it('lets the counter expire a day after its day ends, in epoch seconds', () => {
    const window = quotaDay(new Date('2026-05-01T10:00:00.000Z'));

    expect(window.expiresAtEpochSeconds).toBe(Date.parse('2026-05-03T00:00:00.000Z') / 1000);
    expect(Number.isInteger(window.expiresAtEpochSeconds)).toBe(true);
  });

  it('rolls over months and years', () => {
    const window = quotaDay(new Date('2026-12-31T18:30:00.000Z'));

    expect(window.resetsAt.toISOString()).toBe('2027-01-01T00:00:00.000Z');
  });
});

describe('quotaExceeded', () => {
  it('names the limit and the reset time', () => {
    const now = new Date('2026-05-01T10:00:00.000Z');

    const error = quotaExceeded({ limit: 100, resetsAt: new Date('2026-05-02T00:00:00.000Z') }, now);

    expect(error).toBeInstanceOf(UploadQuotaExceededError);
    expect(error.message).toBe(
      'Daily upload quota reached: at most 100 uploads per day; it resets at 2026-05-02T00:00:00.000Z',
    );
  });

  it('counts Retry-After in whole seconds until the reset, rounded up', () => {
    const now = new Date('2026-05-01T23:59:58.250Z');

    const error = quotaExceeded({ limit: 3, resetsAt: new Date('2026-05-02T00:00:00.000Z') }, now);

    expect(error.retryAfterSeconds).toBe(2);
  });

  it('never asks to retry after less than one second', () => {
    const resetsAt = new Date('2026-05-02T00:00:00.000Z');

    const error = quotaExceeded({ limit: 3, resetsAt }, resetsAt);

    expect(error.retryAfterSeconds).toBe(1);
  });
});

describe('DynamoUploadQuota (mocked DocumentClient)', () => {
  const now = new Date('2026-05-01T10:00:00.000Z');

  beforeEach(() => {
    dynamo.reset();
  });

  it('adds one to the owner-day counter only while it is below the limit, and sets its expiry', async () => {
    // Arrange
    dynamo.on(UpdateCommand).resolves({});
    const quota = new DynamoUploadQuota(documents, QUOTA_TABLE, 5);

    // Act
    const decision = await quota.take(ALICE, now);

    // Assert
    expect(decision).toEqual({ granted: true });
    expect(dynamo.commandCalls(UpdateCommand).map((call) => call.args[0].input)).toEqual([
      {
        TableName: QUOTA_TABLE,
        Key: { ownerDay: `${ALICE}#2026-05-01` },
        UpdateExpression: 'ADD #count :one SET #expiresAt = :expiresAt',
        ConditionExpression: 'attribute_not_exists(#count) OR #count < :limit',
        ExpressionAttributeNames: { '#count': 'count', '#expiresAt': 'expiresAt' },
        ExpressionAttributeValues: {
          ':one': 1,
          ':limit': 5,
          ':expiresAt': Date.parse('2026-05-03T00:00:00.000Z') / 1000,
        },
      },
    ]);
  });

  it('sends nothing but that one UpdateItem', async () => {
    dynamo.on(UpdateCommand).resolves({});
    const quota = new DynamoUploadQuota(documents, QUOTA_TABLE, 5);

    await quota.take(ALICE, now);

    expect(dynamo.calls()).toHaveLength(1);
  });

  it('refuses with the limit and the next UTC midnight when the condition fails', async () => {
    // Arrange
    dynamo
      .on(UpdateCommand)
      .rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }));
    const quota = new DynamoUploadQuota(documents, QUOTA_TABLE, 5);

    // Act
    const decision = await quota.take(ALICE, now);

    // Assert
    expect(decision).toEqual({ granted: false, limit: 5, resetsAt: new Date('2026-05-02T00:00:00.000Z') });
  });

  it('lets a throttle surface instead of granting the upload', async () => {
    // Arrange: what the client throws once its own retries are spent.
    const throttled = new ProvisionedThroughputExceededException({ message: 'Rate exceeded', $metadata: {} });
    dynamo.on(UpdateCommand).rejects(throttled);
    const quota = new DynamoUploadQuota(documents, QUOTA_TABLE, 5);

    // Act
    const taking = quota.take(ALICE, now);

    // Assert
    await expect(taking).rejects.toBe(throttled);
  });
});

describe('POST /media/uploads under the daily quota', () => {
  it('answers 429 UPLOAD_QUOTA_EXCEEDED naming the limit and the reset once the day is used up', async () => {
    // Arrange
    const world = mediaWorld({ uploadQuota: new InMemoryUploadQuota(2) });
    const handler = createHandler(world.deps);
    await handler(requestUpload());
    await handler(requestUpload());

    // Act
    const error = errorOf(await handler(requestUpload()));

    // Assert
    expect(error).toEqual({
      status: 429,
      code: 'UPLOAD_QUOTA_EXCEEDED',
      message: 'Daily upload quota reached: at most 2 uploads per day; it resets at 2026-05-02T00:00:00.000Z',
    });
  });

  it('says in Retry-After how many seconds remain until UTC midnight', async () => {
    // Arrange: FixedClock stands at 10:00 UTC, 14 hours before the reset.
    const world = mediaWorld({ uploadQuota: new InMemoryUploadQuota(1) });
    const handler = createHandler(world.deps);
    await handler(requestUpload());

    // Act
    const response = parse(await handler(requestUpload()));

    // Assert
    expect(response.status).toBe(429);
    expect(response.headers['retry-after']).toBe(String(14 * 3600));
  });

  it('lets a browser app on an allowed origin read Retry-After', async () => {
    // Arrange
    const world = mediaWorld({ uploadQuota: new InMemoryUploadQuota(1) });
    const handler = createHandler(world.deps);
    const fromBrowser = () =>
      jsonEvent({
        method: 'POST',
        resource: '/media/uploads',
        json: { contentType: 'image/jpeg', contentLength: 10 },
        userId: ALICE,
        headers: { Origin: ALLOWED_ORIGIN },
      });
    await handler(fromBrowser());

    // Act
    const response = parse(await handler(fromBrowser()));

    // Assert
    expect(response.headers).toMatchObject({
      'access-control-allow-origin': ALLOWED_ORIGIN,
      'access-control-expose-headers': 'Retry-After',
    });
  });

  it('signs nothing and writes no PENDING record for a refused upload', async () => {
    // Arrange
    const world = mediaWorld({ uploadQuota: new InMemoryUploadQuota(1) });
    const handler = createHandler(world.deps);
    await handler(requestUpload());

    // Act
    await handler(requestUpload());

    // Assert
    expect(world.uploads.requests).toHaveLength(1);
    expect(world.media.records.size).toBe(1);
  });

  it('does not count a request it refuses for its content type', async () => {
    // Arrange
    const world = mediaWorld({ uploadQuota: new InMemoryUploadQuota(1) });
    const handler = createHandler(world.deps);
    const gif = jsonEvent({
      method: 'POST',
      resource: '/media/uploads',
      json: { contentType: 'image/gif', contentLength: 10 },
      userId: ALICE,
    });
    await handler(gif);

    // Act
    const response = await handler(requestUpload());

    // Assert
    expect(response.statusCode).toBe(201);
  });

  it("counts each owner's uploads apart", async () => {
    // Arrange
    const world = mediaWorld({ uploadQuota: new InMemoryUploadQuota(1) });
    const handler = createHandler(world.deps);
    await handler(requestUpload(ALICE));

    // Act
    const response = await handler(requestUpload(BOB));

    // Assert
    expect(response.statusCode).toBe(201);
  });

  it('allows uploads again after UTC midnight', async () => {
    // Arrange
    const clock = new FixedClock(new Date('2026-05-01T23:59:59.000Z'));
    const world = mediaWorld({ uploadQuota: new InMemoryUploadQuota(1), clock });
    const handler = createHandler(world.deps);
    await handler(requestUpload());
    clock.advance(1000);

    // Act
    const response = await handler(requestUpload());

    // Assert
    expect(response.statusCode).toBe(201);
  });

  describe('over the DynamoDB adapters (mocked DocumentClient)', () => {
    function handlerOverDynamo() {
      return createHandler({
        media: new DynamoMediaStore(documents, 'media-table'),
        uploadQuota: new DynamoUploadQuota(documents, QUOTA_TABLE, 3),
        uploadSigner: new RecordingUploadSigner(),
        downloadSigner: new FakeDownloadSigner(),
        objects: new InMemoryObjectEraser(),
        pageTokenKeys: new FakePageTokenKeys(),
        settings: mediaSettings,
        clock: new FixedClock(),
      });
    }

    beforeEach(() => {
      dynamo.reset();
      dynamo.on(PutCommand).resolves({});
    });

    /** POST /media/uploads while the quota table's counting update fails with `error`. */
    async function requestUploadWhileCountingFails(error: Error) {
      dynamo.on(UpdateCommand).rejects(error);
      return parse(await handlerOverDynamo()(requestUpload()));
    }

    it('counts the upload before it writes the PENDING record', async () => {
      dynamo.on(UpdateCommand).resolves({});
      const handler = handlerOverDynamo();

      const response = await handler(requestUpload());

      expect(response.statusCode).toBe(201);
      expect(dynamo.calls().map((call) => call.args[0].constructor.name)).toEqual(['UpdateCommand', 'PutCommand']);
    });

    it('maps a failed quota condition to 429 with Retry-After, and writes nothing', async () => {
      // Act
      const response = await requestUploadWhileCountingFails(
        new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }),
      );

      // Assert
      expect(response.status).toBe(429);
      expect(response.body).toEqual({
        error: {
          code: 'UPLOAD_QUOTA_EXCEEDED',
          message: 'Daily upload quota reached: at most 3 uploads per day; it resets at 2026-05-02T00:00:00.000Z',
        },
      });
      expect(response.headers['retry-after']).toBe('50400');
      expect(dynamo.commandCalls(PutCommand)).toHaveLength(0);
    });

    it('answers a throttled quota table with 500 INTERNAL_ERROR, never with an upload URL', async () => {
      // Act
      const response = await requestUploadWhileCountingFails(
        new ProvisionedThroughputExceededException({ message: 'Rate exceeded', $metadata: {} }),
      );

      // Assert
      expect(response.status).toBe(500);
      expect(response.body).toEqual({ error: { code: 'INTERNAL_ERROR', message: 'Internal error' } });
      expect(dynamo.commandCalls(PutCommand)).toHaveLength(0);
    });
  });
});
