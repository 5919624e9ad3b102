import { randomUUID } from 'node:crypto';
import { DEAD_LETTER_RETENTION_DAYS } from '../../infra/definitions/pipeline';
import { rulePattern } from '../../infra/definitions/pipeline-sources';
import { DeadLetterQueue } from './dead-letter-queue';
import { compileEventPattern, type EventMatcher } from './event-pattern';

/**
 * Step Functions' "Execution Status Change" events, as the twin's executions end, and the rule
 * that sends them to the execution watcher: the same pattern file CDK deploys
 * (events/execution-ended.pattern.json), matched by the twin's EventBridge matcher, and a target
 * invoked the way EventBridge invokes a Lambda function (asynchronously: Lambda retries a failed
 * invocation twice, then sends the event to the function's dead-letter queue, which keeps it
 * until it is re-driven or its retention runs out).
 * See https://docs.aws.amazon.com/step-functions/latest/dg/eventbridge-integration.html
 */

/** Every status an execution can end in, as Step Functions names it. */
export type ExecutionEndStatus = 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

/** One ended execution, as the twin's pipeline reports it. */
export interface EndedExecution {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionEndStatus;
  startDate: number;
  stopDate: number;
  /** The execution's input (the transformed upload event). */
  input: unknown;
  output: unknown;
  error?: string;
  cause?: string;
}

/** The event Step Functions sends to EventBridge's default bus when an execution changes status. */
export interface ExecutionStatusChangeEvent {
  version: '0';
  id: string;
  'detail-type': 'Step Functions Execution Status Change';
  source: 'aws.states';
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: {
    executionArn: string;
    stateMachineArn: string;
    name: string;
    status: ExecutionEndStatus;
    startDate: number;
    stopDate: number;
    /** Input and output are JSON strings, as Step Functions sends them. */
    input: string;
    output: string | null;
    inputDetails: { included: boolean };
    outputDetails: { included: boolean } | null;
    error: string | null;
    cause: string | null;
  };
}

export function executionStatusChangeEvent(
  ended: EndedExecution,
  where: { region: string; account: string },
): ExecutionStatusChangeEvent {
  const output = ended.status === 'SUCCEEDED' ? JSON.stringify(ended.output ?? null) : null;
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Step Functions Execution Status Change',
    source: 'aws.states',
    account: where.account,
    time: new Date(ended.stopDate).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: where.region,
    resources: [ended.executionArn],
    detail: {
      executionArn: ended.executionArn,
      stateMachineArn: ended.stateMachineArn,
      name: ended.name,
      status: ended.status,
      startDate: ended.startDate,
      stopDate: ended.stopDate,
      input: JSON.stringify(ended.input ?? {}),
      output,
      inputDetails: { included: true },
      outputDetails: output === null ? null : { included: true },
      error: ended.error ?? null,
      cause: ended.cause ?? null,
    },
  };
}

/** What became of one event the rule matched. */
export interface TargetDelivery {
  event: ExecutionStatusChangeEvent;
  /** Invocations made: 1, plus Lambda's retries after a function error. */
  attempts: number;
  /** The function's answer, when an attempt succeeded. */
  result?: unknown;
  /** The last attempt's error, when every attempt failed and the event went to the dead-letter queue. */
  error?: string;
}

/** An event the target could not take after its retries, as the dead-letter queue keeps it. */
export interface DeadLetter {
  event: ExecutionStatusChangeEvent;
  error: string;
  at: string;
}

export interface ExecutionEndedRuleOptions {
  patternPath: string;
  stateMachineArn: string;
  region: string;
  account: string;
  /** Invokes the target function once (throws what the function threw). */
  invoke(event: ExecutionStatusChangeEvent): Promise<unknown>;
  /** Waits before Lambda's two retries of an asynchronous invocation. @default [1000, 2000] (Lambda: about 1 and 2 minutes) */
  retryDelaysMs?: readonly number[];
  /** The function's dead-letter queue. @default one in memory, keeping messages DEAD_LETTER_RETENTION_DAYS */
  deadLetterQueue?: DeadLetterQueue<DeadLetter>;
}

/** What a re-drive of the dead-letter queue did: messages whose event the target took (deleted), and those kept. */
export interface DeadLetterRedrive {
  redriven: string[];
  kept: { messageId: string; error: string }[];
}

export class ExecutionEndedRule {
  private readonly matches: EventMatcher;
  /** Events the target could not take: the watcher's dead-letter queue. */
  readonly deadLetterQueue: DeadLetterQueue<DeadLetter>;

  constructor(private readonly options: ExecutionEndedRuleOptions) {
    this.deadLetterQueue =
      options.deadLetterQueue ?? new DeadLetterQueue<DeadLetter>({ retentionDays: DEAD_LETTER_RETENTION_DAYS });
    // Filled as the stack fills it (infra/definitions/pipeline-sources.ts).
    this.matches = compileEventPattern(rulePattern(options.patternPath, { StateMachineArn: options.stateMachineArn }));
  }

  /** Step Functions' part (the event) and EventBridge's (the rule); undefined when the rule does not match. */
  executionEnded(ended: EndedExecution): Promise<TargetDelivery | undefined> {
    return this.deliver(executionStatusChangeEvent(ended, this.options));
  }

  /**
   * EventBridge's part for one event: the rule's pattern, then the target with Lambda's retries
   * and dead-letter queue. Also how a test sends an event again, late or twice, as EventBridge may.
   */
  async deliver(event: ExecutionStatusChangeEvent): Promise<TargetDelivery | undefined> {
    if (!this.matches(event)) return undefined;
    const delays = this.options.retryDelaysMs ?? [1000, 2000];
    let lastError = '';
    for (let attempt = 1; attempt <= delays.length + 1; attempt++) {
      try {
        return { event, attempts: attempt, result: await this.options.invoke(event) };
      } catch (error: unknown) {
        lastError = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        const delay = delays[attempt - 1];
        if (delay !== undefined) await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
    this.deadLetterQueue.send({ event, error: lastError, at: new Date().toISOString() });
    return { event, attempts: delays.length + 1, error: lastError };
  }

  /** The events in the dead-letter queue, oldest first. */
  get deadLetters(): DeadLetter[] {
    return this.deadLetterQueue.list().map((message) => message.body);
  }

  /**
   * What an operator does with the queue on AWS (README "Re-drive the dead-letter queues"): each
   * message's event is given to the function once, synchronously, and the message deleted if the
   * function took it. The watcher's write is conditional, so a late or repeated event is harmless.
   */
  async redriveDeadLetters(): Promise<DeadLetterRedrive> {
    const report: DeadLetterRedrive = { redriven: [], kept: [] };
    for (const message of this.deadLetterQueue.list()) {
      try {
        await this.options.invoke(message.body.event);
        this.deadLetterQueue.delete(message.messageId);
        report.redriven.push(message.messageId);
      } catch (error: unknown) {
        report.kept.push({
          messageId: message.messageId,
          error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
        });
      }
    }
    return report;
  }
}
