import { GetObjectCommand, HeadObjectCommand, NotFound, type S3Client } from '@aws-sdk/client-s3';
import type { RunRecord } from '../../local/pipeline/runs';
import { startTwin, type Twin } from '../../local/twin';
import { textFile } from '../fixtures/images';
import { send } from './support/http';
import {
  photoJpeg,
  postToPresignedUrl,
  presign,
  requestJson,
  tokenFor,
  twinS3Client,
  waitForTerminal,
  type MediaView,
  type UploadTicket,
} from './support/twin-client';

/*
 * An upload form stays valid until it expires, so it can be posted again after its media's run
 * claimed the ticket. In a versioned bucket (the stack's default; the twin started with
 * bucketVersioning) that run deletes exactly the object version the second post wrote
 * (RemoveReusedUpload), so the key is again what the first run left: the original of a READY
 * media, or nothing once a FAILED upload was moved to failed/. Real SDK clients, the real ASL and
 * handlers, IAM enforced, against the twin's emulators.
 */

let twin: Twin;
let s3: S3Client;
let token: string;

beforeAll(async () => {
  twin = await startTwin({ bucketVersioning: true });
  s3 = twinS3Client(twin);
  token = await tokenFor(twin, 'alice');
}, 30_000);

afterAll(async () => {
  s3?.destroy();
  await twin?.stop();
});

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The media's runs, oldest first, once `count` of them have ended. */
function endedRuns(mediaId: string, count: number): Promise<RunRecord[]> {
  return until(`${count} runs of ${mediaId} to end`, () => {
    const runs = twin.runs.recent().filter((run) => run.mediaId === mediaId);
    return runs.length === count && runs.every((run) => run.outcome !== 'RUNNING') ? [...runs].reverse() : undefined;
  });
}

async function objectAt(key: string): Promise<{ etag: string | undefined; bytes: Buffer } | undefined> {
  try {
    const object = await s3.send(new GetObjectCommand({ Bucket: twin.bucketName, Key: key }));
    return { etag: object.ETag, bytes: Buffer.from((await object.Body?.transformToByteArray()) ?? []) };
  } catch (error) {
    if (error instanceof Error && error.name === 'NoSuchKey') return undefined;
    throw error;
  }
}

async function exists(key: string): Promise<boolean> {
  try {
    await s3.send(new HeadObjectCommand({ Bucket: twin.bucketName, Key: key }));
    return true;
  } catch (error) {
    if (error instanceof NotFound) return false;
    throw error;
  }
}

async function ticketFor(...uploads: Buffer[]): Promise<UploadTicket> {
  return presign(twin, token, 'image/jpeg', Math.max(...uploads.map((bytes) => bytes.length)));
}

describe('the same upload form posted again after its media is READY', () => {
  let mediaId: string;
  let original: Buffer;
  let first: Awaited<ReturnType<typeof objectAt>>;
  let ready: MediaView;
  let runs: RunRecord[];

  beforeAll(async () => {
    // Arrange: one photo uploaded and processed to READY.
    original = await photoJpeg(640, 480);
    const replacement = await photoJpeg(480, 640);
    const ticket = await ticketFor(original, replacement);
    mediaId = ticket.mediaId;
    expect(await postToPresignedUrl(ticket, original, 'image/jpeg')).toBe(204);
    ready = await waitForTerminal(twin, mediaId);
    first = await objectAt(`uploads/alice/${mediaId}`);

    // Act: the same form, other bytes.
    expect(await postToPresignedUrl(ticket, replacement, 'image/jpeg')).toBe(204);
    runs = await endedRuns(mediaId, 2);
  }, 60_000);

  it('ends the second run at IgnoreDuplicate after RemoveReusedUpload, with no processing', () => {
    const [, second] = runs;

    expect(second).toMatchObject({ outcome: 'DUPLICATE', refusal: 'reused', executionStatus: 'SUCCEEDED' });
    const steps = second?.steps.map((step) => step.name);
    expect(steps).toEqual(expect.arrayContaining(['DescribeVersionedUpload', 'RemoveReusedUpload']));
    expect(steps).not.toContain('CreateThumbnails');
  });

  it('makes the first upload the current object again: same ETag, same bytes', async () => {
    const now = await objectAt(`uploads/alice/${mediaId}`);

    expect(first?.bytes.equals(original)).toBe(true);
    expect(now?.etag).toBe(first?.etag);
    expect(now?.bytes.equals(original)).toBe(true);
  });

  it('leaves the media READY with its renditions', async () => {
    const view = await requestJson<MediaView>(twin, 'GET', `/media/${mediaId}`, { token });

    expect(ready.status).toBe('READY');
    expect(view.body).toMatchObject({ status: 'READY', original: { width: 640, height: 480 } });
    // The same renditions (their signed URLs differ with the second they were signed in), still there.
    const withoutUrls = (view: MediaView): unknown[] => (view.renditions ?? []).map(({ url: _url, ...rest }) => rest);
    expect(withoutUrls(view.body)).toEqual(withoutUrls(ready));
    expect(withoutUrls(view.body).length).toBeGreaterThan(0);
    for (const rendition of view.body.renditions ?? []) expect((await send(rendition.url)).status).toBe(200);
  });
});

describe('the same upload form posted again after its media FAILED as a bad upload', () => {
  let mediaId: string;
  let failed: MediaView;
  let runs: RunRecord[];

  beforeAll(async () => {
    // Arrange: a text file posted as a JPEG fails, and its bytes are moved to failed/.
    const text = textFile();
    const photo = await photoJpeg(64, 64);
    const ticket = await ticketFor(text, photo);
    mediaId = ticket.mediaId;
    expect(await postToPresignedUrl(ticket, text, 'image/jpeg')).toBe(204);
    failed = await waitForTerminal(twin, mediaId);

    // Act
    expect(await postToPresignedUrl(ticket, photo, 'image/jpeg')).toBe(204);
    runs = await endedRuns(mediaId, 2);
  }, 60_000);

  it('removes the re-posted object: the upload key is absent again, the original stays in failed/', async () => {
    const [, second] = runs;

    expect(failed.status).toBe('FAILED');
    expect(second?.steps.map((step) => step.name)).toContain('RemoveReusedUpload');
    expect(await exists(`uploads/alice/${mediaId}`)).toBe(false);
    expect((await objectAt(`failed/alice/${mediaId}`))?.bytes.equals(textFile())).toBe(true);
  });

  it('leaves the media FAILED', async () => {
    const view = await requestJson<MediaView>(twin, 'GET', `/media/${mediaId}`, { token });

    expect(view.body).toMatchObject({ status: 'FAILED', error: { code: failed.error?.code } });
  });
});
