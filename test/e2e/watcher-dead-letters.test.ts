import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { executionStatusChangeEvent } from '../../local/events/execution-status';
import { loadAppTemplates } from '../../local/iam/app-roles';
import { Pipeline } from '../../local/pipeline/pipeline';
import { LOCAL_ACCOUNT_ID } from '../../local/settings';
import { startTwin, type Twin } from '../../local/twin';
import type { StackTemplate } from '../iam/support/cfn-resolver';
import { requestJson } from './support/twin-client';

/*
 * The watcher's dead-letter queue in a twin started with a data folder: a watcher that cannot
 * write (its role without dynamodb:UpdateItem) fails Lambda's three attempts, and the event is kept
 * as SQS keeps it, in DIR/dead-letters/watcher/ (a restart reads it back:
 * test/unit/events/execution-status.test.ts), listed at GET /_local/dead-letters and counted in
 * /_local/health. POST /_local/dead-letters/redrive gives it to the watcher again and, while the
 * watcher still cannot write, keeps it.
 */

type Statement = { Action: string | string[]; Effect: string; Resource: unknown };

let twin: Twin;
let dataDir: string;

beforeAll(async () => {
  const stacks: StackTemplate[] = structuredClone((await loadAppTemplates()).stacks);
  const resources = stacks.find((stack) => stack.stackName === 'TravelGuide-dev')?.template.Resources ?? {};
  const policyId = Object.keys(resources).find((id) => id.startsWith('PipelineWatcherRoleDefaultPolicy'));
  const document = (policyId === undefined ? undefined : resources[policyId]?.Properties?.PolicyDocument) as
    { Statement: Statement[] } | undefined;
  if (document === undefined) throw new Error('no default policy on the watcher role');
  const before = document.Statement.length;
  document.Statement = document.Statement.filter((s) => ![s.Action].flat().includes('dynamodb:UpdateItem'));
  if (document.Statement.length === before) throw new Error('the watcher role has no dynamodb:UpdateItem');
  dataDir = mkdtempSync(join(tmpdir(), 'travel-guide-watcher-dlq-'));
  twin = await startTwin({ dataDir, iam: true, iamTemplates: stacks });
}, 120_000);

afterAll(async () => {
  await twin?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

it('keeps an event the watcher could not take in the data folder, lists it, and keeps it when a re-drive fails again', async () => {
  // Arrange: an execution that was stopped, as Step Functions reports it
  const stateMachineArn = Pipeline.stateMachineArnFor(twin.region, LOCAL_ACCOUNT_ID);
  const event = executionStatusChangeEvent(
    {
      executionArn: `${stateMachineArn.replace(':stateMachine:', ':execution:')}:stopped-run`,
      stateMachineArn,
      name: 'stopped-run',
      status: 'ABORTED',
      startDate: Date.now() - 1000,
      stopDate: Date.now(),
      input: { detail: { bucket: { name: twin.bucketName }, object: { key: 'uploads/alice/m-1' } } },
      output: null,
    },
    { region: twin.region, account: LOCAL_ACCOUNT_ID },
  );

  // Act
  const delivery = await twin.deliverExecutionEvent(event);
  const listed = await requestJson<{ watcher: { messageId: string; body: { event: { id: string } } }[] }>(
    twin,
    'GET',
    '/_local/dead-letters',
  );
  const health = await requestJson<{ deadLetters?: { watcher?: number } }>(twin, 'GET', '/_local/health');
  const redrive = await requestJson<{ watcher: { redriven: string[]; kept: { error: string }[] } }>(
    twin,
    'POST',
    '/_local/dead-letters/redrive',
  );

  // Assert
  expect(delivery).toMatchObject({ attempts: 3, error: expect.stringContaining('dynamodb:UpdateItem') });
  expect(listed.body.watcher.map((message) => message.body.event.id)).toEqual([event.id]);
  expect(readdirSync(join(dataDir, 'dead-letters', 'watcher'))).toEqual([
    expect.stringContaining(listed.body.watcher[0]?.messageId ?? 'none'),
  ]);
  expect(health.body.deadLetters).toEqual({ watcher: 1 });
  expect(redrive.body.watcher.redriven).toEqual([]);
  expect(redrive.body.watcher.kept).toEqual([
    { messageId: expect.any(String), error: expect.stringContaining('dynamodb:UpdateItem') },
  ]);
  expect(twin.watcherDeadLetters).toHaveLength(1);
}, 60_000);
