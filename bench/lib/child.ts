import { spawn } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BENCH_TMP } from './paths';

/**
 * Runs one benchmark section in a fresh Node process (through tsx) and returns the JSON it wrote.
 *
 * Why a child: the handlers create their SDK clients and read their environment once per process
 * (as in Lambda), the twin refuses a second start in one process, and peak RSS is only meaningful
 * for a process that did nothing else.
 */
export async function runChild<T>(script: string, args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<T> {
  const resultFile = join(BENCH_TMP, `result-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}.json`);
  const child = spawn(process.execPath, ['--import', 'tsx', script, resultFile, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (exitCode) => resolve(exitCode));
  });
  if (code !== 0) {
    throw new Error(`${script} exited with ${code}: ${stderr.trim().split('\n').slice(-15).join('\n')}`);
  }
  const text = await readFile(resultFile, 'utf8');
  await rm(resultFile, { force: true });
  return JSON.parse(text) as T;
}

/**
 * The child's side of runChild: runs `measure` with the arguments after the result file, writes
 * what it returns there as JSON, and exits (1 with the stack on stderr when it throws).
 */
export function runAsChild<T>(measure: (args: string[]) => Promise<T>): void {
  const [resultFile, ...args] = process.argv.slice(2);
  const run = async (): Promise<void> => {
    if (resultFile === undefined) throw new Error('usage: <section> resultFile ...');
    await writeFile(resultFile, JSON.stringify(await measure(args)));
  };
  run().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    },
  );
}
