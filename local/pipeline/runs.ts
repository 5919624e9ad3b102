import { CLAIM_REFUSALS, type ClaimRefusal } from '../../functions/record/record';
import type { TargetDelivery } from '../events/execution-status';

/**
 * The twin's execution history: the local counterpart of the Step Functions console and the
 * CloudWatch dashboard. Recent runs only (a ring buffer); counts cover the whole session.
 */

export const OUTCOMES = ['RUNNING', 'READY', 'REJECTED', 'FAILED', 'DUPLICATE', 'ERROR'] as const;
export type RunOutcome = (typeof OUTCOMES)[number];

export interface StepTiming {
  name: string;
  startedAt: string;
  durationMs: number | null;
  /** Attempts made (1 + retries). */
  attempts: number;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CAUGHT';
  error?: string;
}

export interface RunRecord {
  executionId: string;
  eventId: string;
  key: string;
  sequencer: string;
  mediaId: string | null;
  startedAt: string;
  endedAt: string | null;
  durationMs: number | null;
  /** What happened to the media: READY/REJECTED/FAILED, DUPLICATE (claim refused, run ended at IgnoreDuplicate), ERROR (no media record could be written). */
  outcome: RunOutcome;
  /** Why MarkProcessing refused the claim (its `$.claim.reason`); only on a refused run. */
  refusal?: ClaimRefusal;
  /** The Step Functions execution status. A FAILED media record can come from a SUCCEEDED execution (a bad upload is the user's problem). */
  executionStatus: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';
  steps: StepTiming[];
  retries: number;
  /** Retries by the retrier that made them, named by its ErrorEquals (e.g. `Lambda.TooManyRequestsException`). */
  retriesBy?: Record<string, number>;
  failure: { error: string; cause: string } | null;
  /** The EventBridge event that started the run (what a replay would send again). */
  event: unknown;
  /**
   * What the execution watcher did with this execution's status-change event (FAILED, TIMED_OUT
   * or ABORTED only): its answer, or the error that sent the event to its dead-letter queue.
   */
  watcher?: TargetDelivery;
}

export interface EventCounters {
  received: number;
  matched: number;
  ignored: number;
}

/** One "Object Created" event the bucket sent, matched by the rule or not. */
export interface ObjectEventRecord {
  key: string;
  reason: string;
  sequencer: string;
  time: string;
  matched: boolean;
}

export class RunLog {
  private readonly runs: RunRecord[] = [];
  private readonly totals = new Map<RunOutcome, number>();
  private readonly refusalTotals = new Map<ClaimRefusal, number>();
  readonly events: EventCounters = { received: 0, matched: 0, ignored: 0 };
  private readonly objectEvents: ObjectEventRecord[] = [];

  constructor(private readonly capacity = 200) {}

  add(run: RunRecord): void {
    this.runs.unshift(run);
    if (this.runs.length > this.capacity) this.runs.length = this.capacity;
  }

  /** Counts a finished run once, by its final outcome. */
  finish(run: RunRecord): void {
    this.totals.set(run.outcome, (this.totals.get(run.outcome) ?? 0) + 1);
    if (run.refusal !== undefined) this.refusalTotals.set(run.refusal, (this.refusalTotals.get(run.refusal) ?? 0) + 1);
  }

  /** Refused runs by reason, like the ClaimsRefused metric on AWS; they add up to the DUPLICATE count. */
  refusals(): Record<ClaimRefusal, number> {
    return Object.fromEntries(CLAIM_REFUSALS.map((reason) => [reason, this.refusalTotals.get(reason) ?? 0])) as Record<
      ClaimRefusal,
      number
    >;
  }

  recordObjectEvent(record: ObjectEventRecord): void {
    this.events.received++;
    if (record.matched) this.events.matched++;
    else this.events.ignored++;
    this.objectEvents.unshift(record);
    if (this.objectEvents.length > this.capacity * 4) this.objectEvents.length = this.capacity * 4;
  }

  /** Recent bucket events, newest first (derived objects included: they are ignored by the rule). */
  recentObjectEvents(): readonly ObjectEventRecord[] {
    return this.objectEvents;
  }

  recent(): readonly RunRecord[] {
    return this.runs;
  }

  counts(): Record<RunOutcome, number> {
    const running = this.runs.filter((r) => r.outcome === 'RUNNING').length;
    const counts = Object.fromEntries(OUTCOMES.map((o) => [o, this.totals.get(o) ?? 0])) as Record<RunOutcome, number>;
    counts.RUNNING = running;
    return counts;
  }

  snapshot(): {
    counts: Record<RunOutcome, number>;
    refusals: Record<ClaimRefusal, number>;
    events: EventCounters;
    runs: readonly RunRecord[];
    objectEvents: readonly ObjectEventRecord[];
  } {
    return {
      counts: this.counts(),
      refusals: this.refusals(),
      events: { ...this.events },
      runs: this.runs,
      objectEvents: this.objectEvents,
    };
  }
}
