import { redriveMedia } from '../../scripts/redrive/redrive';
import { twinDeps } from '../../scripts/redrive/targets';
import { photoJpeg, upload, waitForTerminal } from './support/twin-client';
import { LAMBDA_UNAVAILABLE, twinSession } from './support/twin-session';

/*
 * An execution that times out, in the twin as on AWS (the machine's TimeoutSeconds, shortened to
 * 4 s here): Step Functions' TIMED_OUT event reaches the watcher, which marks the media FAILED
 * PIPELINE_TIMEOUT. A re-drive then gives the media a newer claim, and the old execution's event
 * delivered again late changes nothing: only the execution that holds the claim settles it.
 */

// A thumbnail invocation that fails with a Lambda service error waits 30 s before its retry,
// so the run holds its claim until the execution's 4 s run out.
const session = twinSession({
  executionTimeoutSeconds: 4,
  retryIntervalOverrides: { CreateThumbnails: 30_000 },
  drainMs: 500,
});

it('settles a timed-out run as FAILED PIPELINE_TIMEOUT, and a late event of it never overwrites a newer claim', async () => {
  const { twin, token, mediaTable } = session;

  // Arrange: the first run holds its claim until the execution times out
  twin.injectFault('CreateThumbnails', LAMBDA_UNAVAILABLE);
  const mediaId = await upload(twin, token, await photoJpeg(320, 240));

  // Act 1: the execution times out
  const timedOut = await waitForTerminal(twin, mediaId, 30_000);

  // Assert 1
  expect(timedOut).toMatchObject({ status: 'FAILED', error: { code: 'PIPELINE_TIMEOUT' } });
  const first = twin.runs.recent().find((r) => r.mediaId === mediaId);
  expect(first).toMatchObject({ executionStatus: 'TIMED_OUT', watcher: { result: { settled: true } } });
  const lateEvent = first?.watcher?.event;
  expect(lateEvent?.detail.status).toBe('TIMED_OUT');

  // Arrange 2: a re-drive's execution holds a newer claim (waiting on its thumbnail retry)
  twin.injectFault('CreateThumbnails', LAMBDA_UNAVAILABLE);
  const deps = await twinDeps(twin.apiUrl);
  const redrive = await redriveMedia(deps, mediaId);
  deps.close();
  if (redrive.outcome !== 'started') throw new Error(`re-drive refused: ${JSON.stringify(redrive)}`);
  await mediaTable.claimedBy(mediaId, { execution: redrive.executionName, timeoutMs: 20_000 });

  // Act 2: the first execution's event, delivered again late
  const late = lateEvent && (await twin.deliverExecutionEvent(lateEvent));

  // Assert 2: refused by the claim condition; the record is still the newer run's
  expect(late).toMatchObject({ attempts: 1, result: { settled: false, reason: 'not-holding-the-claim' } });
  expect(await mediaTable.record(mediaId)).toMatchObject({
    status: 'PROCESSING',
    claimedBy: expect.stringContaining(redrive.executionName),
  });
}, 60_000);
