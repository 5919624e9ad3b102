import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import sharp from 'sharp';
import { startTwin, type Twin } from '../../local/twin';
import type { ObjectCreatedEvent } from '../../local/events/object-created';
import { checkLabelsAndVerdict, fetchSmallestRendition } from '../../smoke/journeys';
import { corruptJpeg } from '../../smoke/images';
import { send } from './support/http';
import { pngDeclaring } from './support/images';
import {
  health,
  photoJpeg,
  postToPresignedUrl,
  presign,
  requestJson,
  sentinelJpeg,
  tokenFor,
  upload,
  waitForTerminal,
  twinS3Client,
  putPhotoWithS3,
} from './support/twin-client';

/**
 * The media pipeline end to end: real HTTP to the twin's API, a multipart POST to the presigned
 * URL on the S3 emulator, the bucket event through the rule pattern into the ASL, the real
 * handlers, DynamoDB emulator, and the result read back over the API.
 */

let twin: Twin;
let token: string;
let s3: S3Client;

beforeAll(async () => {
  // The ASL's own backoff (up to 1 s with full jitter) replaced by 10 ms, so retries stay fast.
  twin = await startTwin({ retryIntervalOverrides: { CreateThumbnails: 10 } });
  token = await tokenFor(twin, 'alice');
  s3 = twinS3Client(twin);
}, 60_000);

afterAll(async () => {
  s3?.destroy();
  await twin?.stop();
});

function runsFor(mediaId: string) {
  return twin.runs.recent().filter((run) => run.mediaId === mediaId);
}

describe('a good photo', () => {
  let mediaId: string;
  let view: Awaited<ReturnType<typeof waitForTerminal>>;
  let article: Awaited<ReturnType<typeof requestJson>>;

  beforeAll(async () => {
    article = await requestJson(twin, 'POST', '/articles', {
      token,
      body: { title: 'Lisbon by tram', body: 'Take the 28.' },
    });
    const jpeg = await photoJpeg(1200, 800);
    const ticket = await presign(twin, token, 'image/jpeg', jpeg.length);
    expect(await postToPresignedUrl(ticket, jpeg, 'image/jpeg')).toBe(204);
    mediaId = ticket.mediaId;
    view = await waitForTerminal(twin, mediaId);
  }, 60_000);

  it("has an article created by the token's user, as the authorizer claims say", () => {
    expect(article.status).toBe(201);
    expect(article.body).toMatchObject({ authorId: 'alice', title: 'Lisbon by tram' });
  });

  it('becomes READY', () => {
    expect(view.status).toBe('READY');
  });

  it("serves its smallest rendition at the size the record states (the smoke journey's check)", async () => {
    const rendition = await fetchSmallestRendition(view);

    expect(rendition.width).toBeLessThan(1200);
    expect(rendition.bytes).toBeGreaterThan(0);
  });

  it("passes the smoke journey's label and verdict check", () => {
    expect(checkLabelsAndVerdict(view)).toMatch(/^\d+ labels \(.+\), verdict APPROVED$/);
  });

  it('carries labels measured by the local detector', () => {
    expect(view.labels).toEqual(
      expect.arrayContaining([
        { name: 'Orientation: Landscape', confidence: expect.any(Number), parents: ['Orientation'] },
      ]),
    );
    expect(view.labels?.some((label) => label.name.startsWith('Colour: '))).toBe(true);
  });

  it('records one run whose steps all succeeded', () => {
    const [run] = runsFor(mediaId);

    expect(runsFor(mediaId)).toHaveLength(1);
    expect(run?.outcome).toBe('READY');
    expect(run?.steps.map((step) => step.name)).toEqual(
      expect.arrayContaining(['MarkProcessing', 'CreateThumbnails', 'DetectLabels', 'Moderate', 'RecordResult']),
    );
    expect(run?.steps.every((step) => step.status === 'SUCCEEDED')).toBe(true);
  });

  it('shows on the dashboard with its outcome and per-step durations', async () => {
    const page = await send(twin.dashboardUrl);
    const html = page.body.toString('utf8');

    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(html).toContain(mediaId);
    expect(html).toMatch(/CreateThumbnails [\d.]+ m?s/);
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)="https?:/);
  });

  it('is listed in /_local/runs with the counts per outcome', async () => {
    const runs = await requestJson<{ counts: Record<string, number>; runs: { mediaId: string; outcome: string }[] }>(
      twin,
      'GET',
      '/_local/runs',
    );

    expect(runs.body.counts.READY).toBeGreaterThanOrEqual(1);
    expect(runs.body.runs).toEqual(expect.arrayContaining([expect.objectContaining({ mediaId, outcome: 'READY' })]));
  });

  it('does not start executions for its own derived objects', () => {
    const derived = twin.runs.recentObjectEvents().filter((event) => event.key.startsWith(`derived/${mediaId}/`));

    expect(derived.length).toBeGreaterThan(0);
    expect(derived.every((event) => !event.matched)).toBe(true);
  });
});

