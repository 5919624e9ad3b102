import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { REDRIVABLE_CODES } from '../../functions/record/record';
import { TERMINAL_STATUSES, uploadKeyFor } from '../../functions/shared/media';
import { EMULATOR_ACCESS_KEY_ID, EMULATOR_SECRET_ACCESS_KEY, MEDIA_BUCKET_NAME } from '../../local/settings';
import * as api from '../../smoke/api-client';
import { send } from '../../smoke/http';
import { REPO_ROOT, TWIN_START_SCRIPT } from '../lib/paths';

/**
 * A crash run: a real twin process (`npm start -- --data-dir DIR`), a burst of uploads, `kill -9`
 * at a chosen moment, a restart on the same folder; again for each moment; then a last restart,
 * after which every media must reach a final state, the twin must be healthy, and no object that
 * was complete may be missing. `npm run crash` (bench/crash.ts) and test/e2e/crash-recovery.test.ts
 * both run it.
 */

/** When the kill comes, relative to one burst. */
export const KILL_MOMENTS = ['accepted', 'uploading', 'processing', 'recovering', 'stopped'] as const;
export type KillMoment = (typeof KILL_MOMENTS)[number];

export const KILL_MOMENT_DESCRIPTIONS: Record<KillMoment, string> = {
  accepted: 'right after every upload of the burst was answered (their runs have just started)',
  uploading: 'while the burst is being sent (once half of its uploads were answered)',
  processing: 'while the burst is processing (once a third of its media are final)',
  recovering: 'right after a restart, while it runs again what the previous kill interrupted (no new burst)',
  stopped:
    'not a kill: Ctrl-C (SIGINT, a graceful stop) while the burst is processing (once a third of its media are final)',
};

/** The user every burst uploads as (the twin's daily upload quota is raised for the run). */
export const CRASH_USER = 'alice';

export interface CrashPorts {
  api: number;
  s3: number;
  dynamodb: number;
}

interface TwinProcess {
  child: ChildProcess;
  apiUrl: string;
  output: () => string;
  /** Spawn to "Press Ctrl-C to stop." */
  startMs: number;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  await new Promise<void>((done) => server.close(() => done()));
  if (address === null || typeof address === 'string') throw new Error('no free port');
  return address.port;
}

export async function freePorts(): Promise<CrashPorts> {
  return { api: await freePort(), s3: await freePort(), dynamodb: await freePort() };
}

const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

/**
 * Starts the twin with `--data-dir DIR` as `npm start` does, but as its own process (the twin must
 * be this one process, which SIGKILL ends: `node local/start.cjs`, not npm), on the same ports
 * every time: upload forms name the S3 port.
 */
