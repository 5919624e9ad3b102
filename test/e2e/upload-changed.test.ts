import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { UploadRef } from '../../functions/shared/media';
import { createHandler } from '../../functions/thumbnail/handler';
import { startS3Emulator, type S3Emulator } from '../../local/emulators/s3';
import { SequencerClock, toObjectCreatedEvent, type ObjectCreatedEvent } from '../../local/events/object-created';
import {
  DEFAULT_REGION,
  EMULATOR_ACCESS_KEY_ID,
  EMULATOR_SECRET_ACCESS_KEY,
  LOCAL_ACCOUNT_ID,
} from '../../local/settings';
import type { RunRecord } from '../../local/pipeline/runs';
import { startTwin, type Twin } from '../../local/twin';
import { jpegWithOrientationAndGps, webp } from '../fixtures/images';
import { send } from './support/http';
import { signedS3Headers } from './support/s3-signing';
import { photoJpeg, postToPresignedUrl, presign, tokenFor, waitForTerminal } from './support/twin-client';

/*
 * The thumbnail step reads only the object version its event describes: GetObject with If-Match
 * on the event's ETag, which S3 answers 412 once the key holds other bytes. Checked over real HTTP
 * with the real SDK against the twin's S3 emulator (local/emulators/s3.ts, which adds S3's If-Match
 * check to s3rver 3.7.1), with events converted by the twin's own code, so the ETag is in exactly
 * the form the pipeline receives; and once through the whole twin.
 */

const BUCKET = 'media-bucket';
const MEDIA_ID = '01JDX3ZK2Q4V5W6X7Y8Z9A0B1C';
const KEY = `uploads/alice/${MEDIA_ID}`;
/** An ETag no object here has. */
const OTHER_ETAG = '"00000000000000000000000000000000"';

let directory: string;
let emulator: S3Emulator;
let s3: S3Client;
const events: ObjectCreatedEvent[] = [];
const clock = new SequencerClock();

/** The S3 client the handlers use (functions/shared/s3-client.ts), pointed at the emulator. */
function clientFor(endpoint: string): S3Client {
  return new S3Client({
    endpoint,
    region: DEFAULT_REGION,
    forcePathStyle: true,
    credentials: { accessKeyId: EMULATOR_ACCESS_KEY_ID, secretAccessKey: EMULATOR_SECRET_ACCESS_KEY },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/** What DescribeUpload (statemachines/media-pipeline.asl.json) takes from the event. */
function uploadRefOf(event: ObjectCreatedEvent): UploadRef {
  const { bucket, object } = event.detail;
  return { bucket: bucket.name, key: object.key, size: object.size, etag: object.etag, sequencer: object.sequencer };
}

/**
 * Uploads with a presigned POST, the way clients do, and returns the event the upload caused. A
 * presigned POST stays usable until it expires, so the same `post` can be sent twice.
 */
async function upload(
  post: { url: string; fields: Record<string, string> },
  bytes: Buffer,
  contentType: string,
): Promise<UploadRef> {
  const before = events.length;
  const status = await postToPresignedUrl({ mediaId: MEDIA_ID, ...post }, bytes, contentType);
  if (status !== 204) throw new Error(`upload answered ${status}`);
  const event = events[before];
  if (event === undefined) throw new Error('the upload caused no Object Created event');
  return uploadRefOf(event);
}

function presignedPost(contentType: string): Promise<{ url: string; fields: Record<string, string> }> {
  return createPresignedPost(s3, { Bucket: BUCKET, Key: KEY, Fields: { 'Content-Type': contentType }, Expires: 300 });
}

async function uploadJpeg(): Promise<{ bytes: Buffer; uploaded: UploadRef }> {
  const bytes = await jpegWithOrientationAndGps();
  return { bytes, uploaded: await upload(await presignedPost('image/jpeg'), bytes, 'image/jpeg') };
}

async function bodyOf(response: { Body?: { transformToByteArray(): Promise<Uint8Array> } }): Promise<Buffer> {
  return Buffer.from((await response.Body?.transformToByteArray()) ?? []);
}

async function derivedKeys(): Promise<string[]> {
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `derived/${MEDIA_ID}/` }));
  return (listed.Contents ?? []).map((object) => object.Key ?? '');
}

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'upload-changed-'));
  emulator = await startS3Emulator({
    port: 0,
    directory,
    bucket: BUCKET,
    onRecord: (record, request) => {
      const event = toObjectCreatedEvent(record, {
        region: DEFAULT_REGION,
        account: LOCAL_ACCOUNT_ID,
        sequencer: clock.next(),
        request,
      });
      if (event !== undefined) events.push(event);
    },
  });
  s3 = clientFor(emulator.endpoint);
});

afterAll(async () => {
  s3?.destroy();
  await emulator?.close();
  if (directory !== undefined) await rm(directory, { recursive: true, force: true });
});

beforeEach(async () => {
  const stale = [KEY, ...(await derivedKeys())];
  await Promise.all(stale.map((key) => s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key }))));
});

