import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { EMULATOR_ACCESS_KEY_ID, EMULATOR_SECRET_ACCESS_KEY } from '../../local/settings';
import { startTwin, type Twin } from '../../local/twin';
import { encodeForm, send, type HttpResponse } from './support/http';
import { signedS3Headers } from './support/s3-signing';
import {
  photoJpeg,
  presign,
  tokenFor,
  twinS3Client,
  upload,
  waitForTerminal,
  type UploadTicket,
} from './support/twin-client';

/**
 * The twin's S3 authenticates like S3: SigV4 on every request (header or query), and for browser
 * forms the signature over the policy and the policy itself. Each way of misusing an upload form
 * that a hostile pass found accepted is refused here, with S3's status, error code and XML shape,
 * and nothing is stored.
 */

let twin: Twin;
let s3: S3Client;
let alice: string;
let bob: string;
let photo: Buffer;

beforeAll(async () => {
  twin = await startTwin();
  s3 = twinS3Client(twin);
  [alice, bob, photo] = await Promise.all([tokenFor(twin, 'alice'), tokenFor(twin, 'bob'), photoJpeg(64, 48)]);
}, 60_000);

afterAll(async () => {
  s3?.destroy();
  await twin?.stop();
});

/** A multipart form POST as a browser sends it: the fields in order, the file last. */
async function postForm(
  url: string,
  fields: Record<string, string>,
  bytes: Buffer,
  fileType = 'image/jpeg',
): Promise<HttpResponse> {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  form.append('file', new Blob([new Uint8Array(bytes)], { type: fileType }), 'upload');
  const { body, contentType } = await encodeForm(form);
  return send(url, { method: 'POST', headers: { 'content-type': contentType }, body });
}

function s3Error(response: HttpResponse): { code: string; message: string } {
  const text = response.body.toString('utf8');
  expect(text).toMatch(
    /^<\?xml version="1\.0" encoding="UTF-8"\?><Error><Code>\w+<\/Code><Message>[^<]*<\/Message>.*<RequestId>[0-9A-F]{16}<\/RequestId><\/Error>$/,
  );
  return {
    code: /<Code>(\w+)<\/Code>/.exec(text)?.[1] ?? '',
    message: /<Message>([^<]*)<\/Message>/.exec(text)?.[1] ?? '',
  };
}

async function exists(key: string): Promise<boolean> {
  try {
    await s3.send(new HeadObjectCommand({ Bucket: twin.bucketName, Key: key }));
    return true;
  } catch (error: unknown) {
    if ((error as { name?: string }).name === 'NotFound') return false;
    throw error;
  }
}

async function ticketFor(token: string, contentLength = photo.length): Promise<UploadTicket> {
  return presign(twin, token, 'image/jpeg', contentLength);
}

