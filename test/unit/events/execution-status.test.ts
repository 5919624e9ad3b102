import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DEAD_LETTER_RETENTION_DAYS } from '../../../infra/definitions/pipeline';
import { DeadLetterQueue } from '../../../local/events/dead-letter-queue';
import {
  ExecutionEndedRule,
  executionStatusChangeEvent,
  type DeadLetter,
  type EndedExecution,
} from '../../../local/events/execution-status';

/*
 * The twin's Step Functions status-change events: shaped like the documented sample
 * (events/samples/execution-status-change.json), and routed by the same rule pattern file CDK
 * deploys, with Lambda's retries and dead-letter queue for the target.
 */

const ROOT = path.join(__dirname, '..', '..', '..');
const PATTERN = path.join(ROOT, 'events', 'execution-ended.pattern.json');
const sample = JSON.parse(readFileSync(path.join(ROOT, 'events/samples/execution-status-change.json'), 'utf8')) as {
  detail: Record<string, unknown>;
} & Record<string, unknown>;
const MACHINE = 'arn:aws:states:eu-west-1:000000000000:stateMachine:travel-guide-local-media-pipeline';

function ended(status: EndedExecution['status'], stateMachineArn = MACHINE): EndedExecution {
  return {
    executionArn: `${stateMachineArn.replace(':stateMachine:', ':execution:')}:run-1`,
    stateMachineArn,
    name: 'run-1',
    status,
    startDate: 1796000000000,
    stopDate: 1796000300000,
    input: { detail: { object: { key: 'uploads/alice/01JDX3ZK2Q4V5W6X7Y8Z9A0B1C' } } },
    output: null,
  };
}

function rule(invoke: () => Promise<unknown>, deadLetterQueue?: DeadLetterQueue<DeadLetter>): ExecutionEndedRule {
  return new ExecutionEndedRule({
    patternPath: PATTERN,
    stateMachineArn: MACHINE,
    region: 'eu-west-1',
    account: '000000000000',
    invoke,
    retryDelaysMs: [0, 0],
    ...(deadLetterQueue ? { deadLetterQueue } : {}),
  });
}

const failing = async (): Promise<never> => {
  throw Object.assign(new Error('Rate exceeded'), { name: 'ProvisionedThroughputExceededException' });
};

describe('execution status-change events in the twin', () => {
  it('have the fields of the documented event, with the input as a JSON string', () => {
    const event = executionStatusChangeEvent(ended('ABORTED'), { region: 'eu-west-1', account: '000000000000' });

    expect(Object.keys(event).sort()).toEqual(Object.keys(sample).sort());
    expect(Object.keys(event.detail).sort()).toEqual(Object.keys(sample.detail).sort());
    expect(JSON.parse(event.detail.input)).toEqual(ended('ABORTED').input);
    expect(event.resources).toEqual([event.detail.executionArn]);
  });

  it.each(['FAILED', 'TIMED_OUT', 'ABORTED'] as const)(
    'sends a %s execution of this machine to the target',
    async (status) => {
      const invoke = jest.fn(async () => ({ settled: true }));

      const delivery = await rule(invoke).executionEnded(ended(status));

      expect(invoke).toHaveBeenCalledTimes(1);
      expect(delivery).toMatchObject({ attempts: 1, result: { settled: true } });
    },
  );

  it('sends nothing for a SUCCEEDED execution or another state machine', async () => {
    const invoke = jest.fn(async () => ({ settled: true }));
    const other = 'arn:aws:states:eu-west-1:000000000000:stateMachine:another-machine';

    const succeeded = await rule(invoke).executionEnded(ended('SUCCEEDED'));
    const elsewhere = await rule(invoke).executionEnded(ended('FAILED', other));

    expect(succeeded).toBeUndefined();
    expect(elsewhere).toBeUndefined();
    expect(invoke).not.toHaveBeenCalled();
  });

  it('retries a failing target twice, as Lambda does, then keeps the event in the dead-letter queue', async () => {
    const invoke = jest.fn(async () => {
      throw Object.assign(new Error('Rate exceeded'), { name: 'ProvisionedThroughputExceededException' });
    });
    const watcherRule = rule(invoke);

    const delivery = await watcherRule.executionEnded(ended('TIMED_OUT'));

    expect(invoke).toHaveBeenCalledTimes(3);
    expect(delivery).toMatchObject({ attempts: 3, error: 'ProvisionedThroughputExceededException: Rate exceeded' });
    expect(watcherRule.deadLetters).toHaveLength(1);
    expect(watcherRule.deadLetters[0]?.event.detail.status).toBe('TIMED_OUT');
  });
});

describe("the watcher's dead-letter queue in the twin", () => {
  let directory: string;
  beforeEach(() => {
    directory = mkdtempSync(path.join(tmpdir(), 'travel-guide-dlq-'));
  });
  afterEach(() => rmSync(directory, { recursive: true, force: true }));

  it('keeps its dead letters in the data folder across a restart, as SQS keeps them', async () => {
    const retentionDays = DEAD_LETTER_RETENTION_DAYS;
    await rule(failing, new DeadLetterQueue({ retentionDays, directory })).executionEnded(ended('ABORTED'));

    // A new process on the same folder
    const restarted = rule(failing, new DeadLetterQueue({ retentionDays, directory }));

    expect(restarted.deadLetters.map((letter) => letter.event.detail.status)).toEqual(['ABORTED']);
    expect(restarted.deadLetters[0]?.error).toBe('ProvisionedThroughputExceededException: Rate exceeded');
  });

  it('re-drives each dead letter to the target once, deleting those it took and keeping the others', async () => {
    const queue = new DeadLetterQueue<DeadLetter>({ retentionDays: DEAD_LETTER_RETENTION_DAYS, directory });
    const watcherRule = rule(failing, queue);
    await watcherRule.executionEnded(ended('ABORTED'));
    await watcherRule.executionEnded(ended('TIMED_OUT'));
    const invoke = jest.fn(async (event: { detail: { status: string } }) => {
      if (event.detail.status === 'TIMED_OUT') await failing();
      return { settled: true };
    });
    const fixed = new ExecutionEndedRule({
      patternPath: PATTERN,
      stateMachineArn: MACHINE,
      region: 'eu-west-1',
      account: '000000000000',
      invoke,
      deadLetterQueue: queue,
    });

    const report = await fixed.redriveDeadLetters();

    expect(invoke).toHaveBeenCalledTimes(2);
    expect(report.redriven).toHaveLength(1);
    expect(report.kept).toEqual([
      { messageId: expect.any(String), error: 'ProvisionedThroughputExceededException: Rate exceeded' },
    ]);
    expect(fixed.deadLetters.map((letter) => letter.event.detail.status)).toEqual(['TIMED_OUT']);
    expect(readdirSync(directory)).toHaveLength(1);
  });

  it('drops a message past its retention, and a half-written one, when the folder is read', () => {
    const sentAt = new Date('2026-11-01T00:00:00Z');
    new DeadLetterQueue({ retentionDays: 14, directory, now: () => sentAt }).send({ note: 'old' });
    writeFileSync(path.join(directory, 'cut-off.json.tmp'), '{"messa');

    const fifteenDaysLater = new DeadLetterQueue({
      retentionDays: 14,
      directory,
      now: () => new Date(sentAt.getTime() + 15 * 86_400_000),
    });

    expect(fifteenDaysLater.discarded).toEqual(['cut-off.json.tmp']);
    expect(fifteenDaysLater.list()).toEqual([]);
    expect(readdirSync(directory)).toEqual([]);
  });
});
