import { spawn, type ChildProcess } from 'node:child_process';
import { REPO_ROOT, TWIN_START_SCRIPT } from '../lib/paths';

/**
 * A twin started the way a user starts it (`npm start`, i.e. `node local/start.cjs`) in its own
 * process, on free ports, with the given environment (LAMBDA_CONCURRENCY, REKOGNITION_TPS ...).
 */
export interface TwinProcess {
  apiUrl: string;
  /** The start banner, as `npm start` prints it. */
  banner: string;
  stop(): Promise<void>;
}

export async function startTwinProcess(env: Record<string, string>): Promise<TwinProcess> {
  const child: ChildProcess = spawn(process.execPath, [TWIN_START_SCRIPT], {
    cwd: REPO_ROOT,
    env: { ...process.env, PORT: '0', S3_PORT: '0', DYNAMODB_PORT: '0', LOG_LEVEL: 'ERROR', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let errors = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    errors = (errors + chunk.toString('utf8')).slice(-4000);
  });
  const apiUrl = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      const match = /REST API\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match?.[1] !== undefined && output.includes('Press Ctrl-C')) {
        child.stdout?.off('data', onData);
        // Keep draining stdout so the child never blocks on a full pipe.
        child.stdout?.on('data', () => undefined);
        resolve(match[1]);
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) =>
      reject(new Error(`The twin exited with ${code} before it was ready: ${errors.trim()}`)),
    );
    child.once('error', reject);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    apiUrl,
    banner: output,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGINT');
      await exited;
    },
  };
}
