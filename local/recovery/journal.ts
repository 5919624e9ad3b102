import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The twin's executions, made durable as Step Functions' are: with `--data-dir`, every running
 * execution is one small file (`executions/<name>.json`: its name and input), written before the
 * execution starts and removed when it ends. What is left after a crash are the executions the
 * crash interrupted; the next start runs them again under the same name (see recover.ts).
 */

export interface JournaledExecution {
  name: string;
  input: unknown;
}

export class ExecutionJournal {
  constructor(private readonly directory: string) {
    mkdirSync(directory, { recursive: true });
  }

  private file(name: string): string {
    return join(this.directory, `${name}.json`);
  }

  started(name: string, input: unknown): void {
    // Written whole, then renamed: a crash never leaves half an entry under the final name.
    const temporary = `${this.file(name)}.tmp`;
    writeFileSync(temporary, JSON.stringify({ name, input } satisfies JournaledExecution));
    renameSync(temporary, this.file(name));
  }

  ended(name: string): void {
    rmSync(this.file(name), { force: true });
  }

  /**
   * The executions a crash interrupted. A temporary file (the crash came while it was written:
   * that execution never started) or an unreadable entry is removed, and named in `discarded`.
   */
  interrupted(): { executions: JournaledExecution[]; discarded: string[] } {
    const executions: JournaledExecution[] = [];
    const discarded: string[] = [];
    for (const entry of readdirSync(this.directory).sort()) {
      const path = join(this.directory, entry);
      let parsed: Partial<JournaledExecution> | undefined;
      try {
        parsed = entry.endsWith('.json')
          ? (JSON.parse(readFileSync(path, 'utf8')) as Partial<JournaledExecution>)
          : undefined;
      } catch {
        parsed = undefined;
      }
      if (parsed !== undefined && typeof parsed.name === 'string' && parsed.input !== undefined)
        executions.push({ name: parsed.name, input: parsed.input });
      else {
        rmSync(path, { force: true });
        discarded.push(entry);
      }
    }
    return { executions, discarded };
  }
}
