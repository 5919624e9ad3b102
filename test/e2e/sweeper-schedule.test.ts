import { presign } from './support/twin-client';
import { twinSession } from './support/twin-session';

/*
 * The twin runs the sweeper on a timer, as EventBridge Scheduler does on AWS (every
 * SWEEP_INTERVAL_MINUTES there; one second here), and says so in a line when it settled something.
 */

const lines: string[] = [];
const session = twinSession({
  sweepIntervalSeconds: 1,
  strandedClaimAgeSeconds: 60,
  drainMs: 500,
  log: (line) => lines.push(line),
});

it('settles a stranded claim on its own, without POST /_local/sweep', async () => {
  // Arrange: a ticket whose claim was taken two minutes ago by a run that never settled it
  const { twin, token, mediaTable } = session;
  const ticket = await presign(twin, token, 'image/jpeg', 2048);
  await mediaTable.claimAsStranded(
    ticket.mediaId,
    String(ticket.fields.key),
    new Date(Date.now() - 120_000),
    'arn:aws:states:eu-west-1:000000000000:execution:m:gone',
  );

  // Act: the timer's next runs
  const deadline = Date.now() + 20_000;
  let record: Record<string, unknown> | undefined;
  while (Date.now() < deadline) {
    record = await mediaTable.record(ticket.mediaId);
    // The line comes once the run returned, right after its write.
    if (record?.status !== 'PROCESSING' && lines.some((line) => line.startsWith('sweeper:'))) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }

  // Assert
  expect(record).toMatchObject({ status: 'FAILED', error: { code: 'PIPELINE_STRANDED' } });
  expect(lines).toContainEqual(
    expect.stringMatching(new RegExp(`^sweeper: settled 1 stranded media .*${ticket.mediaId}`)),
  );
}, 60_000);
