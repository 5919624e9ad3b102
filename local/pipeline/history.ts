import { CLAIM_REFUSALS, type ClaimRefusal } from '../../functions/record/record';
import type { RunRecord, StepTiming } from './runs';

/** The subset of aws-local-stepfunctions' event log that the run record is built from. */
export interface HistoryEvent {
  type: string;
  timestamp: number;
  /** `output` (on StateExited) is the state's output after its ResultPath. */
  state?: { name: string; output?: unknown };
  Error?: string;
  Cause?: unknown;
  /** On StateRetried: the retrier that matched (its ErrorEquals name the errors it retries). */
  retry?: { retrier?: { ErrorEquals?: string[] } };
}

function causeText(cause: unknown): string {
  let text = typeof cause === 'string' ? cause : cause === undefined ? '' : JSON.stringify(cause);
  try {
    const parsed: unknown = JSON.parse(text);
    // Lambda errors carry {"errorType","errorMessage"} as their cause: show the message.
    if (typeof parsed === 'object' && parsed !== null && 'errorMessage' in parsed) text = String(parsed.errorMessage);
  } catch {
    // A plain-text cause (Fail states, runtime errors) is shown as it is.
  }
  return text;
}

/** The ASL state that claims the upload; its output carries `$.claim` (ClaimResult). */
const CLAIM_STATE = 'MarkProcessing';
const REFUSALS: ReadonlySet<string> = new Set(CLAIM_REFUSALS);

/** The reason of a refused claim in MarkProcessing's output, if it was refused. */
function refusalOf(output: unknown): ClaimRefusal | undefined {
  if (typeof output !== 'object' || output === null) return undefined;
  const claim: unknown = (output as { claim?: unknown }).claim;
  if (typeof claim !== 'object' || claim === null) return undefined;
  const { proceed, reason } = claim as { proceed?: unknown; reason?: unknown };
  if (proceed !== false || typeof reason !== 'string' || !REFUSALS.has(reason)) return undefined;
  return reason as ClaimRefusal;
}

function openStep(run: RunRecord, name: string): StepTiming | undefined {
  for (let i = run.steps.length - 1; i >= 0; i--) {
    const step = run.steps[i];
    if (step?.name === name) return step;
  }
  return undefined;
}

/**
 * Folds one execution event into the run: a step per state entered, with its duration, attempts
 * (retries) and how it ended; the caught or final error becomes the run's failure reason.
 */
export function applyHistoryEvent(event: HistoryEvent, run: RunRecord, visited: Set<string>): void {
  const name = event.state?.name;
  switch (event.type) {
    case 'StateEntered':
      if (name === undefined) return;
      visited.add(name);
      run.steps.push({
        name,
        startedAt: new Date(event.timestamp).toISOString(),
        durationMs: null,
        attempts: 1,
        status: 'RUNNING',
      });
      return;
    case 'StateRetried': {
      const step = name === undefined ? undefined : openStep(run, name);
      if (step) step.attempts++;
      run.retries++;
      const retried = event.retry?.retrier?.ErrorEquals?.join(' | ') ?? 'unknown';
      run.retriesBy = { ...run.retriesBy, [retried]: (run.retriesBy?.[retried] ?? 0) + 1 };
      return;
    }
    case 'StateFailed': {
      const step = name === undefined ? undefined : openStep(run, name);
      if (step) {
        step.status = 'FAILED';
        step.error = event.Error ?? 'Error';
        step.durationMs = event.timestamp - Date.parse(step.startedAt);
      }
      // The last error before RecordFailure is the reason the media failed; later Fail states only restate it.
      if (!visited.has('RecordFailure') || run.failure === null) {
        run.failure = { error: event.Error ?? 'Error', cause: causeText(event.Cause) };
      }
      return;
    }
    case 'StateCaught': {
      const step = name === undefined ? undefined : openStep(run, name);
      if (step) step.status = 'CAUGHT';
      return;
    }
    case 'StateExited': {
      if (name === CLAIM_STATE) {
        const refusal = refusalOf(event.state?.output);
        if (refusal !== undefined) run.refusal = refusal;
      }
      const step = name === undefined ? undefined : openStep(run, name);
      if (!step) return;
      step.durationMs = event.timestamp - Date.parse(step.startedAt);
      if (step.status !== 'CAUGHT') {
        step.status = 'SUCCEEDED';
        delete step.error;
      }
      return;
    }
    case 'ExecutionFailed':
      if (run.failure === null) run.failure = { error: event.Error ?? 'Error', cause: causeText(event.Cause) };
      return;
    default:
      return;
  }
}
