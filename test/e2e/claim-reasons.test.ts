import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { ObjectCreatedEvent } from '../../local/events/object-created';
import { startTwin, type Twin } from '../../local/twin';
import { send } from './support/http';
import {
  photoJpeg,
  postToPresignedUrl,
  presign,
  requestJson,
  tokenFor,
  waitForTerminal,
  twinS3Client,
  putPhotoWithS3,
} from './support/twin-client';

/**
 * Why a run ended at IgnoreDuplicate, as the twin reports it: the claim's refusal reason, read
 * from MarkProcessing's output in the execution history, on /_local/runs and on the dashboard.
 */

interface RunsBody {
  counts: Record<string, number>;
  refusals: Record<string, number>;
  runs: { key: string; mediaId: string | null; outcome: string; refusal?: string; executionStatus: string }[];
}

let twin: Twin;
let s3: S3Client;

beforeAll(async () => {
  twin = await startTwin();
  s3 = twinS3Client(twin);
}, 60_000);

afterAll(async () => {
  s3?.destroy();
  await twin?.stop();
});

/** Waits until the twin has finished as many runs of `key` as expected. */
async function finishedRuns(key: string, expected: number, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const finished = (): number =>
    twin.runs.recent().filter((run) => run.key === key && run.outcome !== 'RUNNING').length;
  while (finished() < expected && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  if (finished() < expected)
    throw new Error(`${key}: ${finished()} of ${expected} runs finished after ${timeoutMs} ms`);
}

async function runsOf(key: string): Promise<RunsBody['runs']> {
  const response = await requestJson<RunsBody>(twin, 'GET', '/_local/runs');
  return response.body.runs.filter((run) => run.key === key);
}

describe('an object written to uploads/ without an upload ticket', () => {
  const key = 'uploads/mallory/01JDX3ZK2Q4V5W6X7Y8Z9NOTKT';

  beforeAll(async () => {
    await putPhotoWithS3(twin, s3, key);
    await finishedRuns(key, 1);
  }, 30_000);

  it('ends its run refused with reason unissued on /_local/runs', async () => {
    // Act
    const runs = await runsOf(key);

    // Assert
    expect(runs).toEqual([
      expect.objectContaining({ outcome: 'DUPLICATE', refusal: 'unissued', executionStatus: 'SUCCEEDED' }),
    ]);
  });

  it('is removed from uploads/ by its run (no record names it)', async () => {
    // Act
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: twin.bucketName, Prefix: key }));

    // Assert
    expect(listed.Contents ?? []).toEqual([]);
  });

  it('is counted under unissued in the refusal totals', async () => {
    // Act
    const response = await requestJson<RunsBody>(twin, 'GET', '/_local/runs');

    // Assert
    expect(response.body.refusals.unissued).toBeGreaterThanOrEqual(1);
  });

  it('is labelled with its reason on the dashboard instead of a bare DUPLICATE', async () => {
    // Act
    const page = (await send(twin.dashboardUrl)).body.toString('utf8');

    // Assert
    expect(page).toContain('REFUSED: unissued');
  });
});

describe('an upload with a ticket', () => {
  it('ends its run without a refusal', async () => {
    // Arrange
    const token = await tokenFor(twin, 'alice');
    const jpeg = await photoJpeg(320, 240);
    const ticket = await presign(twin, token, 'image/jpeg', jpeg.length);
    expect(await postToPresignedUrl(ticket, jpeg, 'image/jpeg')).toBe(204);

    // Act
    await waitForTerminal(twin, ticket.mediaId);
    await finishedRuns(ticket.fields.key ?? '', 1);

    // Assert
    const [run] = await runsOf(ticket.fields.key ?? '');
    expect(run?.outcome).toBe('READY');
    expect(run).not.toHaveProperty('refusal');
  }, 30_000);
});

describe('an upload that was processed', () => {
  let key: string;
  let ticket: Awaited<ReturnType<typeof presign>>;
  let jpeg: Buffer;

  beforeAll(async () => {
    const token = await tokenFor(twin, 'alice');
    jpeg = await photoJpeg(320, 240);
    ticket = await presign(twin, token, 'image/jpeg', jpeg.length);
    key = ticket.fields.key ?? '';
    expect(await postToPresignedUrl(ticket, jpeg, 'image/jpeg')).toBe(204);
    await waitForTerminal(twin, ticket.mediaId);
    await finishedRuns(key, 1);
  }, 60_000);

  it('refuses a redelivery of its event with reason duplicate', async () => {
    // Arrange
    const event = twin.runs.recent().find((run) => run.key === key)?.event as ObjectCreatedEvent;

    // Act
    const run = await twin.deliver(event);

    // Assert
    expect(run).toMatchObject({ outcome: 'DUPLICATE', refusal: 'duplicate' });
  });

  it('refuses a second upload with the same form with reason reused', async () => {
    // Arrange
    const before = (await runsOf(key)).length;

    // Act
    expect(await postToPresignedUrl(ticket, jpeg, 'image/jpeg')).toBe(204);
    await finishedRuns(key, before + 1);

    // Assert
    const [newest] = await runsOf(key);
    expect(newest).toMatchObject({ outcome: 'DUPLICATE', refusal: 'reused' });
  });
});

describe('an upload stored after its ticket ended', () => {
  it('is refused like an unissued one, and leaves the ticket as it was', async () => {
    // Arrange: the event of an object S3 stored 16 minutes after the form expired (past the 15-minute grace)
    const token = await tokenFor(twin, 'alice');
    const ticket = await presign(twin, token, 'image/jpeg', 1000);
    const key = ticket.fields.key ?? '';
    const storedAt = new Date(Date.parse(ticket.expiresAt) + 16 * 60 * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const event: ObjectCreatedEvent = {
      version: '0',
      id: 'late-upload',
      'detail-type': 'Object Created',
      source: 'aws.s3',
      account: '000000000000',
      time: storedAt,
      region: twin.region,
      resources: [`arn:aws:s3:::${twin.bucketName}`],
      detail: {
        version: '0',
        bucket: { name: twin.bucketName },
        object: { key, size: 1000, etag: 'b1946ac92492d2347c6235b4d2611184', sequencer: 'FF617F08299329D189' },
        'request-id': 'LATE',
        requester: '000000000000',
        'source-ip-address': '127.0.0.1',
        reason: 'PostObject',
      },
    };

    // Act
    const run = await twin.deliver(event);
    const media = await requestJson<{ status: string }>(twin, 'GET', `/media/${ticket.mediaId}`);

    // Assert
    expect(run).toMatchObject({ outcome: 'DUPLICATE', refusal: 'unissued' });
    expect(media.body.status).toBe('PENDING');
  });
});
