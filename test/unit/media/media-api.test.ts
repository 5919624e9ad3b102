import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoMediaStore } from '../../../functions/api/media-records';
import { DynamoUploadQuota } from '../../../functions/media/dynamodb-upload-quota';
import { createHandler } from '../../../functions/media/handler';
import { S3DownloadSigner, S3UploadSigner } from '../../../functions/media/s3-signers';
import type { S3SignerOptions } from '../../../functions/media/s3-signers';
import type { MediaRecord } from '../../../functions/shared/media';
import { ALICE, FixedClock, apiEvent, errorOf, jsonEvent } from '../api/fakes';
import { InMemoryObjectEraser, mediaWorld, mediaSettings } from './fakes';
import { FakePageTokenKeys } from '../articles/fakes';

/**
 * The media function's routes over the real S3 signers (they sign offline with fake credentials) and the
 * DynamoDB adapter with a mocked DocumentClient. The decoded POST policy is the proof that S3
 * will enforce key, type and size: the local S3 emulator does not check policies.
 */

const BUCKET = 'media-bucket';
const MEDIA_TABLE = 'media-table';
const QUOTA_TABLE = 'upload-quota-table';
// The signer's clock is not the service's (FixedClock: 10:00:00.000), and it has milliseconds,
// so a ticket that reported its own expiry instead of the signed one would show.
const SIGNED_AT = new Date('2026-05-01T10:00:07.250Z');
// The SDK's presigners sign at the system clock, which these tests set to SIGNED_AT (Date only).
const signing: S3SignerOptions = {
  s3: new S3Client({
    region: 'eu-west-1',
    credentials: { accessKeyId: 'AKIAEXAMPLEKEY', secretAccessKey: 'example-secret' },
  }),
  bucket: BUCKET,
};
const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const dynamo = mockClient(DynamoDBDocumentClient);

function handlerOverAws() {
  return createHandler({
    media: new DynamoMediaStore(documents, MEDIA_TABLE),
    uploadSigner: new S3UploadSigner(signing),
    downloadSigner: new S3DownloadSigner(signing),
    uploadQuota: new DynamoUploadQuota(documents, QUOTA_TABLE, mediaSettings.dailyUploadQuota),
    objects: new InMemoryObjectEraser(),
    pageTokenKeys: new FakePageTokenKeys(),
    settings: mediaSettings,
    clock: new FixedClock(),
    ids: { newId: () => 'media-0001' },
  });
}

/** `userId: null` sends no authorizer claims. */
function requestUpload(json: unknown, userId: string | null = ALICE) {
  return jsonEvent({ method: 'POST', resource: '/media/uploads', json, ...(userId === null ? {} : { userId }) });
}

interface UploadTicket {
  mediaId: string;
  url: string;
  fields: Record<string, string>;
  expiresAt: string;
  maxBytes: number;
}

interface PostPolicy {
  expiration: string;
  conditions: unknown[];
}

function decodePolicy(fields: Record<string, string>): PostPolicy {
  return JSON.parse(Buffer.from(fields.Policy ?? '', 'base64').toString('utf8')) as PostPolicy;
}

beforeEach(() => {
  jest.useFakeTimers({
    now: SIGNED_AT,
    doNotFake: [
      'hrtime',
      'nextTick',
      'performance',
      'queueMicrotask',
      'setImmediate',
      'clearImmediate',
      'setInterval',
      'clearInterval',
      'setTimeout',
      'clearTimeout',
    ],
  });
  dynamo.reset();
  dynamo.on(PutCommand).resolves({});
  dynamo.on(UpdateCommand).resolves({});
});

afterEach(() => {
  jest.useRealTimers();
});

