import type { SweepReport } from '../../functions/sweeper/sweeper';
import { executionStatusChangeEvent } from '../../local/events/execution-status';
import { Pipeline } from '../../local/pipeline/pipeline';
import { LOCAL_ACCOUNT_ID } from '../../local/settings';
import { photoJpeg, presign, requestJson, upload, waitForTerminal } from './support/twin-client';
import { LAMBDA_UNAVAILABLE, twinSession } from './support/twin-session';

/*
 * The sweeper in the twin, under its own role: POST /_local/sweep runs the real handler as its
 * schedule would. A media whose claim outlived the stranded age (its run killed, its status-change
 * event lost: the claim planted with the record function's own claim write, dated an hour ago) ends
 * FAILED PIPELINE_STRANDED; a run holding a fresh claim, a media its run settled READY and one the
 * watcher settled first are left as they are.
 */

/** Short, so the READY media's claim is older than it when the sweep runs: only the index can spare it. */
const STRANDED_AGE_SECONDS = 12;
const HOUR_AGO = (): Date => new Date(Date.now() - 60 * 60 * 1000);

// A thumbnail invocation that fails with a Lambda service error waits 60 s before its retry:
// the run holds a fresh claim meanwhile. The timer is off: only POST /_local/sweep sweeps.
const session = twinSession({
  strandedClaimAgeSeconds: STRANDED_AGE_SECONDS,
  sweepIntervalSeconds: 0,
  retryIntervalOverrides: { CreateThumbnails: 60_000 },
  drainMs: 500,
});

const executionArn = (name: string): string =>
  `${Pipeline.stateMachineArnFor(session.twin.region, LOCAL_ACCOUNT_ID).replace(':stateMachine:', ':execution:')}:${name}`;

/** A ticket from POST /media/uploads whose upload a run claimed at `at` and never settled. */
async function strandedClaim(at: Date, execution: string): Promise<{ mediaId: string; key: string }> {
  const { twin, token, mediaTable } = session;
  const ticket = await presign(twin, token, 'image/jpeg', 2048);
  const key = String(ticket.fields.key);
  await mediaTable.claimAsStranded(ticket.mediaId, key, at, executionArn(execution));
  return { mediaId: ticket.mediaId, key };
}

it('settles a stranded claim FAILED PIPELINE_STRANDED and leaves a fresh claim and settled media alone', async () => {
  const { twin, token, mediaTable } = session;

  // Arrange: a photo its run settled READY (its claim becomes older than the stranded age below)
  const ready = await upload(twin, token, await photoJpeg(320, 240));
  expect(await waitForTerminal(twin, ready, 60_000)).toMatchObject({ status: 'READY' });
  const readyAt = Date.now();
  // ... a claim whose run was killed an hour ago and whose event never came
  const stranded = await strandedClaim(HOUR_AGO(), 'killed-run');
  // ... one the watcher settled after all (its status-change event came late)
  const late = await strandedClaim(HOUR_AGO(), 'late-run');
  const delivery = await twin.deliverExecutionEvent(
    executionStatusChangeEvent(
      {
        executionArn: executionArn('late-run'),
        stateMachineArn: Pipeline.stateMachineArnFor(twin.region, LOCAL_ACCOUNT_ID),
        name: 'late-run',
        status: 'ABORTED',
        startDate: HOUR_AGO().getTime(),
        stopDate: Date.now(),
        input: { detail: { bucket: { name: twin.bucketName }, object: { key: late.key } } },
        output: null,
      },
      { region: twin.region, account: LOCAL_ACCOUNT_ID },
    ),
  );
  // ... and, once the READY photo's claim is past the stranded age, a run holding a fresh claim
  await new Promise((resolve) =>
    setTimeout(resolve, Math.max(0, readyAt + (STRANDED_AGE_SECONDS + 1) * 1000 - Date.now())),
  );
  twin.injectFault('CreateThumbnails', LAMBDA_UNAVAILABLE);
  const fresh = await upload(twin, token, await photoJpeg(320, 240));
  const freshExecution = await mediaTable.claimedBy(fresh);

  // Act
  const answer = await requestJson<{ sweep: SweepReport }>(twin, 'POST', '/_local/sweep');

  // Assert
  expect(delivery?.result).toMatchObject({ settled: true });
  expect(answer.status).toBe(200);
  expect(answer.body.sweep).toMatchObject({ settled: [stranded.mediaId], notHeld: [], more: false });
  const view = await requestJson(twin, 'GET', `/media/${stranded.mediaId}`);
  expect(view.body).toMatchObject({ status: 'FAILED', error: { code: 'PIPELINE_STRANDED' } });
  expect(await mediaTable.record(stranded.mediaId)).not.toHaveProperty('claimedAt');
  expect(await mediaTable.record(fresh)).toMatchObject({
    status: 'PROCESSING',
    claimedBy: expect.stringContaining(freshExecution),
  });
  expect(await mediaTable.record(ready)).toMatchObject({ status: 'READY' });
  expect(await mediaTable.record(late.mediaId)).toMatchObject({
    status: 'FAILED',
    error: { code: 'PIPELINE_ABORTED' },
  });

  // A second sweep finds nothing more to do.
  const again = await requestJson<{ sweep: SweepReport }>(twin, 'POST', '/_local/sweep');
  expect(again.body.sweep).toMatchObject({ settled: [], notHeld: [] });
  expect(twin.stopExecution(freshExecution)).toBe(true);
}, 180_000);

it("makes the sweeper's calls under its own role, each allowed", () => {
  const { twin } = session;

  // Act
  const sweeper = twin.iamReport().functions.find((usage) => usage.fn === 'sweeper');

  // Assert
  expect(sweeper?.decisions.filter((row) => row.decision === 'denied')).toEqual([]);
  expect(sweeper?.decisions.map((row) => `${row.action} ${row.resource}`).sort()).toEqual([
    'dynamodb:Query table:MediaTable/index/byClaimAge',
    'dynamodb:UpdateItem table:MediaTable',
  ]);
});