async function startTwin(dataDir: string, ports: CrashPorts, dailyUploadQuota: number): Promise<TwinProcess> {
  const startedAt = performance.now();
  const child = spawn(process.execPath, [TWIN_START_SCRIPT, '--data-dir', dataDir], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      PORT: String(ports.api),
      S3_PORT: String(ports.s3),
      DYNAMODB_PORT: String(ports.dynamodb),
      // The front end is not used here; its default port (5173) may be held by another twin.
      WEB_PORT: '0',
      LOG_LEVEL: 'ERROR',
      DAILY_UPLOAD_QUOTA: String(dailyUploadQuota),
      // Each start would load the app's roles and the simulator (seconds on a busy machine); the roles
      // are held by the other e2e tests, and what a kill leaves behind does not depend on them.
      IAM: 'off',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + 90_000;
  while (!output.includes('Press Ctrl-C to stop.')) {
    if (child.exitCode !== null || Date.now() > deadline) {
      if (child.exitCode === null) child.kill('SIGKILL');
      throw new Error(`the twin did not start:\n${output}`);
    }
    await sleep(20);
  }
  return {
    child,
    apiUrl: `http://127.0.0.1:${ports.api}`,
    output: () => output,
    startMs: performance.now() - startedAt,
  };
}

async function kill(twin: TwinProcess): Promise<void> {
  if (twin.child.exitCode !== null || twin.child.signalCode !== null) return;
  const exited = new Promise((done) => twin.child.once('exit', done));
  twin.child.kill('SIGKILL');
  await exited;
}

async function stop(twin: TwinProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (twin.child.exitCode !== null || twin.child.signalCode !== null) return;
  const exited = new Promise((done) => twin.child.once('exit', done));
  twin.child.kill(signal);
  await exited;
}

/** One upload of the run: its ticket, and whether S3 ever answered its POST with success. */
interface Upload {
  ticket: api.UploadTicket;
  answered: boolean;
}

/** Posts each upload's form; `onAnswered` runs after each success. A POST the kill cut off stays unanswered. */
function postAll(uploads: readonly Upload[], photo: Buffer, onAnswered: () => void = () => undefined): Promise<void> {
  return Promise.all(
    uploads.map(async (upload) => {
      const status = await api.postToPresignedUrl(upload.ticket, photo, 'image/jpeg').catch(() => 0);
      if (status >= 200 && status < 300) {
        upload.answered = true;
        onAnswered();
      }
    }),
  ).then(() => undefined);
}

async function statusOf(apiUrl: string, mediaId: string): Promise<string | undefined> {
  const response = await api
    .requestJson<{ status?: string }>(apiUrl, 'GET', `/media/${mediaId}`)
    .catch(() => undefined);
  return response?.body.status;
}

function isFinal(status: string | undefined): boolean {
  return (TERMINAL_STATUSES as readonly (string | undefined)[]).includes(status);
}

/** What one kill interrupted. */
export interface KillRecord {
  moment: KillMoment;
  /** Uploads sent in this burst (0 for `recovering`). */
  sent: number;
  /** Of them, answered before the kill. */
  answered: number;
  /** Media of this burst already final when the kill came (-1: not counted, the kill could not wait). */
  finalAtKill: number;
  /** The start before this kill: spawn to ready, ms. */
  startMs: number;
  /** Lines of that start saying what it repaired or recovered. */
  recoveryLines: number;
}

/** One media at the end of the run. */
export interface MediaOutcome {
  mediaId: string;
  status: string;
  code?: string;
  message?: string;
  /** Final, and not a failure that blames the photo (READY, REJECTED, EXPIRED, FAILED with a re-drivable code). */
  settled: boolean;
}

export interface CrashRunResult {
  kills: KillRecord[];
  /** The last restart: spawn to ready, ms. */
  lastStartMs: number;
  /** GET /_local/health after the last restart. */
  healthStatus: number;
  /** From the last restart's banner until every media was final (or the timeout). */
  settleMs: number;
  media: MediaOutcome[];
  /** Answered uploads whose original is gone though their media is READY or FAILED. */
  lostOriginals: string[];
  /** Renditions of READY media that do not download. */
  lostRenditions: string[];
  /** Every `recovery:` line of every start. */
  recoveryLines: string[];
  /** The last twin's output, for a failure's message. */
  lastOutput: string;
}

export interface CrashRunOptions {
  dataDir: string;
  ports: CrashPorts;
  photo: Buffer;
  uploadsPerBurst: number;
  moments: readonly KillMoment[];
  /** How long the last restart gets to bring every media to a final state. @default 120000 */
  settleTimeoutMs?: number;
  /** Runs after the last kill, before the last restart (e.g. to plant what a kill can leave). */
  beforeLastRestart?(uploads: readonly api.UploadTicket[]): void | Promise<void>;
  /** Progress lines. */
  log?(line: string): void;
  /** Leave the last twin running (the caller stops it with the returned function). @default false */
  keepRunning?: boolean;
}

/** Waits until `predicate` holds or the time is up; polls at `intervalMs`. */
async function until(predicate: () => Promise<boolean> | boolean, timeoutMs: number, intervalMs = 25): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !(await predicate())) await sleep(intervalMs);
}