describe('browser-form uploads (presigned POST)', () => {
  it('stores an upload that keeps to its form, and the pipeline makes it READY', async () => {
    const mediaId = await upload(twin, alice, photo);

    expect((await waitForTerminal(twin, mediaId)).status).toBe('READY');
  });

  it('refuses a file larger than the declared length with 400 EntityTooLarge', async () => {
    const ticket = await ticketFor(alice, 100);

    const response = await postForm(ticket.url, ticket.fields, photo);

    expect(response.status).toBe(400);
    expect(s3Error(response)).toEqual({
      code: 'EntityTooLarge',
      message: 'Your proposed upload exceeds the maximum allowed size',
    });
    expect(await exists(ticket.fields.key ?? '')).toBe(false);
  });

  it('refuses another Content-Type than the form pins with 403 AccessDenied', async () => {
    const ticket = await ticketFor(alice);

    const response = await postForm(ticket.url, { ...ticket.fields, 'Content-Type': 'text/html' }, photo, 'text/html');

    expect(response.status).toBe(403);
    expect(s3Error(response)).toEqual({
      code: 'AccessDenied',
      message: expect.stringContaining('Policy Condition failed: ["eq", "$Content-Type", "image/jpeg"]'),
    });
  });

  it("refuses Alice's form aimed at Bob's pending upload, which stays untouched", async () => {
    const alicesTicket = await ticketFor(alice);
    const bobsTicket = await ticketFor(bob);

    const response = await postForm(
      alicesTicket.url,
      { ...alicesTicket.fields, key: bobsTicket.fields.key ?? '' },
      photo,
    );

    expect(response.status).toBe(403);
    expect(s3Error(response).code).toBe('AccessDenied');
    expect(await exists(bobsTicket.fields.key ?? '')).toBe(false);
  });

  it("refuses a form re-aimed at another media's rendition with text/html, and the rendition is unchanged", async () => {
    // Arrange: Bob's READY media and its large rendition
    const bobsMedia = await upload(twin, bob, photo);
    await waitForTerminal(twin, bobsMedia);
    const listed = await s3.send(
      new ListObjectsV2Command({ Bucket: twin.bucketName, Prefix: `derived/${bobsMedia}/` }),
    );
    const renditionKey =
      listed.Contents?.map((object) => object.Key ?? '').find((key) => key.endsWith('/large.webp')) ?? '';
    const before = await s3.send(new GetObjectCommand({ Bucket: twin.bucketName, Key: renditionKey }));
    const ticket = await ticketFor(alice);

    expect(renditionKey).toMatch(/^derived\/.+\/large\.webp$/);

    // Act
    const response = await postForm(
      ticket.url,
      { ...ticket.fields, key: renditionKey, 'Content-Type': 'text/html' },
      Buffer.from('<script>alert(1)</script>'),
      'text/html',
    );

    // Assert
    const after = await s3.send(new GetObjectCommand({ Bucket: twin.bucketName, Key: renditionKey }));
    expect(response.status).toBe(403);
    expect(s3Error(response).code).toBe('AccessDenied');
    expect(after.ContentType).toBe('image/webp');
    expect(after.ETag).toBe(before.ETag);
  });

  it('refuses a form whose policy has expired', async () => {
    // Signed as the media function signs, two hours ago, valid for five minutes
    const key = 'uploads/alice/expired-form';
    const { fields } = await createPresignedPost(
      new S3Client({
        region: twin.region,
        endpoint: twin.s3Endpoint,
        forcePathStyle: true,
        credentials: { accessKeyId: EMULATOR_ACCESS_KEY_ID, secretAccessKey: EMULATOR_SECRET_ACCESS_KEY },
        // The presigner signs at the client's clock.
        systemClockOffset: -7_200_000,
      }),
      {
        Bucket: twin.bucketName,
        Key: key,
        Conditions: [
          ['eq', '$key', key],
          ['eq', '$Content-Type', 'image/jpeg'],
          ['content-length-range', 1, photo.length],
        ],
        Fields: { 'Content-Type': 'image/jpeg' },
        Expires: 300,
      },
    );

    const response = await postForm(`${twin.s3Endpoint}/${twin.bucketName}`, fields, photo);

    expect(response.status).toBe(403);
    expect(s3Error(response)).toEqual({
      code: 'AccessDenied',
      message: 'Invalid according to Policy: Policy expired.',
    });
    expect(await exists(key)).toBe(false);
  });

  it('refuses a form with no policy or signature at all (an anonymous write)', async () => {
    const response = await postForm(
      `${twin.s3Endpoint}/${twin.bucketName}`,
      { key: 'uploads/alice/anonymous', 'Content-Type': 'image/jpeg' },
      photo,
    );

    expect(response.status).toBe(403);
    expect(s3Error(response)).toEqual({ code: 'AccessDenied', message: 'Access Denied' });
    expect(await exists('uploads/alice/anonymous')).toBe(false);
  });

  it('refuses a form whose policy was changed after signing with SignatureDoesNotMatch', async () => {
    const ticket = await ticketFor(alice, 100);
    const policy = JSON.parse(Buffer.from(ticket.fields.Policy ?? '', 'base64').toString('utf8')) as {
      conditions: unknown[];
    };
    policy.conditions = policy.conditions.map((condition) =>
      Array.isArray(condition) && condition[0] === 'content-length-range'
        ? ['content-length-range', 1, 10_000_000]
        : condition,
    );

    const response = await postForm(
      ticket.url,
      { ...ticket.fields, Policy: Buffer.from(JSON.stringify(policy)).toString('base64') },
      photo,
    );

    expect(response.status).toBe(403);
    expect(s3Error(response).code).toBe('SignatureDoesNotMatch');
  });

  it('refuses a form with a field its policy does not name', async () => {
    const ticket = await ticketFor(alice);

    const response = await postForm(ticket.url, { ...ticket.fields, 'x-amz-meta-owner': 'bob' }, photo);

    expect(response.status).toBe(403);
    expect(s3Error(response)).toEqual({
      code: 'AccessDenied',
      message: 'Invalid according to Policy: Extra input fields: x-amz-meta-owner',
    });
  });
});

