import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { claimUpdate } from '../../functions/record/record';
import { EMULATOR_ACCESS_KEY_ID, EMULATOR_SECRET_ACCESS_KEY } from '../../local/settings';
import { startTwin, type Twin } from '../../local/twin';
import { presign, tokenFor } from './support/twin-client';

/*
 * The twin runs the sweeper on a timer, as EventBridge Scheduler does on AWS (every
 * SWEEP_INTERVAL_MINUTES there; one second here), and says so in a line when it settled something.
 */

let twin: Twin;
const lines: string[] = [];

beforeAll(async () => {
  twin = await startTwin({
    sweepIntervalSeconds: 1,
    strandedClaimAgeSeconds: 60,
    drainMs: 500,
    log: (line) => lines.push(line),
  });
}, 60_000);

afterAll(async () => {
  await twin?.stop();
});

it('settles a stranded claim on its own, without POST /_local/sweep', async () => {
  // Arrange: a ticket whose claim was taken two minutes ago by a run that never settled it
  const documents = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      region: twin.region,
      endpoint: twin.dynamoDbEndpoint,
      credentials: { accessKeyId: EMULATOR_ACCESS_KEY_ID, secretAccessKey: EMULATOR_SECRET_ACCESS_KEY },
    }),
  );
  const ticket = await presign(twin, await tokenFor(twin, 'alice'), 'image/jpeg', 2048);
  const claimedAt = new Date(Date.now() - 120_000).toISOString();
  const uploadRef = {
    bucket: twin.bucketName,
    key: String(ticket.fields.key),
    size: 2048,
    etag: 'e1',
    sequencer: '0A',
    time: new Date().toISOString(),
  };
  await documents.send(
    new UpdateCommand({
      TableName: twin.mediaTableName,
      ...claimUpdate(
        ticket.mediaId,
        'alice',
        uploadRef,
        claimedAt,
        'arn:aws:states:eu-west-1:000000000000:execution:m:gone',
      ),
    }),
  );

  // Act: the timer's next runs
  const deadline = Date.now() + 20_000;
  let record: Record<string, unknown> | undefined;
  while (Date.now() < deadline) {
    record = (
      await documents.send(new GetCommand({ TableName: twin.mediaTableName, Key: { mediaId: ticket.mediaId } }))
    ).Item;
    // The line comes once the run returned, right after its write.
    if (record?.status !== 'PROCESSING' && lines.some((line) => line.startsWith('sweeper:'))) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  documents.destroy();

  // Assert
  expect(record).toMatchObject({ status: 'FAILED', error: { code: 'PIPELINE_STRANDED' } });
  expect(lines).toContainEqual(
    expect.stringMatching(new RegExp(`^sweeper: settled 1 stranded media .*${ticket.mediaId}`)),
  );
}, 60_000);
