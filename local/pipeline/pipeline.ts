import '../polyfills';
import type { StateMachine, StateMachineDefinition } from 'aws-local-stepfunctions';
import { randomUUID } from 'node:crypto';
import { parseUploadKey } from '../../functions/shared/media';
import { isStepFunctionName, STEP_FUNCTION_TIMEOUT_SECONDS } from '../../infra/definitions/pipeline';
import { rulePattern } from '../../infra/definitions/pipeline-sources';
import {
  applyInputTransformer,
  loadInputTransformer,
  type InputTransformer,
} from '../../infra/definitions/input-transformer';
import { compileEventPattern, type EventMatcher } from '../events/event-pattern';
import type { EndedExecution, ExecutionEndStatus } from '../events/execution-status';
import type { ObjectCreatedEvent } from '../events/object-created';
import { runAsFunction } from '../iam/caller';
import { lambdaContext } from '../lambda-context';
import { loadDefinition, type TaskBinding } from './definition';
import { prepareStateMachine } from './state-machine';
import type { LambdaConcurrency } from './lambda-concurrency';
import { invokeAsLambda, LambdaFunctionError, withFunctionTimeout, type LambdaHandler } from './lambda-invoke';
import { applyHistoryEvent, type HistoryEvent } from './history';
import type { RunLog, RunOutcome, RunRecord } from './runs';

export type { LambdaHandler } from './lambda-invoke';

/**
 * Test-only fault injection: for a Task state, errors thrown INSTEAD of calling the handler, one
 * per invocation, in order, until used up. Lets a test prove that the ASL's own Retry handles a
 * transient `Lambda.ServiceException` without touching the handlers. A fault `afterHandler` is
 * thrown once the handler has run and done its work: the answer lost on its way back.
 */
export type FaultPlan = Record<string, Fault[]>;

/** One injected error (see {@link FaultPlan}). */
export interface Fault {
  name: string;
  message?: string;
  /** Thrown after the handler ran, instead of its answer. @default false: thrown instead of calling it */
  afterHandler?: boolean;
}

export interface PipelineOptions {
  aslPath: string;
  patternPath: string;
  /** The rule target's input transformer file (events/*.input.json): what each execution receives. */
  inputPath: string;
  bucketName: string;
  region: string;
  account: string;
  /** Resolves a function folder name (from the ASL placeholder) to its handler. */
  handlerFor(functionName: string): LambdaHandler;
  runLog: RunLog;
  /** Test-only: milliseconds to wait before each retry, per state, instead of the ASL's backoff. */
  retryIntervalOverrides?: Record<string, number | number[]>;
  faults?: FaultPlan;
  /**
   * Test-only: one Lambda timeout for every function instead of each function's own
   * (infra/definitions/pipeline.ts). An invocation still running at its timeout fails with
   * `Sandbox.Timedout`, as Lambda reports it.
   */
  functionTimeoutMs?: number;
  /** Execution environments per function; over the limit an invocation fails with Lambda.TooManyRequestsException. @default unlimited */
  concurrency?: LambdaConcurrency;
  /**
   * Step Functions' status-change event for each execution that ended (the twin's EventBridge
   * rule on it runs the execution watcher). Awaited before the run counts as done, so a stopping
   * twin settles what it aborted before its emulators close.
   */
  onExecutionEnded?(ended: EndedExecution, run: RunRecord): Promise<void>;
  /** Test-only: the execution's TimeoutSeconds instead of the ASL's (e.g. 1, to see a run time out). */
  executionTimeoutSeconds?: number;
  /**
   * Test-only: every event of every execution's history as it happens (state entered, retried,
   * failed...), as Step Functions' GetExecutionHistory lists them.
   */
  onHistoryEvent?(executionName: string, event: HistoryEvent): void;
  /** Keeps each running execution on disk until it ends (`--data-dir`), so a crash cannot lose it (local/recovery). */
  journal?: { started(name: string, input: unknown): void; ended(name: string): void };
}

const MACHINE_NAME = 'travel-guide-local-media-pipeline';

/** The status Step Functions gives an execution that did not succeed, from what the runner threw. */
function endStatusOf(error: unknown): Exclude<ExecutionEndStatus, 'SUCCEEDED'> {
  const name = error instanceof Error ? error.name : '';
  if (name === 'ExecutionAbortedError') return 'ABORTED';
  if (name === 'ExecutionTimeoutError') return 'TIMED_OUT';
  return 'FAILED';
}

