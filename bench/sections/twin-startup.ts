import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { REPO_ROOT } from '../lib/paths';

/**
 * Start-up of the twin as a user gets it: `npm start` in a new process (npm's own start included),
 * on free ports, until `GET /_local/health` answers `ready: true` (the API answers, the S3 and
 * DynamoDB emulators answer, the tables exist). The functions are not loaded yet then: each loads
 * on its first invocation, as a Lambda cold start, so the first `GET /articles` after it is timed
 * too. Each start is then stopped with SIGTERM, as Ctrl-C would.
 */

export interface TwinStartupSample {
  /** From spawning `npm start` to the first `ready: true` from /_local/health. */
  wallToHealthyMs: number;
  /** The twin's own "Started in" line: startTwin() from entry to return (imports excluded). */
  startedInMs: number;
  /** The first `GET /articles?limit=1` once ready: the articles function's cold start and its first call. */
  firstArticlesMs: number;
}

export interface TwinStartupResult {
  warmup: TwinStartupSample;
  samples: TwinStartupSample[];
}

const PORT_NAMES = ['PORT', 'S3_PORT', 'DYNAMODB_PORT', 'WEB_PORT', 'SECRETS_MANAGER_PORT'] as const;
/** One start may take this long on a loaded machine before the section gives up. */
const START_TIMEOUT_MS = 120_000;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no free port');
  return address.port;
}

async function healthy(url: string): Promise<boolean> {
  try {
    const response = await fetch(url);
    return response.ok && ((await response.json()) as { ready?: unknown }).ready === true;
  } catch {
    return false;
  }
}

async function startOnce(): Promise<TwinStartupSample> {
  const ports = Object.fromEntries(
    await Promise.all(PORT_NAMES.map(async (name) => [name, String(await freePort())] as const)),
  );
  const startedAt = performance.now();
  // Its own process group, so that the stop reaches npm, the twin and esbuild's service alike.
  const child = spawn('npm', ['start'], {
    cwd: REPO_ROOT,
    // In memory and with IAM enforced, as `npm start` runs by default.
    env: { ...process.env, ...ports, LOCAL_DATA_DIR: '', IAM: undefined },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  const collect = (chunk: Buffer): void => {
    output += chunk.toString('utf8');
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let ended = false;
  void exited.then(() => (ended = true));
  const stop = async (): Promise<void> => {
    if (!ended && child.pid !== undefined) process.kill(-child.pid, 'SIGTERM');
    await exited;
  };
  try {
    const healthUrl = `http://127.0.0.1:${ports.PORT}/_local/health`;
    let wallToHealthyMs: number | undefined;
    while (wallToHealthyMs === undefined) {
      if (ended) throw new Error(`npm start ended before it was healthy:\n${output.slice(-2000)}`);
      if (performance.now() - startedAt > START_TIMEOUT_MS) throw new Error('npm start: not healthy in 120 s');
      if (await healthy(healthUrl)) wallToHealthyMs = performance.now() - startedAt;
      else await new Promise((resolve) => setTimeout(resolve, 20));
    }
    // The banner follows the API's first answers by a few milliseconds (recovery, front end).
    let startedInMs: number | undefined;
    while (startedInMs === undefined) {
      const match = /Started in\s+(\d+) ms/.exec(output);
      if (match) startedInMs = Number(match[1]);
      else if (ended || performance.now() - startedAt > START_TIMEOUT_MS)
        throw new Error(`npm start printed no "Started in":\n${output.slice(-2000)}`);
      else await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const firstCallAt = performance.now();
    const articles = await fetch(`http://127.0.0.1:${ports.PORT}/articles?limit=1`);
    await articles.arrayBuffer();
    if (articles.status !== 200) throw new Error(`GET /articles answered ${articles.status}:\n${output.slice(-2000)}`);
    const firstArticlesMs = performance.now() - firstCallAt;
    return { wallToHealthyMs, startedInMs, firstArticlesMs };
  } finally {
    await stop();
  }
}

/** One warm-up start (it also builds the IAM cache after a change to infra/ or functions/), then `runs` counted. */
export async function measureTwinStartup(runs: number): Promise<TwinStartupResult> {
  const warmup = await startOnce();
  const samples: TwinStartupSample[] = [];
  for (let i = 0; i < runs; i++) samples.push(await startOnce());
  return { warmup, samples };
}
