import { spawn } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
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
