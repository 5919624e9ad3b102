/*
 * Reads a rendered ASL definition and bounds how long one execution can take, from the ASL
 * alone: along the longest path, each Task costs its TimeoutSeconds for every attempt that runs
 * the function, plus the longest wait of every retry. Attempts that Lambda refuses
 * (Lambda.TooManyRequestsException) end at once and cost only their wait.
 */

export interface AslRetrier {
  ErrorEquals: string[];
  IntervalSeconds?: number;
  MaxAttempts?: number;
  BackoffRate?: number;
  MaxDelaySeconds?: number;
}

export interface AslState {
  Type: string;
  Resource?: string;
  TimeoutSeconds?: number;
  Next?: string;
  End?: boolean;
  Default?: string;
  Choices?: { Next: string }[];
  Catch?: { Next: string }[];
  Retry?: AslRetrier[];
  Branches?: AslMachine[];
}

export interface AslMachine {
  StartAt: string;
  TimeoutSeconds?: number;
  States: Record<string, AslState>;
}

const REFUSED_AT_ONCE = 'Lambda.TooManyRequestsException';

/** The longest a retrier can wait in total: every wait at its maximum (FULL jitter only shortens them). */
export function retryWaitSeconds(retrier: AslRetrier): number {
  const attempts = retrier.MaxAttempts ?? 3;
  let total = 0;
  for (let k = 0; k < attempts; k++) {
    const wait = (retrier.IntervalSeconds ?? 1) * (retrier.BackoffRate ?? 2) ** k;
    total += Math.min(wait, retrier.MaxDelaySeconds ?? Number.POSITIVE_INFINITY);
  }
  return total;
}

function taskSeconds(state: AslState): number {
  const timeout = state.TimeoutSeconds ?? 60;
  let runs = 1;
  let waits = 0;
  for (const retrier of state.Retry ?? []) {
    waits += retryWaitSeconds(retrier);
    if (!retrier.ErrorEquals.every((error) => error === REFUSED_AT_ONCE)) runs += retrier.MaxAttempts ?? 3;
  }
  return runs * timeout + waits;
}

function stateSeconds(state: AslState): number {
  if (state.Type === 'Task') return taskSeconds(state);
  if (state.Type === 'Parallel')
    return Math.max(0, ...(state.Branches ?? []).map((branch) => worstCaseSeconds(branch))) + taskRetries(state);
  return 0;
}

function taskRetries(state: AslState): number {
  return (state.Retry ?? []).reduce((sum, retrier) => sum + retryWaitSeconds(retrier), 0);
}

/** Longest path from StartAt (the definition is acyclic: no state loops back). */
export function worstCaseSeconds(machine: AslMachine): number {
  const memo = new Map<string, number>();
  const from = (name: string, visiting: Set<string>): number => {
    const known = memo.get(name);
    if (known !== undefined) return known;
    if (visiting.has(name)) throw new Error(`The definition loops at ${name}: no finite worst case`);
    const state = machine.States[name];
    if (state === undefined) throw new Error(`No state named ${name}`);
    const nextStates = [
      state.Next,
      state.Default,
      ...(state.Choices ?? []).map((c) => c.Next),
      ...(state.Catch ?? []).map((c) => c.Next),
    ].filter((next): next is string => next !== undefined);
    const inner = new Set(visiting).add(name);
    const seconds = stateSeconds(state) + Math.max(0, ...nextStates.map((next) => from(next, inner)));
    memo.set(name, seconds);
    return seconds;
  };
  return from(machine.StartAt, new Set());
}
