import { startTwin, type Twin } from '../../local/twin';
import { findRedrivable, redriveMedia } from '../../scripts/redrive/redrive';
import { twinDeps } from '../../scripts/redrive/targets';
import { photoJpeg, tokenFor, upload, waitForTerminal } from './support/twin-client';

/*
 * `npm run redrive` against the twin, as a user runs it: media that failed for a transient reason
 * (here Rekognition throttling that outlasted every retry) runs again from its stored upload
 * through the twin's StartExecution, and ends READY; a bad upload is never re-run.
 */

let twin: Twin;
let token: string;

beforeAll(async () => {
  twin = await startTwin({ retryIntervalOverrides: { DetectLabels: 0 } });
  token = await tokenFor(twin, 'alice');
}, 60_000);

afterAll(async () => {
  await twin?.stop();
});

it('re-drives media FAILED DETECTOR_THROTTLED to READY, and refuses a bad upload', async () => {
  // Arrange: every DetectLabels attempt of the first run throttled, past the ASL's retry budget
  for (let i = 0; i <= 40; i++)
    twin.injectFault('DetectLabels', { name: 'DetectorThrottledError', message: 'Rekognition throttled the request' });
  const mediaId = await upload(twin, token, await photoJpeg(640, 480));
  const failed = await waitForTerminal(twin, mediaId, 60_000);
  const bad = await upload(twin, token, Buffer.from('not an image'), 'image/png');
  await waitForTerminal(twin, bad, 60_000);
  const deps = await twinDeps(twin.apiUrl);

  // Act
  const found = await findRedrivable(deps);
  const started = await redriveMedia(deps, mediaId);
  const refused = await redriveMedia(deps, bad);
  const after = await waitForTerminal(twin, mediaId, 60_000);
  deps.close();

  // Assert
  expect(failed).toMatchObject({ status: 'FAILED', error: { code: 'DETECTOR_THROTTLED' } });
  expect(found).toEqual([mediaId]);
  expect(started).toMatchObject({ outcome: 'started' });
  expect(refused).toMatchObject({ outcome: 'refused', reason: expect.stringContaining('UNSUPPORTED_MEDIA') });
  expect(after.status).toBe('READY');
}, 120_000);
