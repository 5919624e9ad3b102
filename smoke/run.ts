import { performance } from 'node:perf_hooks';

/**
 * One smoke run: its steps, timed and recorded in order, and the undo actions that must run
 * whatever happens (delete the article, the user, the queue...). A failed step ends its journey
 * only; `cleanUp()` runs every registered undo, newest first, and records each as a step too.
 */

export type StepResult = 'ok' | 'FAILED';

export interface StepRecord {
  step: string;
  result: StepResult;
  ms: number;
  /** What the step saw (ok) or why it failed (FAILED). */
  detail: string;
}

/** Thrown by {@link SmokeRun.step} once the failure is recorded, to end the journey. */
export class StepFailedError extends Error {
  constructor(
    readonly step: string,
    message: string,
  ) {
    super(`${step}: ${message}`);
    this.name = 'StepFailedError';
  }
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
    return `${error.name !== 'Error' && !error.message.includes(error.name) ? `${error.name}: ` : ''}${error.message}${cause}`;
  }
  return String(error);
}

type Undo = { name: string; action: (note: (detail: string) => void) => Promise<unknown>; phase: number };

export class SmokeRun {
  readonly records: StepRecord[] = [];
  /** Things the run created and could not remove, named for the operator. */
  readonly leftBehind: string[] = [];
  private readonly undos: Undo[] = [];

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** Runs and times one step. On failure the reason is recorded and a StepFailedError thrown. */
  async step<T>(name: string, action: (note: (detail: string) => void) => Promise<T>): Promise<T> {
    const started = this.now();
    let detail = '';
    try {
      const value = await action((text) => {
        detail = text;
      });
      this.records.push({ step: name, result: 'ok', ms: this.now() - started, detail });
      return value;
    } catch (error: unknown) {
      const message = errorMessage(error);
      this.records.push({ step: name, result: 'FAILED', ms: this.now() - started, detail: message });
      throw new StepFailedError(name, message);
    }
  }

  /**
   * Registers an undo for something just created; {@link cleanUp} runs it whatever happens later.
   * Undos run by phase (lowest first), newest first within a phase: an article goes before the
   * media it may use as its cover (phase 1), and the user whose token the others use goes last
   * (phase 2).
   */
  onCleanUp(name: string, action: Undo['action'], phase = 0): void {
    this.undos.push({ name, action, phase });
  }

  /** Runs a journey. A failed step ends this journey; the next journeys do not depend on it. */
  async journey(body: () => Promise<void>): Promise<boolean> {
    try {
      await body();
      return true;
    } catch (error: unknown) {
      if (error instanceof StepFailedError) return false;
      // A bug outside any step still shows in the table instead of being lost.
      this.records.push({ step: 'journey', result: 'FAILED', ms: 0, detail: errorMessage(error) });
      return false;
    }
  }

  /** Runs every registered undo (see {@link onCleanUp} for the order); one failing does not stop the others. */
  async cleanUp(): Promise<void> {
    const ordered = this.undos.splice(0).map((undo, index) => ({ undo, index }));
    ordered.sort((a, b) => a.undo.phase - b.undo.phase || b.index - a.index);
    for (const { undo } of ordered) {
      try {
        await this.step(undo.name, undo.action);
      } catch {
        this.leftBehind.push(`${undo.name} failed: see the table`);
      }
    }
  }

  get failures(): StepRecord[] {
    return this.records.filter((record) => record.result === 'FAILED');
  }

  get passed(): boolean {
    return this.records.length > 0 && this.failures.length === 0;
  }
}

function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

function clip(text: string, length: number): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > length ? `${line.slice(0, length - 3)}...` : line;
}

/**
 * The report: a table (step, result, time, what was seen), then one line per failure in full
 * (`FAILED: <step>: <reason>`), what was left behind, and the verdict.
 */
export function formatReport(run: SmokeRun, target: string): string {
  const stepWidth = Math.max(4, ...run.records.map((record) => record.step.length));
  const row = (step: string, result: string, time: string, detail: string): string =>
    `${step.padEnd(stepWidth)}  ${result.padEnd(6)}  ${time.padStart(8)}  ${detail}`.trimEnd();
  const lines = [
    `Smoke test against ${target}`,
    '',
    row('step', 'result', 'time', 'seen'),
    row('-'.repeat(stepWidth), '------', '--------', '----'),
  ];
  for (const record of run.records)
    lines.push(row(record.step, record.result, formatMs(record.ms), clip(record.detail, 90)));
  lines.push('');
  for (const failure of run.failures) lines.push(`FAILED: ${failure.step}: ${failure.detail}`);
  for (const left of run.leftBehind) lines.push(`Left behind: ${left}`);
  const total = run.records.reduce((sum, record) => sum + record.ms, 0);
  lines.push(
    run.passed
      ? `PASSED: ${run.records.length} steps in ${formatMs(total)}`
      : `FAILED: ${run.failures.length} of ${run.records.length} steps failed`,
  );
  return `${lines.join('\n')}\n`;
}