describe("the twin's S3 emulator", () => {
  it('puts the ETag in its events bare, as S3 does, and serves it quoted', async () => {
    // Arrange
    const { uploaded } = await uploadJpeg();

    // Act
    const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: KEY }));

    // Assert
    expect(uploaded.etag).toMatch(/^[0-9a-f]{32}$/);
    expect(head.ETag).toBe(`"${uploaded.etag}"`);
  });

  it('serves a GET without If-Match as s3rver does: 200 with the current bytes', async () => {
    // Arrange
    const { bytes } = await uploadJpeg();

    // Act
    const response = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: KEY }));

    // Assert
    expect(response.$metadata.httpStatusCode).toBe(200);
    expect((await bodyOf(response)).equals(bytes)).toBe(true);
  });
});

describe("the twin's S3 emulator and If-Match", () => {
  it('serves the object when If-Match names its ETag bare, as the event carries it', async () => {
    // Arrange
    const { bytes, uploaded } = await uploadJpeg();

    // Act
    const response = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: KEY, IfMatch: uploaded.etag }));

    // Assert
    expect(response.$metadata.httpStatusCode).toBe(200);
    expect((await bodyOf(response)).equals(bytes)).toBe(true);
  });

  it('serves the object when If-Match names its ETag quoted, as RFC 7232 writes it', async () => {
    // Arrange
    const { bytes, uploaded } = await uploadJpeg();

    // Act
    const response = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: KEY, IfMatch: `"${uploaded.etag}"` }));

    // Assert
    expect(response.$metadata.httpStatusCode).toBe(200);
    expect((await bodyOf(response)).equals(bytes)).toBe(true);
  });

  it('answers a GET whose If-Match names another ETag with 412, which the SDK reports as PreconditionFailed', async () => {
    // Arrange
    await uploadJpeg();

    // Act
    const read = s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: KEY, IfMatch: OTHER_ETAG }));

    // Assert
    await expect(read).rejects.toMatchObject({ name: 'PreconditionFailed', $metadata: { httpStatusCode: 412 } });
  });

  it("answers a failed If-Match with S3's XML error document", async () => {
    // Arrange
    await uploadJpeg();

    // Act: a raw signed request, so the raw answer is what comes back
    const url = `${emulator.endpoint}/${BUCKET}/${KEY}`;
    const response = await send(url, { headers: await signedS3Headers(url, { headers: { 'if-match': OTHER_ETAG } }) });

    // Assert
    expect(response.status).toBe(412);
    expect(response.headers['content-type']).toBe('application/xml');
    expect(response.body.toString('utf8')).toMatch(
      /^<\?xml version="1\.0" encoding="UTF-8"\?><Error><Code>PreconditionFailed<\/Code><Message>At least one of the pre-conditions you specified did not hold<\/Message><Condition>If-Match<\/Condition><RequestId>[0-9A-F]{16}<\/RequestId><\/Error>$/,
    );
  });

  it('serves any existing object for If-Match: *', async () => {
    // Arrange
    const { bytes } = await uploadJpeg();

    // Act
    const response = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: KEY, IfMatch: '*' }));

    // Assert
    expect((await bodyOf(response)).equals(bytes)).toBe(true);
  });

  it('serves the object when any entry of an If-Match list names its ETag', async () => {
    // Arrange
    const { bytes, uploaded } = await uploadJpeg();

    // Act
    const response = await s3.send(
      new GetObjectCommand({ Bucket: BUCKET, Key: KEY, IfMatch: `${OTHER_ETAG}, "${uploaded.etag}"` }),
    );

    // Assert
    expect((await bodyOf(response)).equals(bytes)).toBe(true);
  });

  it('answers NoSuchKey, not 412, for a key that does not exist', async () => {
    // Arrange: beforeEach deleted the key

    // Act
    const read = s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: KEY, IfMatch: OTHER_ETAG }));

    // Assert
    await expect(read).rejects.toMatchObject({ name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } });
  });

  it('answers a HEAD whose If-Match names another ETag with 412', async () => {
    // Arrange
    await uploadJpeg();

    // Act
    const head = s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: KEY, IfMatch: OTHER_ETAG }));

    // Assert
    await expect(head).rejects.toMatchObject({ $metadata: { httpStatusCode: 412 } });
  });

  it('answers a HEAD whose If-Match names the current ETag with the object metadata', async () => {
    // Arrange
    const { bytes, uploaded } = await uploadJpeg();

    // Act
    const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: KEY, IfMatch: `"${uploaded.etag}"` }));

    // Assert
    expect(head.ContentLength).toBe(bytes.length);
  });

  it('checks If-Match on a virtual-hosted-style request too, the other addressing s3rver accepts', async () => {
    // Arrange
    await uploadJpeg();

    // Act
    const url = `${emulator.endpoint}/${KEY}`;
    const headers = await signedS3Headers(url, {
      headers: { host: `${BUCKET}.s3.amazonaws.com`, 'if-match': OTHER_ETAG },
    });
    const response = await send(url, { headers });

    // Assert
    expect(response.status).toBe(412);
  });
});

