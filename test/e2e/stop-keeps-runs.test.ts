import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTwin, type Twin } from '../../local/twin';
import { photoJpeg, requestJson, tokenFor, upload } from './support/twin-client';

/*
 * Stopping a twin that keeps its data (Ctrl-C on `npm start -- --data-dir DIR`) does not fail the
 * photos it was processing: an execution still running when the stop's grace ends is cut off but
 * stays in DIR/executions/, and the next start runs it again (local/recovery/recover.ts; the
 * `stopped` moment of `npm run crash` shows the whole round). It is not ended ABORTED, which the
 * watcher would settle as FAILED PIPELINE_ABORTED (re-drivable, but a failure the user sees).
 */

let twin: Twin;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'travel-guide-stop-'));
  // A thumbnail invocation that fails with a Lambda service error waits 30 s before its retry:
  // the run is still running when the stop's grace (100 ms) ends.
  twin = await startTwin({
    dataDir,
    iam: false,
    drainMs: 100,
    retryIntervalOverrides: { CreateThumbnails: 30_000 },
    log: () => undefined,
  });
}, 60_000);

afterAll(async () => {
  await twin?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

it('keeps an execution the stop cut off in the journal, to run again, and sends no ABORTED event', async () => {
  // Arrange: a run that holds its claim, waiting to retry its thumbnail step
  twin.injectFault('CreateThumbnails', { name: 'Lambda.ServiceException', message: 'Lambda is unavailable' });
  const token = await tokenFor(twin, 'alice');
  const mediaId = await upload(twin, token, await photoJpeg(160, 120));
  const deadline = Date.now() + 30_000;
  let status: string | undefined;
  while (Date.now() < deadline && status !== 'PROCESSING') {
    status = (await requestJson<{ status: string }>(twin, 'GET', `/media/${mediaId}`)).body.status;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const run = twin.runs.recent().find((candidate) => candidate.mediaId === mediaId);

  // Act
  await twin.stop();

  // Assert
  expect(status).toBe('PROCESSING');
  expect(run).toMatchObject({ executionStatus: 'ABORTED' });
  expect(run?.watcher).toBeUndefined();
  const entry = join(dataDir, 'executions', `${run?.executionId ?? 'none'}.json`);
  expect(existsSync(entry)).toBe(true);
  expect(JSON.parse(readFileSync(entry, 'utf8'))).toMatchObject({
    name: run?.executionId,
    input: { detail: { object: { key: `uploads/alice/${mediaId}` } } },
  });
}, 60_000);