function functionTimeoutMs(functionName: string): number {
  return (isStepFunctionName(functionName) ? STEP_FUNCTION_TIMEOUT_SECONDS[functionName] : 60) * 1000;
}

export class Pipeline {
  readonly tasks: TaskBinding[];
  private readonly machine: () => Promise<StateMachine>;
  private readonly matches: EventMatcher;
  private readonly transformer: InputTransformer;
  private readonly inFlight = new Map<string, { abort: () => void; done: Promise<void> }>();
  /** Executions a stop cut off but kept in the journal, to run again at the next start (see drain). */
  private readonly suspended = new Set<string>();
  private readonly remainingFaults: FaultPlan;
  private accepting = true;

  /** Reads and checks the ASL (an invalid one throws here), the rule's pattern and input transformer. */
  static async create(options: PipelineOptions): Promise<Pipeline> {
    const { definition, tasks } = loadDefinition(options.aslPath, options);
    if (options.executionTimeoutSeconds !== undefined) definition.TimeoutSeconds = options.executionTimeoutSeconds;
    // Built once for every run; validated only when this definition was never validated before.
    const machine = await prepareStateMachine(definition as unknown as StateMachineDefinition);
    return new Pipeline(options, tasks, machine);
  }

  private constructor(
    private readonly options: PipelineOptions,
    tasks: TaskBinding[],
    machine: () => Promise<StateMachine>,
  ) {
    this.tasks = tasks;
    this.machine = machine;
    // Filled as the stack fills it (infra/definitions/pipeline-sources.ts).
    this.matches = compileEventPattern(rulePattern(options.patternPath, { MediaBucketName: options.bucketName }));
    this.transformer = loadInputTransformer(options.inputPath);
    this.remainingFaults = Object.fromEntries(
      Object.entries(options.faults ?? {}).map(([state, list]) => [state, [...list]]),
    );
  }

  /** Loads the ASL runner now rather than on the first execution (the twin calls it once it is up). */
  warm(): void {
    this.machine().catch(() => undefined);
  }

  /** Test-only: queues one more injected error for a Task state (see FaultPlan). */
  injectFault(stateName: string, fault: Fault): void {
    if (!this.tasks.some((task) => task.stateName === stateName)) throw new Error(`No Task state named ${stateName}`);
    (this.remainingFaults[stateName] ??= []).push(fault);
  }

  get runningCount(): number {
    return this.inFlight.size;
  }

  /**
   * EventBridge's part: match the event against the rule pattern and, if it matches, start one
   * execution. Resolves when the run has finished (never rejects); undefined when the rule did
   * not match.
   */
  deliver(event: ObjectCreatedEvent): Promise<RunRecord | undefined> {
    const matched = this.accepting && this.matches(event);
    this.options.runLog.recordObjectEvent({
      key: event.detail.object.key,
      reason: event.detail.reason,
      sequencer: event.detail.object.sequencer,
      time: event.time,
      matched,
    });
    if (!matched) return Promise.resolve(undefined);
    // As the rule target does: the execution gets the transformed event, never the raw one.
    const input = applyInputTransformer(this.transformer, event);
    return this.start({
      input,
      eventId: event.id,
      key: event.detail.object.key,
      sequencer: event.detail.object.sequencer,
      event,
    });
  }

  private localHandlers(): Record<string, (input: unknown) => Promise<never>> {
    const { region, account } = this.options;
    return Object.fromEntries(
      this.tasks.map((task) => {
        const handler = this.options.handlerFor(task.functionName);
        const faults = (): Fault[] => this.remainingFaults[task.stateName] ?? [];
        const invoke = async (input: unknown): Promise<never> => {
          if (faults()[0]?.afterHandler !== true) {
            const fault = faults().shift();
            if (fault) throw new LambdaFunctionError(fault.name, fault.message ?? 'Injected test fault');
          }
          // Refused at once over the limit (throws Lambda.TooManyRequestsException): never queued.
          const release = this.options.concurrency?.acquire(task.functionName);
          const timeoutMs = this.options.functionTimeoutMs ?? functionTimeoutMs(task.functionName);
          const context = lambdaContext({
            functionName: `travel-guide-local-${task.functionName}`,
            region,
            account,
            timeoutMs,
          });
          // The function's AWS calls are its role's: the IAM guard reads who is calling from here.
          const invocation = runAsFunction({ fn: task.functionName, via: task.stateName }, () =>
            invokeAsLambda(handler, input, context),
          );
          // The environment stays busy until the handler has really returned, even past its timeout:
          // this process cannot stop a handler the way Lambda stops an environment.
          if (release) void invocation.then(release, release);
          const output = (await withFunctionTimeout(invocation, timeoutMs, context.awsRequestId)) as never;
          if (faults()[0]?.afterHandler === true) {
            const lost = faults().shift();
            if (lost)
              throw new LambdaFunctionError(lost.name, lost.message ?? 'Injected test fault after the handler ran');
          }
          return output;
        };
        return [task.stateName, invoke];
      }),
    );
  }

