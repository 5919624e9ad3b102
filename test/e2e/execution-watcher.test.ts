import { photoJpeg, upload, waitForTerminal } from './support/twin-client';
import { LAMBDA_UNAVAILABLE, twinSession } from './support/twin-session';

/*
 * Executions that end without settling their media, in the twin as on AWS: the execution ends
 * ABORTED (StopExecution) or FAILED (RecordFailure itself failed), Step Functions' status-change
 * event goes through events/execution-ended.pattern.json to the real watcher handler, under the
 * watcher's role, and the media ends FAILED with the status's code.
 */

// A thumbnail invocation that fails with a Lambda service error waits 30 s before its retry:
// long enough to stop the execution while it holds the claim.
const session = twinSession({ retryIntervalOverrides: { CreateThumbnails: 30_000 }, drainMs: 500 });

it('settles the media of a stopped execution as FAILED PIPELINE_ABORTED', async () => {
  const { twin, token, mediaTable } = session;

  // Arrange: the run holds its claim, waiting to retry its thumbnail step
  twin.injectFault('CreateThumbnails', LAMBDA_UNAVAILABLE);
  const mediaId = await upload(twin, token, await photoJpeg(320, 240));
  const execution = await mediaTable.claimedBy(mediaId);

  // Act
  const stopped = twin.stopExecution(execution);
  const media = await waitForTerminal(twin, mediaId, 60_000);

  // Assert
  expect(stopped).toBe(true);
  expect(media).toMatchObject({ status: 'FAILED', error: { code: 'PIPELINE_ABORTED' } });
  const run = twin.runs.recent().find((r) => r.executionId === execution);
  expect(run).toMatchObject({ executionStatus: 'ABORTED', watcher: { attempts: 1, result: { settled: true } } });
  expect(run?.watcher?.event).toMatchObject({
    source: 'aws.states',
    'detail-type': 'Step Functions Execution Status Change',
    detail: { status: 'ABORTED', executionArn: expect.stringContaining(`:execution:`) },
  });
}, 120_000);

it('settles the media of an execution whose RecordFailure failed as FAILED PIPELINE_ERROR', async () => {
  const { twin, token } = session;

  // Arrange: the thumbnail step fails (caught), then recording the failure fails (nothing catches it)
  twin.injectFault('CreateThumbnails', { name: 'Error', message: 'a bug in the step' });
  twin.injectFault('RecordFailure', { name: 'AccessDeniedException', message: 'no dynamodb:UpdateItem' });

  // Act
  const mediaId = await upload(twin, token, await photoJpeg(320, 240));
  const media = await waitForTerminal(twin, mediaId, 60_000);

  // Assert
  expect(media).toMatchObject({ status: 'FAILED', error: { code: 'PIPELINE_ERROR' } });
  const run = twin.runs.recent().find((r) => r.mediaId === mediaId);
  expect(run).toMatchObject({ executionStatus: 'FAILED', watcher: { result: { settled: true } } });
  // The watcher's only write, allowed by its own role
  const watcher = twin.iamReport().functions.find((f) => f.fn === 'watcher');
  expect(watcher?.decisions).toContainEqual(
    expect.objectContaining({ action: 'dynamodb:UpdateItem', decision: 'allowed', via: ['ExecutionEndedRule'] }),
  );
}, 120_000);

it('sends no event to the watcher for an execution that succeeded', async () => {
  const { twin, token } = session;

  // Act
  const mediaId = await upload(twin, token, await photoJpeg(320, 240));
  const media = await waitForTerminal(twin, mediaId, 60_000);

  // Assert
  expect(media.status).toBe('READY');
  const run = twin.runs.recent().find((r) => r.mediaId === mediaId);
  expect(run?.executionStatus).toBe('SUCCEEDED');
  expect(run?.watcher).toBeUndefined();
}, 60_000);