describe('requests outside forms', () => {
  const objectUrl = () => `${twin.s3Endpoint}/${twin.bucketName}/uploads/alice/put-${Date.now()}`;

  it('refuses an unsigned PUT with 403 AccessDenied', async () => {
    const url = objectUrl();

    const response = await send(url, { method: 'PUT', headers: { 'content-type': 'image/jpeg' }, body: photo });

    expect(response.status).toBe(403);
    expect(s3Error(response)).toEqual({ code: 'AccessDenied', message: 'Access Denied' });
  });

  it('refuses an unsigned GET with 403 AccessDenied (the bucket is private)', async () => {
    const response = await send(`${twin.s3Endpoint}/${twin.bucketName}/uploads/alice/anything`);

    expect(response.status).toBe(403);
    expect(s3Error(response).code).toBe('AccessDenied');
  });

  it('refuses a header-signed PUT signed with the wrong secret with SignatureDoesNotMatch', async () => {
    const url = objectUrl();
    const headers = await signedS3Headers(url, {
      method: 'PUT',
      body: photo,
      region: twin.region,
      credentials: { accessKeyId: EMULATOR_ACCESS_KEY_ID, secretAccessKey: 'not-the-secret' },
    });

    const response = await send(url, { method: 'PUT', headers, body: photo });

    expect(response.status).toBe(403);
    expect(s3Error(response).code).toBe('SignatureDoesNotMatch');
  });

  it('refuses an access key it does not know with InvalidAccessKeyId', async () => {
    const url = objectUrl();
    const headers = await signedS3Headers(url, {
      region: twin.region,
      credentials: { accessKeyId: 'AKIAUNKNOWN', secretAccessKey: 'x' },
    });

    const response = await send(url, { headers });

    expect(response.status).toBe(403);
    expect(s3Error(response).code).toBe('InvalidAccessKeyId');
  });

  it("accepts the SDK signing with the twin's own credentials (S3RVER), header-signed, as the README's AWS CLI session does", async () => {
    const key = `uploads/alice/sdk-${Date.now()}`;

    await s3.send(new PutObjectCommand({ Bucket: twin.bucketName, Key: key, Body: photo, ContentType: 'image/jpeg' }));
    const read = await s3.send(new GetObjectCommand({ Bucket: twin.bucketName, Key: key }));

    expect(Buffer.from((await read.Body?.transformToByteArray()) ?? []).equals(photo)).toBe(true);
  });

  it("accepts the SDK's presigned PUT and GET URLs (query-signed) and refuses them once changed", async () => {
    const key = `uploads/alice/presigned-${Date.now()}`;
    const putUrl = await getSignedUrl(s3, new PutObjectCommand({ Bucket: twin.bucketName, Key: key }), {
      expiresIn: 60,
    });
    const getUrl = await getSignedUrl(s3, new GetObjectCommand({ Bucket: twin.bucketName, Key: key }), {
      expiresIn: 60,
    });

    const put = await send(putUrl, { method: 'PUT', body: photo });
    const got = await send(getUrl);
    const otherKey = await send(getUrl.replace(key, `${key}-other`));

    expect(put.status).toBe(200);
    expect(got.status).toBe(200);
    expect(got.body.equals(photo)).toBe(true);
    expect(otherKey.status).toBe(403);
    expect(s3Error(otherKey).code).toBe('SignatureDoesNotMatch');
  });

  it('refuses a signature scoped to another region with AuthorizationHeaderMalformed', async () => {
    const other = new S3Client({
      region: 'us-east-1',
      endpoint: twin.s3Endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: EMULATOR_ACCESS_KEY_ID, secretAccessKey: EMULATOR_SECRET_ACCESS_KEY },
    });

    const result = other.send(new HeadObjectCommand({ Bucket: twin.bucketName, Key: 'uploads/alice/none' }));

    await expect(result).rejects.toMatchObject({ $metadata: { httpStatusCode: 400 } });
    other.destroy();
  });
});
