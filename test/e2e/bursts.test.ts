import { textFile, truncatedJpeg } from '../fixtures/images';
import { startTwin, type Twin } from '../../local/twin';
import { photoJpeg, tokenFor, upload, waitForTerminal } from './support/twin-client';

/*
 * A burst through the twin with Lambda's execution model and Rekognition's quota switched to
 * their tightest: one shared execution environment, one for the CPU-bound thumbnail function, one
 * reserved per detector function, one Rekognition call per second per API. Invocations beyond the limits are refused at once and
 * retried by the ASL; the burst gets slower, never fails a good photo, and the bad uploads in it
 * fail with their own codes.
 */

let twin: Twin;
let token: string;

// Short fixed waits instead of the ASL's backoff, per retrier in the file's order: Lambda service
// errors, Lambda throttling, then the step's own throttling error (detector or store). The
// throttling waits keep the ASL's budget long enough (100 x 300 ms) for a busy machine, where one
// thumbnail can hold the only environment for seconds.
const FAST_RETRIES = [10, 300, 300];

beforeAll(async () => {
  twin = await startTwin({
    lambdaConcurrency: 1,
    thumbnailConcurrency: 1,
    rekognitionTps: 1,
    retryIntervalOverrides: Object.fromEntries(
      ['MarkProcessing', 'CreateThumbnails', 'DetectLabels', 'Moderate', 'RecordResult', 'RecordFailure'].map(
        (state) => [state, FAST_RETRIES],
      ),
    ),
  });
  token = await tokenFor(twin, 'alice');
}, 60_000);

afterAll(async () => {
  await twin?.stop();
});

describe('a burst beyond the emulated limits', () => {
  let outcomes: { kind: string; status: string; code?: string }[];

  beforeAll(async () => {
    const photos = await Promise.all([photoJpeg(640, 480), photoJpeg(480, 640), photoJpeg(600, 400)]);
    const uploads = [
      ...photos.map((bytes) => ({ kind: 'photo', bytes, type: 'image/jpeg' })),
      { kind: 'truncated', bytes: await truncatedJpeg(), type: 'image/jpeg' },
      { kind: 'text', bytes: textFile(), type: 'image/png' },
    ];
    const mediaIds = await Promise.all(uploads.map((u) => upload(twin, token, u.bytes, u.type)));
    const views = await Promise.all(mediaIds.map((id) => waitForTerminal(twin, id, 100_000)));
    outcomes = views.map((view, i) => ({
      kind: uploads[i]?.kind ?? '',
      status: view.status,
      ...(view.error ? { code: view.error.code } : {}),
    }));
  }, 120_000);

  it('ends every photo READY', () => {
    expect(outcomes.filter((o) => o.kind === 'photo')).toEqual(
      Array.from({ length: 3 }, () => ({ kind: 'photo', status: 'READY' })),
    );
  });

  it('fails the truncated and the not-an-image upload with their own codes', () => {
    expect(outcomes.filter((o) => o.kind !== 'photo')).toEqual([
      { kind: 'truncated', status: 'FAILED', code: 'CORRUPT_IMAGE' },
      { kind: 'text', status: 'FAILED', code: 'UNSUPPORTED_MEDIA' },
    ]);
  });

  it('never ran more invocations at once than the limits allow, and refused the rest', () => {
    const { functions, sharedPeak } = twin.lambda.snapshot();

    expect(sharedPeak).toBe(1);
    expect(functions.thumbnail).toMatchObject({ limit: 1, pool: 'cpu-bound', peak: 1 });
    expect(functions.labels).toMatchObject({ limit: 1, pool: 'reserved', peak: 1 });
    expect(Object.values(functions).reduce((sum, f) => sum + f.throttles, 0)).toBeGreaterThan(0);
  });

  it('shows the throttling in the run history as retries', () => {
    const retries = twin.runs.recent().reduce((sum, run) => sum + run.retries, 0);
    expect(retries).toBeGreaterThan(0);
  });
});