  /**
   * Step Functions' StartExecution: runs the machine on this input under this name, without the
   * rule (as `npm run redrive` does on AWS). A name already used is refused, as Step Functions
   * refuses it (ExecutionAlreadyExists).
   */
  startExecution(name: string, input: unknown): Promise<RunRecord> {
    const object = (input as { detail?: { object?: { key?: unknown; sequencer?: unknown } } } | null)?.detail?.object;
    if (typeof object?.key !== 'string' || typeof object.sequencer !== 'string') {
      throw new Error(
        'The input must be what the upload rule sends: {detail: {bucket, object: {key, size, etag, sequencer}}}',
      );
    }
    if (!/^[A-Za-z0-9_-]{1,80}$/.test(name))
      throw new Error(`Invalid execution name ${JSON.stringify(name)}: 1 to 80 letters, digits, "-" or "_"`);
    if (this.inFlight.has(name) || this.options.runLog.recent().some((run) => run.executionId === name)) {
      const error = new Error(`Execution ${name} already exists`);
      error.name = 'ExecutionAlreadyExists';
      throw error;
    }
    if (!this.accepting) throw new Error('The pipeline is stopping');
    // StartExecution passes its input as it is: no rule, no input transformer.
    return this.start({ input, eventId: name, key: object.key, sequencer: object.sequencer, event: input }, name);
  }

  /** The ARN Step Functions would give an execution of this name. */
  executionArn(name: string): string {
    return `arn:aws:states:${this.options.region}:${this.options.account}:execution:${MACHINE_NAME}:${name}`;
  }

  get stateMachineArn(): string {
    return Pipeline.stateMachineArnFor(this.options.region, this.options.account);
  }

  static stateMachineArnFor(region: string, account: string): string {
    return `arn:aws:states:${region}:${account}:stateMachine:${MACHINE_NAME}`;
  }

  /**
   * Step Functions' StopExecution: the running execution ends ABORTED (its status-change event
   * follows). False when no execution of this name is running.
   */
  stopExecution(name: string): boolean {
    const execution = this.inFlight.get(name);
    execution?.abort();
    return execution !== undefined;
  }