describe('the thumbnail step reading an upload from the emulator', () => {
  it('renders an upload that is still the object its event describes', async () => {
    // Arrange
    const { uploaded } = await uploadJpeg();

    // Act
    const result = await createHandler({ s3 })({ upload: uploaded });

    // Assert
    expect(result.original).toMatchObject({ bytes: uploaded.size, contentType: 'image/jpeg', width: 300, height: 400 });
    expect(await derivedKeys()).toHaveLength(5);
  });

  it('fails with UploadChangedError, rendering nothing, when the same presigned POST replaced the upload after its event', async () => {
    // Arrange: the first upload's event is delivered late, after a second POST with the same form
    const post = await presignedPost('image/webp');
    const first = await upload(post, await webp(), 'image/webp');
    const second = await upload(post, await jpegWithOrientationAndGps(), 'image/webp');

    // Act
    const result = createHandler({ s3 })({ upload: first });

    // Assert
    expect(second.etag).not.toBe(first.etag);
    await expect(result).rejects.toMatchObject({ name: 'UploadChangedError', code: 'UPLOAD_CHANGED' });
    expect(await derivedKeys()).toEqual([]);
  });

  it("renders the replacement for the replacement's own event", async () => {
    // Arrange
    const post = await presignedPost('image/webp');
    await upload(post, await webp(), 'image/webp');
    const second = await upload(post, await jpegWithOrientationAndGps(), 'image/webp');

    // Act
    const result = await createHandler({ s3 })({ upload: second });

    // Assert: the JPEG, not the WebP the first event described
    expect(result.original).toMatchObject({ contentType: 'image/jpeg', width: 300, height: 400 });
  });

  it('fails with UploadMissingError when the upload was deleted after its event', async () => {
    // Arrange
    const { uploaded } = await uploadJpeg();
    await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: KEY }));

    // Act
    const result = createHandler({ s3 })({ upload: uploaded });

    // Assert
    await expect(result).rejects.toMatchObject({ name: 'UploadMissingError', code: 'UPLOAD_MISSING' });
  });
});

describe('the whole twin, when an upload is replaced between its event and the thumbnail read', () => {
  /**
   * How long CreateThumbnails waits before its retry. The race is staged with it: a transient
   * fault makes the first run's first CreateThumbnails attempt fail at once, the replacement is
   * uploaded during the wait, and the retry then reads the key with the first event's ETag.
   */
  const RETRY_WAIT_MS = 1000;
  let twin: Twin;
  let mediaId: string;
  let view: Awaited<ReturnType<typeof waitForTerminal>>;
  let runs: RunRecord[];

  async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 20_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  beforeAll(async () => {
    twin = await startTwin({ retryIntervalOverrides: { CreateThumbnails: RETRY_WAIT_MS } });
    const token = await tokenFor(twin, 'alice');
    const original = await photoJpeg(640, 480);
    const replacement = await photoJpeg(480, 640);
    const ticket = await presign(twin, token, 'image/jpeg', Math.max(original.length, replacement.length));
    mediaId = ticket.mediaId;
    const runsOfMedia = (): RunRecord[] => twin.runs.recent().filter((run) => run.mediaId === mediaId);
    twin.injectFault('CreateThumbnails', { name: 'Lambda.ServiceException', message: 'Injected transient fault' });

    expect(await postToPresignedUrl(ticket, original, 'image/jpeg')).toBe(204);
    // The fault is thrown as the step starts: from here the first run waits RETRY_WAIT_MS.
    await until('the first run to reach CreateThumbnails', () =>
      runsOfMedia()[0]?.steps.find((step) => step.name === 'CreateThumbnails'),
    );
    expect(await postToPresignedUrl(ticket, replacement, 'image/jpeg')).toBe(204);

    runs = await until('both runs to end', () => {
      const all = runsOfMedia();
      return all.length === 2 && all.every((run) => run.outcome !== 'RUNNING') ? [...all].reverse() : undefined;
    });
    view = await waitForTerminal(twin, mediaId);
  }, 60_000);

  afterAll(async () => {
    await twin?.stop();
  });

  it('marks the media FAILED with UPLOAD_CHANGED', () => {
    expect(view).toMatchObject({ status: 'FAILED', error: { code: 'UPLOAD_CHANGED' } });
  });

  it("ends the first upload's run FAILED on UploadChangedError after the retried read", () => {
    const [first] = runs;

    expect(first?.outcome).toBe('FAILED');
    expect(first?.failure?.error).toBe('UploadChangedError');
    expect(first?.steps.find((step) => step.name === 'CreateThumbnails')).toMatchObject({
      attempts: 2,
      status: 'CAUGHT',
    });
  });

  it("does no work for the replacement's event: one ticket, one processing run", () => {
    const [, second] = runs;

    expect(second?.outcome).toBe('DUPLICATE');
  });
});