export async function runCrashScenario(
  options: CrashRunOptions,
): Promise<CrashRunResult & { stop(): Promise<void>; apiUrl: string }> {
  const log = options.log ?? (() => undefined);
  const uploads: Upload[] = [];
  const kills: KillRecord[] = [];
  const recoveryLines: string[] = [];
  const quota = options.uploadsPerBurst * (options.moments.length + 1) + 10;
  // Every start's output is kept beside the data (DIR/crash-logs/start-N.log), for a post-mortem.
  let starts = 0;
  const keepOutput = (twin: TwinProcess): void => {
    const directory = join(options.dataDir, 'crash-logs');
    mkdirSync(directory, { recursive: true });
    writeFileSync(join(directory, `start-${++starts}.log`), twin.output());
  };
  const recoveryOf = (twin: TwinProcess): string[] =>
    twin
      .output()
      .split('\n')
      .filter((line) => line.startsWith('recovery:'));
  // A client sends an upload it got no answer for again, with the same form.
  const resendUnanswered = (): Promise<void> =>
    postAll(
      uploads.filter((upload) => !upload.answered),
      options.photo,
    );
  const countFinal = async (apiUrl: string, of: readonly Upload[] = uploads): Promise<number> => {
    const statuses = await Promise.all(of.map((upload) => statusOf(apiUrl, upload.ticket.mediaId)));
    return statuses.filter(isFinal).length;
  };

  let twin: TwinProcess | undefined;
  try {
    for (const moment of options.moments) {
      twin = await startTwin(options.dataDir, options.ports, quota);
      const running = twin;
      let sent = 0;
      let finalAtKill = -1;
      if (moment === 'recovering') {
        // The kill comes as soon as the start says it is ready: the re-runs it started are in flight.
      } else {
        await resendUnanswered();
        const token = await api.localToken(running.apiUrl, CRASH_USER);
        const burst: Upload[] = await Promise.all(
          Array.from({ length: options.uploadsPerBurst }, async () => ({
            ticket: await api.presign(running.apiUrl, token, 'image/jpeg', options.photo.length),
            answered: false,
          })),
        );
        uploads.push(...burst);
        sent = burst.length;
        if (moment === 'accepted') {
          await postAll(burst, options.photo);
        } else if (moment === 'uploading') {
          const half = Math.max(1, Math.floor(burst.length / 2));
          let count = 0;
          let halfAnswered: () => void = () => undefined;
          const reached = new Promise<void>((done) => (halfAnswered = done));
          const sending = postAll(burst, options.photo, () => {
            count++;
            if (count >= half) halfAnswered();
          });
          await Promise.race([reached, sending]);
          // At once: counting final media first would let the rest of the burst through.
          await kill(running);
          await sending;
        } else {
          // processing, stopped
          await postAll(burst, options.photo);
          // Only this burst's media are counted, and the kill follows the count that reached a third.
          const third = Math.max(1, Math.ceil(burst.length / 3));
          await until(
            async () => {
              finalAtKill = await countFinal(running.apiUrl, burst);
              return finalAtKill >= third;
            },
            60_000,
            20,
          );
        }
      }
      // Counting takes a round of GETs: only where the moment can wait for it.
      if (moment === 'accepted') finalAtKill = await countFinal(running.apiUrl, uploads.slice(-sent));
      if (moment === 'stopped') await stop(running, 'SIGINT');
      else await kill(running);
      keepOutput(running);
      const answered = uploads.slice(uploads.length - sent).filter((upload) => upload.answered).length;
      const lines = recoveryOf(running);
      recoveryLines.push(...lines);
      kills.push({ moment, sent, answered, finalAtKill, startMs: running.startMs, recoveryLines: lines.length });
      log(
        `kill ${kills.length} (${moment}): ${answered} of ${sent} uploads answered, ${finalAtKill < 0 ? 'not counted' : finalAtKill} final; the start before it took ${Math.round(running.startMs)} ms with ${lines.length} recovery lines`,
      );
    }

    await options.beforeLastRestart?.(uploads.map((upload) => upload.ticket));
    twin = await startTwin(options.dataDir, options.ports, quota);
    const last = twin;
    const settleStarted = performance.now();
    recoveryLines.push(...recoveryOf(last));
    await resendUnanswered();
    const settleTimeoutMs = options.settleTimeoutMs ?? 120_000;
    const health = await send(`${last.apiUrl}/_local/health`).catch(() => ({ status: 0 }));
    const views = new Map<string, api.MediaView>();
    await until(
      async () => {
        await Promise.all(
          uploads
            .filter((upload) => !isFinal(views.get(upload.ticket.mediaId)?.status))
            .map(async (upload) => {
              const response = await api
                .requestJson<api.MediaView>(last.apiUrl, 'GET', `/media/${upload.ticket.mediaId}`)
                .catch(() => undefined);
              if (response?.status === 200) views.set(upload.ticket.mediaId, response.body);
            }),
        );
        return uploads.every((upload) => isFinal(views.get(upload.ticket.mediaId)?.status));
      },
      settleTimeoutMs,
      100,
    );
    const settleMs = performance.now() - settleStarted;

    const media: MediaOutcome[] = uploads.map((upload) => {
      const view = views.get(upload.ticket.mediaId);
      const status = view?.status ?? 'UNKNOWN';
      const code = view?.error?.code;
      const settled =
        isFinal(status) &&
        (status !== 'FAILED' || (REDRIVABLE_CODES as readonly (string | undefined)[]).includes(code));
      return {
        mediaId: upload.ticket.mediaId,
        status,
        ...(code !== undefined ? { code } : {}),
        ...(view?.error !== undefined ? { message: view.error.message } : {}),
        settled,
      };
    });

    // Nothing complete is lost: every original of a READY or FAILED media is still stored, and every
    // rendition of a READY media downloads through its signed URL.
    const s3 = new S3Client({
      region: 'eu-west-1',
      endpoint: `http://127.0.0.1:${options.ports.s3}`,
      forcePathStyle: true,
      credentials: { accessKeyId: EMULATOR_ACCESS_KEY_ID, secretAccessKey: EMULATOR_SECRET_ACCESS_KEY },
    });
    const lostOriginals: string[] = [];
    const lostRenditions: string[] = [];
    try {
      for (const outcome of media) {
        if (outcome.status !== 'READY' && outcome.status !== 'FAILED') continue;
        const key = uploadKeyFor(CRASH_USER, outcome.mediaId);
        await s3.send(new HeadObjectCommand({ Bucket: MEDIA_BUCKET_NAME, Key: key })).catch(() => {
          lostOriginals.push(key);
        });
        for (const rendition of views.get(outcome.mediaId)?.renditions ?? []) {
          const download = await send(rendition.url).catch(() => ({ status: 0, body: Buffer.alloc(0) }));
          if (download.status !== 200 || download.body.length !== rendition.bytes)
            lostRenditions.push(
              `${outcome.mediaId}/${rendition.name} (${download.status}, ${download.body.length} bytes)`,
            );
        }
      }
    } finally {
      s3.destroy();
    }

    const result = {
      kills,
      lastStartMs: last.startMs,
      healthStatus: health.status,
      settleMs,
      media,
      lostOriginals,
      lostRenditions,
      recoveryLines,
      lastOutput: last.output(),
      apiUrl: last.apiUrl,
      stop: async () => {
        await stop(last);
        keepOutput(last);
      },
    };
    if (!options.keepRunning) await result.stop();
    return result;
  } catch (error: unknown) {
    if (twin !== undefined) await kill(twin);
    throw error;
  }
}