describe('bad uploads', () => {
  const cases: [string, () => Promise<Buffer>, string, string][] = [
    [
      'a text file declared as JPEG',
      async () => Buffer.from('This is not an image.\n'.repeat(20)),
      'image/jpeg',
      'UNSUPPORTED_MEDIA',
    ],
    ['a truncated JPEG', () => corruptJpeg(), 'image/jpeg', 'CORRUPT_IMAGE'],
    ['a PNG declaring 400 million pixels', async () => pngDeclaring(20_000, 20_000), 'image/png', 'IMAGE_TOO_LARGE'],
  ];

  it.each(cases)('marks %s FAILED with a reason', async (_name, bytes, contentType, code) => {
    const mediaId = await upload(twin, token, await bytes(), contentType);

    const view = await waitForTerminal(twin, mediaId);
    // The run goes on after the record: DiscardFailedUpload moves the upload to failed/.
    const deadline = Date.now() + 10_000;
    while (runsFor(mediaId).some((run) => run.executionStatus === 'RUNNING') && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }

    expect(view.status).toBe('FAILED');
    expect(view.error).toEqual({ code, message: expect.any(String) });
    expect(view.renditions).toBeUndefined();
    expect(runsFor(mediaId).map((run) => run.outcome)).toEqual(['FAILED']);
  });

  it('stays healthy after bad uploads', async () => {
    expect(await health(twin)).toBe(200);
  });
});

describe('images of extreme shapes, which Rekognition analyses only within 80..10,000 px a side', () => {
  it.each([
    [4000, 60],
    [60, 4000],
    [10_000, 100],
  ])(
    'ends a %i x %i JPEG READY: its analysis image is letterboxed and the Rekognition-limited detector accepts it',
    async (width, height) => {
      const bytes = await sharp({ create: { width, height, channels: 3, background: '#1e6fd9' } })
        .jpeg()
        .toBuffer();
      const mediaId = await upload(twin, token, bytes);

      const view = await waitForTerminal(twin, mediaId);

      expect(view.status).toBe('READY');
      expect(view.labels?.length).toBeGreaterThan(0);
    },
  );
});

describe('an image that trips the local moderation rule', () => {
  it('is REJECTED and never served', async () => {
    const mediaId = await upload(twin, token, await sentinelJpeg(800, 600));

    const view = await waitForTerminal(twin, mediaId);

    expect(view.status).toBe('REJECTED');
    expect(view.moderation).toEqual({ verdict: 'REJECTED' });
    expect(view.renditions).toBeUndefined();
  });
});

describe('the same S3 event delivered three times', () => {
  let mediaId: string;
  let first: Awaited<ReturnType<typeof waitForTerminal>>;
  let event: ObjectCreatedEvent;
  let derivedWritesBefore: number;
  let redeliveries: Awaited<ReturnType<Twin['deliver']>>[];

  const derivedWrites = () =>
    twin.runs.recentObjectEvents().filter((e) => e.key.startsWith(`derived/${mediaId}/`)).length;

  beforeAll(async () => {
    mediaId = await upload(twin, token, await photoJpeg(900, 600));
    first = await waitForTerminal(twin, mediaId);
    event = runsFor(mediaId)[0]?.event as ObjectCreatedEvent;
    derivedWritesBefore = derivedWrites();
    // EventBridge delivers at least once: the very same event object arrives again, twice at once.
    redeliveries = await Promise.all([twin.deliver(event), twin.deliver(event)]);
  }, 60_000);

  it('processes the first delivery and ignores the other two', () => {
    expect(first.status).toBe('READY');
    expect(redeliveries.map((run) => run?.outcome)).toEqual(['DUPLICATE', 'DUPLICATE']);
    expect(
      runsFor(mediaId)
        .map((run) => run.outcome)
        .sort(),
    ).toEqual(['DUPLICATE', 'DUPLICATE', 'READY']);
  });

  it('writes the renditions once', async () => {
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: twin.bucketName, Prefix: `derived/${mediaId}/` }));

    expect(derivedWrites()).toBe(derivedWritesBefore);
    expect(listed.KeyCount).toBe(derivedWritesBefore);
  });

  it('leaves the media record as the first run wrote it', async () => {
    const again = await requestJson(twin, 'GET', `/media/${mediaId}`);

    expect(again.body).toMatchObject({ status: 'READY', updatedAt: first.updatedAt });
  });
});

describe('an object key with a space, written with the S3 API', () => {
  const key = 'uploads/alice/red flower.jpg';
  let run: ReturnType<typeof runsFor>[number] | undefined;

  beforeAll(async () => {
    await putPhotoWithS3(twin, s3, key);
    const deadline = Date.now() + 10_000;
    do {
      await new Promise((resolve) => setTimeout(resolve, 50));
      run = twin.runs.recent().find((r) => r.key === key);
    } while ((run === undefined || run.outcome === 'RUNNING') && Date.now() < deadline);
  }, 60_000);

  it('reaches the rule unencoded, as EventBridge sends keys', () => {
    expect(twin.runs.recentObjectEvents().find((e) => e.key === key)).toMatchObject({
      reason: 'PutObject',
      matched: true,
    });
  });

  it('ends its run without a media record, because the key is not a server-chosen one', () => {
    expect(run?.outcome).toBe('ERROR');
    expect(run?.failure?.error).toBe('InvalidUploadKeyError');
  });
});

describe('a transient Lambda fault', () => {
  it('is retried by the ASL and the media still ends READY', async () => {
    twin.injectFault('CreateThumbnails', { name: 'Lambda.ServiceException', message: 'Injected transient fault' });

    const mediaId = await upload(twin, token, await photoJpeg(640, 480));
    const view = await waitForTerminal(twin, mediaId);

    const [run] = runsFor(mediaId);
    expect(view.status).toBe('READY');
    expect(run?.retries).toBe(1);
    expect(run?.steps.find((step) => step.name === 'CreateThumbnails')).toMatchObject({
      attempts: 2,
      status: 'SUCCEEDED',
    });
  });
});