  private start(
    {
      input,
      eventId,
      key,
      sequencer,
      event,
    }: { input: unknown; eventId: string; key: string; sequencer: string; event: unknown },
    name?: string,
  ): Promise<RunRecord> {
    const executionId = name ?? randomUUID();
    const startedAt = Date.now();
    const run: RunRecord = {
      executionId,
      eventId,
      key,
      sequencer,
      mediaId: parseUploadKey(key)?.mediaId ?? null,
      startedAt: new Date(startedAt).toISOString(),
      endedAt: null,
      durationMs: null,
      outcome: 'RUNNING',
      executionStatus: 'RUNNING',
      steps: [],
      retries: 0,
      failure: null,
      event,
    };
    this.options.runLog.add(run);
    this.options.journal?.started(executionId, input);

    // A stop before the runner is loaded takes effect as soon as the execution exists.
    let aborted = false;
    let abort = (): void => {
      aborted = true;
    };
    let output: unknown = null;
    let thrown: { error: string; cause: string } | undefined;
    const done = (async () => {
      const machine = await this.machine();
      const execution = machine.run(input as never, {
        overrides: {
          taskResourceLocalHandlers: this.localHandlers(),
          ...(this.options.retryIntervalOverrides
            ? { retryIntervalOverrides: this.options.retryIntervalOverrides }
            : {}),
        },
        context: {
          Execution: {
            Id: this.executionArn(executionId),
            Name: executionId,
          },
        },
      });
      abort = execution.abort;
      if (aborted) execution.abort();
      const visited = new Set<string>();
      const history = (async () => {
        for await (const entry of execution.eventLogs) {
          applyHistoryEvent(entry as HistoryEvent, run, visited);
          this.options.onHistoryEvent?.(executionId, entry as HistoryEvent);
        }
      })();
      try {
        output = await execution.result;
        run.executionStatus = 'SUCCEEDED';
      } catch (error: unknown) {
        run.executionStatus = endStatusOf(error);
        if (run.executionStatus === 'FAILED' && error instanceof Error)
          thrown = { error: error.name, cause: error.message };
      }
      await history;
      run.outcome = outcomeOf(visited, output, run);
    })()
      .catch((error: unknown) => {
        // Anything the runner itself throws is still a recorded run, never an unhandled rejection.
        run.outcome = 'ERROR';
        run.executionStatus = 'FAILED';
        run.failure = {
          error: error instanceof Error ? error.name : 'Error',
          cause: error instanceof Error ? error.message : String(error),
        };
      })
      .finally(() => {
        run.endedAt = new Date().toISOString();
        run.durationMs = Date.now() - startedAt;
        this.options.runLog.finish(run);
        this.inFlight.delete(executionId);
        if (!this.suspended.has(executionId)) this.options.journal?.ended(executionId);
      })
      .then(async () => {
        const status = run.executionStatus;
        if (this.options.onExecutionEnded === undefined || status === 'RUNNING' || this.suspended.has(executionId))
          return;
        const failure = thrown ?? run.failure ?? undefined;
        await this.options
          .onExecutionEnded(
            {
              executionArn: this.executionArn(executionId),
              stateMachineArn: this.stateMachineArn,
              name: executionId,
              status,
              startDate: startedAt,
              stopDate: Date.now(),
              input,
              output,
              ...(status === 'FAILED' && failure ? { error: failure.error, cause: failure.cause } : {}),
            },
            run,
          )
          .catch(() => undefined);
      });
    this.inFlight.set(executionId, { abort: () => abort(), done });
    return done.then(() => run);
  }

  /**
   * Stops taking events, gives running executions `graceMs` to finish, then cuts off the rest.
   * With `suspend` (a twin that keeps its data), those stay in the journal and run again at the
   * next start, as Step Functions' executions outlive a host: nothing is ended ABORTED (which would
   * fail a good photo with PIPELINE_ABORTED) only because the twin stopped. Without it, they end
   * ABORTED and the watcher settles them.
   */
  async drain(graceMs: number, options: { suspend?: boolean } = {}): Promise<void> {
    this.accepting = false;
    const running = [...this.inFlight.values()];
    if (running.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, graceMs);
    });
    await Promise.race([Promise.all(running.map((r) => r.done)), grace]);
    clearTimeout(timer);
    for (const [name, execution] of this.inFlight) {
      if (options.suspend === true && this.options.journal !== undefined) this.suspended.add(name);
      execution.abort();
    }
    await Promise.all([...this.inFlight.values()].map((r) => r.done));
  }
}

/**
 * What happened to the media, read from the path the execution took through the ASL's own
 * states: IgnoreDuplicate (claim refused), RecordFailure (media FAILED), RecordResult (READY or
 * REJECTED by the Moderate branch's verdict; TakeDownRejected only follows REJECTED). The e2e tests fail if the ASL renames them.
 */
function outcomeOf(visited: Set<string>, output: unknown, run: RunRecord): RunOutcome {
  if (run.executionStatus === 'ABORTED' || run.executionStatus === 'TIMED_OUT') return 'ERROR';
  if (visited.has('IgnoreDuplicate')) return 'DUPLICATE';
  if (visited.has('RecordFailure')) return 'FAILED';
  // The record says REJECTED even when the takedown after it failed (the execution then fails and alarms).
  if (visited.has('TakeDownRejected')) return 'REJECTED';
  if (run.executionStatus === 'SUCCEEDED' && visited.has('RecordResult')) {
    const verdict = (output as { analysis?: { verdict?: string }[] } | null)?.analysis?.[1]?.verdict;
    return verdict === 'REJECTED' ? 'REJECTED' : 'READY';
  }
  return 'ERROR';
}