describe('POST /media/uploads', () => {
  it('returns 201 with a presigned POST for uploads/{sub}/{mediaId}', async () => {
    const handler = handlerOverAws();

    const response = await handler(requestUpload({ contentType: 'image/jpeg', contentLength: 5000 }));

    expect(response.statusCode).toBe(201);
    const ticket = JSON.parse(response.body) as UploadTicket;
    expect(ticket.mediaId).toBe('media-0001');
    expect(ticket.url).toBe(`https://${BUCKET}.s3.eu-west-1.amazonaws.com/`);
    expect(ticket.fields.key).toBe(`uploads/${ALICE}/media-0001`);
    expect(ticket.fields['Content-Type']).toBe('image/jpeg');
    expect(ticket.maxBytes).toBe(5000);
  });

  it('signs a policy that pins the key, the Content-Type and the declared size', async () => {
    // Arrange
    const handler = handlerOverAws();

    // Act
    const ticket = JSON.parse(
      (await handler(requestUpload({ contentType: 'image/png', contentLength: 123_456 }))).body,
    ) as UploadTicket;

    // Assert
    const policy = decodePolicy(ticket.fields);
    expect(policy.conditions).toEqual(
      expect.arrayContaining([
        ['eq', '$key', `uploads/${ALICE}/media-0001`],
        ['eq', '$Content-Type', 'image/png'],
        ['content-length-range', 1, 123_456],
        { bucket: BUCKET },
      ]),
    );
    expect(policy.conditions).not.toContainEqual(expect.arrayContaining(['starts-with']));
  });

  it('expires the policy UPLOAD_URL_TTL_SECONDS after signing, in whole seconds', async () => {
    // Arrange
    const handler = handlerOverAws();

    // Act
    const ticket = JSON.parse(
      (await handler(requestUpload({ contentType: 'image/webp', contentLength: 10 }))).body,
    ) as UploadTicket;

    // Assert
    expect(decodePolicy(ticket.fields).expiration).toBe('2026-05-01T10:05:07Z');
  });

  it('reports as expiresAt the expiration the policy was signed with', async () => {
    // Arrange
    const handler = handlerOverAws();

    // Act
    const ticket = JSON.parse(
      (await handler(requestUpload({ contentType: 'image/webp', contentLength: 10 }))).body,
    ) as UploadTicket;

    // Assert
    expect(ticket.expiresAt).toBe(new Date(decodePolicy(ticket.fields).expiration).toISOString());
  });

  it('writes a PENDING record that can never overwrite an existing one', async () => {
    const handler = handlerOverAws();

    const ticket = JSON.parse(
      (await handler(requestUpload({ contentType: 'image/jpeg', contentLength: 10 }))).body,
    ) as UploadTicket;

    const input = dynamo.commandCalls(PutCommand)[0]?.args[0].input;
    expect(input?.TableName).toBe(MEDIA_TABLE);
    expect(input?.Item).toEqual({
      mediaId: 'media-0001',
      ownerId: ALICE,
      status: 'PENDING',
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
      uploadExpiresAt: ticket.expiresAt,
      removeAt: Date.parse(ticket.expiresAt) / 1000 + 7 * 24 * 3600,
    });
    expect(input?.ConditionExpression).toBe('attribute_not_exists(#mediaId)');
    expect(input?.ExpressionAttributeNames).toEqual({ '#mediaId': 'mediaId' });
  });

  it('normalises the content type to lower case before pinning it', async () => {
    const world = mediaWorld();
    const handler = createHandler(world.deps);

    const response = await handler(requestUpload({ contentType: 'IMAGE/JPEG', contentLength: 10 }));

    expect(response.statusCode).toBe(201);
    expect(world.uploads.requests[0]?.contentType).toBe('image/jpeg');
  });

  it.each([
    ['image/gif'],
    ['image/svg+xml'],
    ['text/html'],
    ['image/jpeg; charset=binary'],
    ['application/octet-stream'],
  ])('returns 415 naming contentType for %s', async (contentType) => {
    const world = mediaWorld();
    const handler = createHandler(world.deps);

    const error = errorOf(await handler(requestUpload({ contentType, contentLength: 10 })));

    expect(error).toEqual({
      status: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
      message: 'contentType: must be one of image/jpeg, image/png, image/webp',
    });
    expect(world.media.records.size).toBe(0);
  });

  it('returns 413 naming contentLength above MAX_UPLOAD_BYTES', async () => {
    const world = mediaWorld();
    const handler = createHandler(world.deps);

    const error = errorOf(
      await handler(requestUpload({ contentType: 'image/jpeg', contentLength: mediaSettings.maxUploadBytes + 1 })),
    );

    expect(error).toEqual({
      status: 413,
      code: 'PAYLOAD_TOO_LARGE',
      message: `contentLength: must be at most ${mediaSettings.maxUploadBytes} bytes`,
    });
    expect(world.uploads.requests).toHaveLength(0);
  });

  it('accepts exactly MAX_UPLOAD_BYTES', async () => {
    const handler = createHandler(mediaWorld().deps);

    const response = await handler(
      requestUpload({ contentType: 'image/jpeg', contentLength: mediaSettings.maxUploadBytes }),
    );

    expect(response.statusCode).toBe(201);
  });

  it.each([
    ['zero length', { contentType: 'image/jpeg', contentLength: 0 }, 'contentLength: must be at least 1'],
    ['negative length', { contentType: 'image/jpeg', contentLength: -5 }, 'contentLength: must be at least 1'],
    ['fractional length', { contentType: 'image/jpeg', contentLength: 1.5 }, 'contentLength: must be an integer'],
    [
      'length beyond the safe integers',
      { contentType: 'image/jpeg', contentLength: 2 ** 53 + 2 },
      'contentLength: must be an integer',
    ],
    ['length as a string', { contentType: 'image/jpeg', contentLength: '10' }, 'contentLength: must be a number'],
    ['missing length', { contentType: 'image/jpeg' }, 'contentLength: is required'],
    ['missing type', { contentLength: 10 }, 'contentType: is required'],
    ['type as an object', { contentType: { $ne: null }, contentLength: 10 }, 'contentType: must be a string'],
    [
      'a client-chosen key',
      { contentType: 'image/jpeg', contentLength: 10, key: 'uploads/bob/x' },
      'key: unknown field',
    ],
  ])('returns 400 naming the field for %s', async (_case, json, message) => {
    const world = mediaWorld();
    const handler = createHandler(world.deps);

    const error = errorOf(await handler(requestUpload(json)));

    expect(error).toEqual({ status: 400, code: 'VALIDATION_ERROR', message });
    expect(world.media.records.size).toBe(0);
  });

  it('returns 401 without claims', async () => {
    const handler = createHandler(mediaWorld().deps);

    const error = errorOf(await handler(requestUpload({ contentType: 'image/jpeg', contentLength: 10 }, null)));

    expect(error).toEqual({ status: 401, code: 'UNAUTHORIZED', message: 'Authentication required' });
  });

  it('returns 415 for a non-JSON request body', async () => {
    const handler = createHandler(mediaWorld().deps);
    const event = apiEvent({
      method: 'POST',
      resource: '/media/uploads',
      userId: ALICE,
      headers: { 'content-type': 'multipart/form-data' },
      body: 'x',
    });

    const error = errorOf(await handler(event));

    expect(error).toEqual({
      status: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
      message: 'content-type: must be application/json',
    });
  });
});

