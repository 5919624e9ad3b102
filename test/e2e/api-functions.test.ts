import { GetObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import sharp from 'sharp';
import { routes } from '../../functions/api/routes';
import { S3DownloadSigner } from '../../functions/media/s3-signers';
import { LocalTokenIssuer } from '../../local/api/auth';
import { startApiServer, type ApiServer } from '../../local/api/server';
import { RunLog } from '../../local/pipeline/runs';
import { EMULATOR_ACCESS_KEY_ID } from '../../local/settings';
import { startTwin, type Twin } from '../../local/twin';
import { send } from './support/http';
import { signedS3Headers } from './support/s3-signing';
import {
  photoJpeg,
  postToPresignedUrl,
  presign,
  requestJson,
  tokenFor,
  twinS3Client,
  upload,
  waitForTerminal,
} from './support/twin-client';

/**
 * The REST API is served by two functions, articles and media (routes.ts says which serves
 * which). Through the twin, over real HTTP: each route reaches its own function's handler with
 * that function's Lambda context, and the two work together on the shared media table (a cover
 * must be media its author uploaded through the media function).
 */

describe("the twin's front door", () => {
  type Call = { fn: string; route: string; functionName: string };
  let server: ApiServer;
  let calls: Call[];
  const tokens = new LocalTokenIssuer('api-functions-test');

  const recording =
    (fn: string) =>
    async (event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> => {
      calls.push({ fn, route: `${event.httpMethod} ${event.resource}`, functionName: context.functionName });
      return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: '{}' };
    };

  beforeAll(async () => {
    server = await startApiServer({
      port: 0,
      tokens,
      apiHandlers: { articles: recording('articles'), media: recording('media') },
      runLog: new RunLog(),
      health: async () => ({ ready: true }),
      allowedOrigins: [],
      accountId: '000000000000',
      region: 'eu-west-1',
    });
  });

  beforeEach(() => {
    calls = [];
  });

  afterAll(async () => {
    await server?.close();
  });

  it.each(routes.map((route) => [route.method, route.resource, route.fn] as const))(
    'sends %s %s to the %s function with its own Lambda context',
    async (method, resource, fn) => {
      // Arrange
      const path = resource.replace('{id}', 'abc');
      const headers: Record<string, string> = {
        authorization: `Bearer ${tokens.issue('alice')}`,
        'content-type': 'application/json',
      };

      // Act
      const response = await send(`${server.url}${path}`, {
        method,
        headers,
        ...(method === 'GET' || method === 'DELETE' ? {} : { body: '{}' }),
      });

      // Assert
      expect(response.status).toBe(200);
      expect(calls).toEqual([{ fn, route: `${method} ${resource}`, functionName: `travel-guide-local-${fn}` }]);
    },
  );
});

describe('the two API functions in the twin', () => {
  // A small daily upload quota, so the 429 can be shown in a few requests: tests that upload do so
  // as authors of their own (alice uploads twice in all, the whole of her quota).
  const DAILY_UPLOAD_QUOTA = 2;
  let twin: Twin;
  let alice: string;
  let bob: string;

  beforeAll(async () => {
    twin = await startTwin({ dailyUploadQuota: DAILY_UPLOAD_QUOTA });
    [alice, bob] = await Promise.all([tokenFor(twin, 'alice'), tokenFor(twin, 'bob')]);
  }, 60_000);

  afterAll(async () => {
    await twin?.stop();
  });

  it('loads a handler on its first invocation, as a cold start, and reports it warm in the health check', async () => {
    const health = async (): Promise<Record<string, string>> =>
      (await requestJson<{ functions: Record<string, string> }>(twin, 'GET', '/_local/health')).body.functions;
    // Arrange: no article route has been called in this twin yet.
    expect(await health()).toMatchObject({ articles: 'cold', media: 'cold' });

    // Act
    const listed = await requestJson(twin, 'GET', '/articles?limit=1');

    // Assert
    expect(listed.status).toBe(200);
    expect(await health()).toMatchObject({ articles: 'warm', media: 'cold' });
  });

  it('lets an author use media she uploaded through the media function as an article cover', async () => {
    // Arrange: a PENDING record written by the media function.
    const ticket = await presign(twin, alice, 'image/jpeg', 1000);

    // Act: read by the articles function.
    const created = await requestJson<{ coverMediaId?: string }>(twin, 'POST', '/articles', {
      token: alice,
      body: { title: 'Porto', body: 'Bridges.', coverMediaId: ticket.mediaId },
    });

    // Assert
    expect(created.status).toBe(201);
    expect(created.body.coverMediaId).toBe(ticket.mediaId);
  });

  it("refuses another author's media as a cover", async () => {
    // Arrange
    const ticket = await presign(twin, alice, 'image/png', 1000);

    // Act
    const created = await requestJson(twin, 'POST', '/articles', {
      token: bob,
      body: { title: 'Porto', body: 'Bridges.', coverMediaId: ticket.mediaId },
    });

    // Assert
    expect(created.status).toBe(400);
    expect(created.body).toEqual({
      error: { code: 'VALIDATION_ERROR', message: 'coverMediaId: must name media uploaded by you' },
    });
  });

  it('shows the media record the media function wrote', async () => {
    // Arrange
    const ticket = await presign(twin, bob, 'image/webp', 10);

    // Act
    const view = await requestJson<{ mediaId: string; status: string }>(twin, 'GET', `/media/${ticket.mediaId}`);

    // Assert
    expect(view.status).toBe(200);
    expect(view.body).toMatchObject({ mediaId: ticket.mediaId, status: 'PENDING' });
  });

  it('refuses the upload after the daily quota with 429, the error shape and Retry-After', async () => {
    // Arrange
    const token = await tokenFor(twin, 'frequent-uploader');
    const ask = () =>
      requestJson(twin, 'POST', '/media/uploads', { token, body: { contentType: 'image/jpeg', contentLength: 1000 } });

    // Act
    const statuses = [(await ask()).status, (await ask()).status];
    const refused = await ask();

    // Assert: the next UTC midnight after the refusal (taken after it, so a run across midnight cannot flake).
    const nextMidnight = new Date((Math.floor(Date.now() / 86_400_000) + 1) * 86_400_000);
    const secondsToMidnight = (nextMidnight.getTime() - Date.now()) / 1000;
    expect([...statuses, refused.status]).toEqual([201, 201, 429]);
    expect(refused.body).toEqual({
      error: {
        code: 'UPLOAD_QUOTA_EXCEEDED',
        message: `Daily upload quota reached: at most ${DAILY_UPLOAD_QUOTA} uploads per day; it resets at ${nextMidnight.toISOString()}`,
      },
    });
    expect(Math.abs(Number(refused.headers['retry-after']) - secondsToMidnight)).toBeLessThan(5);
  });

  it("leaves other authors' quotas alone when one is used up", async () => {
    // Arrange
    const heavy = await tokenFor(twin, 'quota-heavy');
    await presign(twin, heavy, 'image/jpeg', 10);
    await presign(twin, heavy, 'image/jpeg', 10);
    const heavyAgain = await requestJson(twin, 'POST', '/media/uploads', {
      token: heavy,
      body: { contentType: 'image/jpeg', contentLength: 10 },
    });
    expect(heavyAgain.status).toBe(429);

    // Act
    const other = await requestJson(twin, 'POST', '/media/uploads', {
      token: await tokenFor(twin, 'quota-light'),
      body: { contentType: 'image/png', contentLength: 10 },
    });

    // Assert
    expect(other.status).toBe(201);
  });

  it('answers unknown media in the contract error shape', async () => {
    const view = await requestJson(twin, 'GET', '/media/no-such-media');

    expect(view.status).toBe(404);
    expect(view.body).toEqual({ error: { code: 'NOT_FOUND', message: 'Media not found' } });
  });

  it("addresses the presigned POST path-style to the S3 emulator, as the twin's endpoint asks", async () => {
    const ticket = await presign(twin, await tokenFor(twin, 'path-style-author'), 'image/jpeg', 1000);

    expect(ticket.url).toBe(`${twin.s3Endpoint}/${twin.bucketName}`);
    expect(ticket.fields).toMatchObject({
      key: expect.stringMatching(new RegExp(`^uploads/[^/]+/${ticket.mediaId}$`)),
      bucket: twin.bucketName,
    });
  });

  it('stores a photo POSTed with the presigned form under the pinned key and Content-Type', async () => {
    // Arrange
    const bytes = await photoJpeg(64, 48);
    const ticket = await presign(twin, await tokenFor(twin, 'form-author'), 'image/jpeg', bytes.length);

    // Act
    const status = await postToPresignedUrl(ticket, bytes, 'image/jpeg');

    // Assert: read back with a signed request (the emulator, like S3, refuses anonymous reads).
    const objectUrl = `${twin.s3Endpoint}/${twin.bucketName}/${ticket.fields.key ?? ''}`;
    const stored = await send(objectUrl, { headers: await signedS3Headers(objectUrl, { region: twin.region }) });
    expect(status).toBe(204);
    expect(stored.status).toBe(200);
    expect(stored.headers['content-type']).toBe('image/jpeg');
    expect(stored.body.equals(bytes)).toBe(true);
  });

  it('serves every rendition of an uploaded photo through its signed GET URL', async () => {
    // Arrange
    const mediaId = await upload(twin, await tokenFor(twin, 'rendition-author'), await photoJpeg(1600, 1200));
    const view = await waitForTerminal(twin, mediaId);

    // Act
    const renditions = view.renditions ?? [];
    const responses = await Promise.all(renditions.map((rendition) => send(rendition.url)));

    // Assert
    expect(view.status).toBe('READY');
    expect(renditions.length).toBeGreaterThan(0);
    for (const [index, rendition] of renditions.entries()) {
      const response = responses[index];
      expect(response?.status).toBe(200);
      const metadata = await sharp(response?.body).metadata();
      expect({
        width: metadata.width,
        height: metadata.height,
        format: metadata.format,
        bytes: response?.body.length,
      }).toEqual({
        width: rendition.width,
        height: rendition.height,
        format: rendition.format,
        bytes: rendition.bytes,
      });
    }
  }, 30_000);

  /** The media function's signatures checked by the twin's S3 as S3 checks them (SigV4, recomputed). */
  describe('what the S3 emulator checks of what the media function signs', () => {
    let key: string;
    let uploader: string;

    function emulatorSigner(): S3DownloadSigner {
      return new S3DownloadSigner({ s3: twinS3Client(twin), bucket: twin.bucketName });
    }

    beforeAll(async () => {
      uploader = await tokenFor(twin, 'signature-author');
      const bytes = await photoJpeg(32, 32);
      const ticket = await presign(twin, uploader, 'image/jpeg', bytes.length);
      if ((await postToPresignedUrl(ticket, bytes, 'image/jpeg')) !== 204) throw new Error('upload failed');
      key = ticket.fields.key ?? '';
    }, 30_000);

    it('serves an object through a URL the media signer signed for it', async () => {
      const response = await send(await emulatorSigner().signDownload(key, 60));

      expect(response.status).toBe(200);
    });

    it('refuses a signed GET URL once it has expired', async () => {
      // Presigned as the media signer presigns, ten minutes ago, for 60 s.
      const url = await getSignedUrl(twinS3Client(twin), new GetObjectCommand({ Bucket: twin.bucketName, Key: key }), {
        expiresIn: 60,
        signingDate: new Date(Date.now() - 600_000),
      });

      const response = await send(url);

      expect(response.status).toBe(403);
      expect(response.body.toString('utf8')).toContain('Request has expired');
    });

    it('refuses a signed GET URL for an access key it does not know', async () => {
      const url = new URL(await emulatorSigner().signDownload(key, 60));
      url.searchParams.set(
        'X-Amz-Credential',
        url.searchParams.get('X-Amz-Credential')?.replace(EMULATOR_ACCESS_KEY_ID, 'AKIAUNKNOWN') ?? '',
      );

      const response = await send(url.toString());

      expect(response.status).toBe(403);
      expect(response.body.toString('utf8')).toContain('InvalidAccessKeyId');
    });

    it('refuses a signed GET URL whose signature was changed', async () => {
      const url = new URL(await emulatorSigner().signDownload(key, 60));
      url.searchParams.set('X-Amz-Signature', '0'.repeat(64));

      const response = await send(url.toString());

      expect(response.status).toBe(403);
      expect(response.body.toString('utf8')).toContain('<Code>SignatureDoesNotMatch</Code>');
    });

    it('enforces the POST policy: a body larger than the declared size is refused with EntityTooLarge', async () => {
      const bytes = await photoJpeg(48, 48);
      const ticket = await presign(twin, uploader, 'image/jpeg', 10);

      const status = await postToPresignedUrl(ticket, bytes, 'image/jpeg');

      expect(bytes.length).toBeGreaterThan(10);
      expect(status).toBe(400);
    });
  });
});