describe('GET /media/{id}', () => {
  const ready: MediaRecord = {
    mediaId: 'media-1',
    ownerId: ALICE,
    status: 'READY',
    original: {
      key: `uploads/${ALICE}/media-1`,
      bytes: 2_000_000,
      contentType: 'image/jpeg',
      width: 4000,
      height: 3000,
    },
    renditions: [
      { name: 'thumb', width: 320, height: 240, format: 'webp', key: 'derived/media-1/thumb.webp', bytes: 9000 },
      { name: 'large', width: 1600, height: 1200, format: 'jpeg', key: 'derived/media-1/large.jpg', bytes: 200_000 },
    ],
    labels: [{ name: 'Castle', confidence: 97.5, parents: ['Building'] }],
    moderation: { verdict: 'APPROVED', labels: [] },
    sourceSequencer: '0000000000000000005F3E2B1A0C9D8E',
    sourceEtag: 'abc',
    createdAt: '2026-05-01T09:00:00.000Z',
    updatedAt: '2026-05-01T09:01:00.000Z',
  };

  function view(id: string) {
    return apiEvent({ method: 'GET', resource: '/media/{id}', pathParameters: { id } });
  }

  it('shows READY media with a short-lived signed GET URL per rendition', async () => {
    // Arrange
    dynamo.on(GetCommand, { TableName: MEDIA_TABLE, Key: { mediaId: 'media-1' } }).resolves({ Item: ready });
    const handler = handlerOverAws();

    // Act
    const response = await handler(view('media-1'));

    // Assert
    expect(response.statusCode).toBe(200);
    const body = JSON.parse(response.body) as { renditions: Array<{ name: string; url: string }> };
    expect(body).toMatchObject({
      mediaId: 'media-1',
      status: 'READY',
      original: { contentType: 'image/jpeg', width: 4000, height: 3000, bytes: 2_000_000 },
      labels: [{ name: 'Castle', confidence: 97.5, parents: ['Building'] }],
      moderation: { verdict: 'APPROVED' },
    });
    const thumb = new URL(body.renditions[0]?.url ?? '');
    expect(thumb.pathname).toBe('/derived/media-1/thumb.webp');
    expect(thumb.searchParams.get('X-Amz-Expires')).toBe(String(mediaSettings.downloadUrlTtlSeconds));
    expect(thumb.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    expect(body.renditions.map((rendition) => rendition.name)).toEqual(['thumb', 'large']);
  });

  it('leaks no storage keys or pipeline bookkeeping', async () => {
    dynamo.on(GetCommand).resolves({ Item: ready });
    const handler = handlerOverAws();

    const response = await handler(view('media-1'));

    expect(response.body).not.toContain('sourceSequencer');
    expect(response.body).not.toContain('"key"');
    expect(response.body).not.toContain(`uploads/${ALICE}`);
    expect(response.body).not.toContain('ownerId');
  });

  it('does not sign a rendition key outside this media’s derived prefix', async () => {
    const world = mediaWorld();
    world.media.put({
      ...ready,
      renditions: [{ name: 'evil', width: 1, height: 1, format: 'jpeg', key: `uploads/${ALICE}/media-1`, bytes: 1 }],
    });
    const handler = createHandler(world.deps);

    const body = JSON.parse((await handler(view('media-1'))).body) as { renditions: unknown[] };

    expect(body.renditions).toEqual([]);
  });

  it('shows REJECTED media with its verdict and no URLs at all', async () => {
    const world = mediaWorld();
    world.media.put({
      ...ready,
      status: 'REJECTED',
      moderation: { verdict: 'REJECTED', labels: [{ name: 'Violence', parentName: '', confidence: 99 }] },
    });
    const handler = createHandler(world.deps);

    const response = await handler(view('media-1'));

    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toEqual({
      mediaId: 'media-1',
      status: 'REJECTED',
      moderation: { verdict: 'REJECTED' },
      createdAt: ready.createdAt,
      updatedAt: ready.updatedAt,
    });
    expect(response.body).not.toContain('https://');
  });

  it('shows FAILED media with its error reason', async () => {
    const world = mediaWorld();
    world.media.put({
      mediaId: 'media-2',
      ownerId: ALICE,
      status: 'FAILED',
      error: { code: 'CORRUPT_IMAGE', message: 'The image is truncated' },
    });
    const handler = createHandler(world.deps);

    const response = await handler(view('media-2'));

    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({
      status: 'FAILED',
      error: { code: 'CORRUPT_IMAGE', message: 'The image is truncated' },
    });
    expect(JSON.parse(response.body)).not.toHaveProperty('renditions');
  });

  it('shows PENDING media with its status only', async () => {
    const world = mediaWorld();
    world.media.put({ mediaId: 'media-3', ownerId: ALICE, status: 'PENDING' });
    const handler = createHandler(world.deps);

    const response = await handler(view('media-3'));

    expect(JSON.parse(response.body)).toEqual({
      mediaId: 'media-3',
      status: 'PENDING',
      createdAt: '2026-05-01T09:00:00.000Z',
      updatedAt: '2026-05-01T09:05:00.000Z',
    });
  });

  it('returns 404 for unknown media', async () => {
    const handler = createHandler(mediaWorld().deps);

    const error = errorOf(await handler(view('does-not-exist')));

    expect(error).toEqual({ status: 404, code: 'NOT_FOUND', message: 'Media not found' });
  });

  it.each([['../../etc/passwd'], ['a%2Fb'], ['x'.repeat(129)]])('returns 400 naming id for %j', async (id) => {
    const world = mediaWorld();
    const handler = createHandler(world.deps);

    const error = errorOf(await handler(view(id)));

    expect(error).toEqual({
      status: 400,
      code: 'VALIDATION_ERROR',
      message: 'id: must be 1 to 128 letters, digits, "-" or "_"',
    });
  });

  it('is readable without authentication', async () => {
    const world = mediaWorld();
    world.media.put({ mediaId: 'media-3', ownerId: ALICE, status: 'PROCESSING' });
    const handler = createHandler(world.deps);

    const response = await handler(view('media-3'));

    expect(response.statusCode).toBe(200);
  });
});
