import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { join, relative } from 'node:path';
import { MEDIA_STATUSES, TERMINAL_STATUSES } from '../functions/shared/media';
import { textFile, truncatedJpeg } from '../test/fixtures/images';
import { runChild } from './lib/child';
import { prepareInputs, type BenchInput } from './lib/inputs';
import { BENCH_TMP, REPO_ROOT } from './lib/paths';
import { max, median, round } from './lib/stats';
import { table } from './lib/table';
import { startTwinProcess, type TwinProcess } from './load/twin-process';
import type { MachineLimitWorkerResult } from './sections/machine-limit';

/*
 * `npm run load -- --uploads 300 --concurrency 50 [--rekognition-tps 2] [--lambda-concurrency 4]
 *                  [--thumbnail-concurrency 4] [--with-bad-files] [--api http://127.0.0.1:3000]`
 *
 * A burst through the public API, as browsers would send it: a token, POST /media/uploads, the
 * multipart POST to the presigned URL, then the media's final status. Starts its own twin (with
 * the emulated quotas asked for) unless --api names a running one. Prints a table and writes
 * bench/load-results.json. The machine's limit is measured in the same run: raw sharp making the
 * same renditions and analysis JPEG from memory, one worker per core, nothing else running.
 */

const RESULTS_FILE = join(REPO_ROOT, 'bench', 'load-results.json');
const TERMINAL: ReadonlySet<string> = new Set(TERMINAL_STATUSES);
/** Uploads per user: the twin's daily upload quota is 100 per user. */
const UPLOADS_PER_USER = 50;

interface Options {
  uploads: number;
  concurrency: number;
  api?: string;
  rekognitionTps?: number;
  lambdaConcurrency?: number;
  thumbnailConcurrency?: number;
  withBadFiles: boolean;
  machineImages: number;
  /** Give up on an upload that has no final status after this long. */
  timeoutMs: number;
}

const USAGE =
  'usage: npm run load -- [--uploads N] [--concurrency C] [--rekognition-tps N] [--lambda-concurrency N] [--thumbnail-concurrency N] [--with-bad-files] [--machine-images N] [--timeout-min M] [--api URL]';

function parseOptions(argv: string[]): Options {
  const options: Options = {
    uploads: 100,
    concurrency: 20,
    withBadFiles: false,
    machineImages: 8 * availableParallelism(),
    timeoutMs: 20 * 60_000,
  };
  const number = (flag: string, raw: string | undefined, integer = true): number => {
    const value = Number(raw);
    if (raw === undefined || !Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value)))
      throw new Error(`${flag} needs a positive ${integer ? 'integer' : 'number'}\n${USAGE}`);
    return value;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    switch (flag) {
      case '--uploads':
        options.uploads = number(flag, argv[++i]);
        break;
      case '--concurrency':
        options.concurrency = number(flag, argv[++i]);
        break;
      case '--rekognition-tps':
        options.rekognitionTps = number(flag, argv[++i], false);
        break;
      case '--lambda-concurrency':
        options.lambdaConcurrency = number(flag, argv[++i]);
        break;
      case '--thumbnail-concurrency':
        options.thumbnailConcurrency = number(flag, argv[++i]);
        break;
      case '--machine-images':
        options.machineImages = number(flag, argv[++i]);
        break;
      case '--timeout-min':
        options.timeoutMs = number(flag, argv[++i], false) * 60_000;
        break;
      case '--with-bad-files':
        options.withBadFiles = true;
        break;
      case '--api': {
        const api = argv[++i];
        if (api === undefined || !/^http:\/\/(127\.0\.0\.1|localhost)(:\d+)?$/.test(api))
          throw new Error(`--api must be a local twin, e.g. http://127.0.0.1:3000\n${USAGE}`);
        options.api = api;
        break;
      }
      default:
        throw new Error(`Unknown option ${flag}\n${USAGE}`);
    }
  }
  if (
    options.api !== undefined &&
    (options.rekognitionTps !== undefined ||
      options.lambdaConcurrency !== undefined ||
      options.thumbnailConcurrency !== undefined)
  ) {
    throw new Error(
      '--rekognition-tps, --lambda-concurrency and --thumbnail-concurrency apply to a twin this command starts; start yours with REKOGNITION_TPS / LAMBDA_CONCURRENCY / THUMBNAIL_CONCURRENCY instead',
    );
  }
  return options;
}

/** What one upload sends: a photo of the mix, or one of the two bad files. */
interface Payload {
  kind: string;
  contentType: string;
  bytes: Buffer;
}

/**
 * Photos as a travel guide gets them: mostly phone JPEGs (12 MP and downsized 1.2 MP), some WebP
 * and PNG with alpha. The machine's limit is measured on the same cycle.
 */
const MIX = [
  'jpeg-12mp',
  'jpeg-1mp',
  'jpeg-12mp',
  'webp-4096',
  'jpeg-1mp',
  'png-alpha',
  'jpeg-12mp',
  'jpeg-1mp',
] as const;

interface UploadResult {
  index: number;
  kind: string;
  mediaId: string | null;
  status: string;
  code?: string;
  latencyMs: number | null;
  retriesBy: Record<string, number>;
  /** Milliseconds in each phase of the upload's latency (see PHASES). */
  phasesMs?: Partial<Record<Phase, number>>;
  error?: string;
}

function phasesOf(run: RunView, uploadStartedAt: number): Partial<Record<Phase, number>> {
  const phases: Partial<Record<Phase, number>> = { 'before the run': Date.parse(run.startedAt) - uploadStartedAt };
  for (const step of run.steps ?? []) {
    if ((PHASES as readonly string[]).includes(step.name) && step.durationMs !== null)
      phases[step.name as Phase] = (phases[step.name as Phase] ?? 0) + step.durationMs;
  }
  return phases;
}

interface RunView {
  mediaId: string | null;
  outcome: string;
  startedAt: string;
  endedAt: string | null;
  retriesBy?: Record<string, number>;
  steps?: { name: string; durationMs: number | null }[];
}

/**
 * Where an upload's latency goes, in the order it happens: before its execution starts (token,
 * upload URL, the upload itself, the event), then each top-level state of the ASL, with its
 * retries and their waits. AnalyseImage holds both detectors, and so any wait for Rekognition's quota.
 */
const PHASES = ['before the run', 'MarkProcessing', 'CreateThumbnails', 'AnalyseImage', 'RecordResult'] as const;
type Phase = (typeof PHASES)[number];

interface Health {
  lambda?: {
    accountLimit: number;
    sharedPeak: number;
    functions: Record<
      string,
      { limit: number; reserved: boolean; pool?: string; peak: number; invocations: number; throttles: number }
    >;
  };
  rekognitionQuota?: { transactionsPerSecond: number } & Record<string, { calls: number; throttled: number } | number>;
}

/** The limits as the twin's banner states them: the shared pool, then each function with environments of its own. */
function describeLambda(lambda: NonNullable<Health['lambda']>): string {
  const own = Object.entries(lambda.functions)
    .filter(([, f]) => f.reserved)
    .map(([name, f]) => `${name} ${f.limit} ${f.pool ?? 'reserved'}`);
  return [`${lambda.accountLimit} shared`, ...own].join(', ');
}

async function json<T>(url: string, init: RequestInit = {}): Promise<{ status: number; body: T }> {
  const response = await fetch(url, init);
  const text = await response.text();
  return { status: response.status, body: (text === '' ? null : JSON.parse(text)) as T };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** One worker per core, all at once, each on its share of the mix. */
async function measureMachineLimit(
  inputs: Record<string, BenchInput>,
  images: number,
): Promise<{ imagesPerMin: number; workers: number; ms: number }> {
  const workers = availableParallelism();
  const files = Array.from({ length: images }, (_, i) => inputs[MIX[i % MIX.length] ?? 'jpeg-1mp']?.file ?? '');
  const shares = Array.from({ length: workers }, (_, w) => files.filter((_f, i) => i % workers === w));
  const started = performance.now();
  const results = await Promise.all(
    shares.map((share) =>
      runChild<MachineLimitWorkerResult>(join(REPO_ROOT, 'bench', 'sections', 'machine-limit.ts'), share),
    ),
  );
  const wall = performance.now() - started;
  // Images per minute of the pool: every worker's images over the slowest worker's time.
  const slowest = max(results.map((r) => r.ms));
  const total = results.reduce((sum, r) => sum + r.images, 0);
  return { imagesPerMin: (total / slowest) * 60_000, workers, ms: round(wall, 0) };
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

const seconds = (ms: number): string => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(1)} s` : '-');

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  await mkdir(BENCH_TMP, { recursive: true });
  const loadAtStart = loadavg();
  process.stderr.write('Preparing inputs (generated with sharp on the first run)...\n');
  const { inputs } = await prepareInputs(false);

  const payloads: Payload[] = [];
  const photoBytes = new Map<string, Buffer>();
  for (const name of new Set(MIX)) {
    const input = inputs[name];
    if (input === undefined) throw new Error(`bench input ${name} is missing`);
    photoBytes.set(name, await readFile(input.file));
  }
  const badAt = options.withBadFiles
    ? new Map([
        [Math.floor(options.uploads / 3), 'truncated'],
        [Math.floor((2 * options.uploads) / 3), 'not-an-image'],
      ])
    : new Map<number, string>();
  const truncated = await truncatedJpeg();
  for (let i = 0; i < options.uploads; i++) {
    const bad = badAt.get(i);
    if (bad === 'truncated') payloads.push({ kind: bad, contentType: 'image/jpeg', bytes: truncated });
    else if (bad === 'not-an-image') payloads.push({ kind: bad, contentType: 'image/png', bytes: textFile() });
    else {
      const name = MIX[i % MIX.length] ?? 'jpeg-1mp';
      payloads.push({
        kind: name,
        contentType: inputs[name]?.contentType ?? 'image/jpeg',
        bytes: photoBytes.get(name) ?? Buffer.alloc(0),
      });
    }
  }

  process.stderr.write(
    `Measuring the machine's limit (raw sharp, ${availableParallelism()} workers, ${options.machineImages} images)...\n`,
  );
  const limitBefore = await measureMachineLimit(inputs, options.machineImages);

  let twin: TwinProcess | undefined;
  const env: Record<string, string> = {
    // The burst's users stay within the daily upload quota of 100 per user.
    ...(options.lambdaConcurrency !== undefined ? { LAMBDA_CONCURRENCY: String(options.lambdaConcurrency) } : {}),
    ...(options.thumbnailConcurrency !== undefined
      ? { THUMBNAIL_CONCURRENCY: String(options.thumbnailConcurrency) }
      : {}),
    ...(options.rekognitionTps !== undefined ? { REKOGNITION_TPS: String(options.rekognitionTps) } : {}),
  };
  let apiUrl = options.api;
  if (apiUrl === undefined) {
    process.stderr.write('Starting a twin (npm start) on free ports...\n');
    twin = await startTwinProcess(env);
    apiUrl = twin.apiUrl;
  }
  const api = apiUrl;
  const healthBefore = await json<Health & { ready?: boolean }>(`${api}/_local/health`);
  if (healthBefore.status !== 200) throw new Error(`${api}/_local/health answered ${healthBefore.status}`);

  const runTag = Date.now().toString(36);
  const tokens = new Map<number, string>();
  const tokenFor = async (user: number): Promise<string> => {
    const known = tokens.get(user);
    if (known !== undefined) return known;
    const response = await json<{ token: string }>(`${api}/_local/token`, {
      method: 'POST',
      body: JSON.stringify({ userId: `load-${runTag}-${user}` }),
    });
    tokens.set(user, response.body.token);
    return response.body.token;
  };

  // Completions come from the twin's run log (one request for all uploads), then the status from the public API.
  const waiting = new Map<string, (run: RunView) => void>();
  let polling = true;
  let polls = 0;
  const poller = (async () => {
    while (polling) {
      try {
        const { body } = await json<{ runs: RunView[] }>(`${api}/_local/runs`);
        for (const run of body.runs) {
          if (run.mediaId === null || run.outcome === 'RUNNING' || run.outcome === 'DUPLICATE') continue;
          const resolve = waiting.get(run.mediaId);
          if (resolve) {
            waiting.delete(run.mediaId);
            resolve(run);
          }
        }
        // The run log keeps only the latest runs: a run that waited long may have left it before it
        // ended. Its media record says when it was finished (updatedAt, the terminal write).
        polls++;
        if (polls % 20 === 0) {
          for (const [mediaId, resolve] of [...waiting]) {
            const view = await json<{ status: string; updatedAt?: string }>(`${api}/media/${mediaId}`);
            if (!TERMINAL.has(view.body.status) || view.body.updatedAt === undefined) continue;
            waiting.delete(mediaId);
            resolve({
              mediaId,
              outcome: view.body.status,
              startedAt: view.body.updatedAt,
              endedAt: view.body.updatedAt,
            });
          }
        }
      } catch {
        // A missed poll is caught up by the next one.
      }
      await sleep(500);
    }
  })();

  const results: UploadResult[] = [];
  let next = 0;
  let inFlight = 0;
  const startedAt = performance.now();
  const progress = setInterval(() => {
    const done = results.length;
    const counts = (status: string): number => results.filter((r) => r.status === status).length;
    const elapsed = (performance.now() - startedAt) / 60_000;
    process.stderr.write(
      `\r${done}/${options.uploads} final · ${inFlight} in flight · READY ${counts('READY')} · FAILED ${counts('FAILED')} · ${elapsed > 0 ? (counts('READY') / elapsed).toFixed(1) : '0'} images/min · ${seconds(performance.now() - startedAt)}   `,
    );
  }, 1000);

  const uploadOne = async (index: number): Promise<UploadResult> => {
    const payload = payloads[index];
    if (payload === undefined) throw new Error(`no payload ${index}`);
    const t0 = Date.now();
    let mediaId: string | null = null;
    try {
      const token = await tokenFor(Math.floor(index / UPLOADS_PER_USER));
      const ticket = await json<{ mediaId: string; url: string; fields: Record<string, string> }>(
        `${api}/media/uploads`,
        {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ contentType: payload.contentType, contentLength: payload.bytes.length }),
        },
      );
      if (ticket.status !== 201)
        throw new Error(`POST /media/uploads answered ${ticket.status}: ${JSON.stringify(ticket.body)}`);
      mediaId = ticket.body.mediaId;
      const form = new FormData();
      for (const [name, value] of Object.entries(ticket.body.fields)) form.append(name, value);
      form.append('file', new Blob([new Uint8Array(payload.bytes)], { type: payload.contentType }), 'upload');
      const id = mediaId;
      const finished = new Promise<RunView>((resolve) => waiting.set(id, resolve));
      const posted = await fetch(ticket.body.url, { method: 'POST', body: form });
      await posted.arrayBuffer();
      if (posted.status < 200 || posted.status > 299) throw new Error(`the upload answered ${posted.status}`);
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), options.timeoutMs);
      });
      const run = await Promise.race([finished, deadline]);
      clearTimeout(timer);
      waiting.delete(id);
      const view = await json<{ status: string; error?: { code: string } }>(`${api}/media/${id}`);
      const latencyMs = run?.endedAt ? Date.parse(run.endedAt) - t0 : null;
      return {
        index,
        kind: payload.kind,
        mediaId,
        status: view.body.status,
        ...(view.body.error ? { code: view.body.error.code } : {}),
        latencyMs,
        retriesBy: run?.retriesBy ?? {},
        ...(run?.steps ? { phasesMs: phasesOf(run, t0) } : {}),
      };
    } catch (error: unknown) {
      return {
        index,
        kind: payload.kind,
        mediaId,
        status: 'CLIENT_ERROR',
        latencyMs: null,
        retriesBy: {},
        error: error instanceof Error ? error.message : String(error),
      };
    }
  };

  await Promise.all(
    Array.from({ length: Math.min(options.concurrency, options.uploads) }, async () => {
      while (next < options.uploads) {
        const index = next++;
        inFlight++;
        results.push(await uploadOne(index));
        inFlight--;
      }
    }),
  );
  const wallMs = performance.now() - startedAt;
  clearInterval(progress);
  polling = false;
  await poller;
  process.stderr.write('\n');

  // The final word is the public API's, for every upload, read once more after the burst.
  for (const result of results) {
    if (result.mediaId === null) continue;
    const view = await json<{ status: string; error?: { code: string } }>(`${api}/media/${result.mediaId}`);
    result.status = view.body.status;
    if (view.body.error) result.code = view.body.error.code;
  }
  const health = (await json<Health>(`${api}/_local/health`)).body;
  await twin?.stop();

  process.stderr.write("Measuring the machine's limit again, with the twin stopped...\n");
  const limitAfter = await measureMachineLimit(inputs, options.machineImages);
  const loadAtEnd = loadavg();

  const byStatus = (status: string): number => results.filter((r) => r.status === status).length;
  const photos = results.filter((r) => r.kind !== 'truncated' && r.kind !== 'not-an-image');
  const processed = results.filter((r) => TERMINAL.has(r.status) && r.latencyMs !== null);
  const latencies = processed.map((r) => r.latencyMs ?? 0).sort((a, b) => a - b);
  const throughput = (results.filter((r) => TERMINAL.has(r.status)).length / wallMs) * 60_000;
  const machineLimit = (limitBefore.imagesPerMin + limitAfter.imagesPerMin) / 2;
  const ratio = throughput / machineLimit;
  const retries: Record<string, number> = {};
  for (const result of results)
    for (const [retrier, count] of Object.entries(result.retriesBy)) retries[retrier] = (retries[retrier] ?? 0) + count;
  const lambdaThrottles = Object.entries(health.lambda?.functions ?? {}).map(
    ([name, f]) =>
      `${name} ${f.throttles} (peak ${f.peak}/${f.limit} ${f.pool ?? (f.reserved ? 'reserved' : 'shared')})`,
  );
  const quota = health.rekognitionQuota;
  const quotaCalls = quota
    ? (['DetectLabels', 'DetectModerationLabels'] as const).map((apiName) => {
        const stats = quota[apiName] as { calls: number; throttled: number } | undefined;
        return `${apiName} ${stats?.throttled ?? 0} of ${stats?.calls ?? 0} calls`;
      })
    : [];
  const badOutcomes = results
    .filter((r) => r.kind === 'truncated' || r.kind === 'not-an-image')
    .map((r) => `${r.kind}: ${r.status} ${r.code ?? ''}`.trim());

  const rows: (string | number)[][] = [
    [
      'uploads, at a time',
      `${options.uploads}, ${options.concurrency}${options.withBadFiles ? ' (2 bad files among them)' : ''}`,
    ],
    [
      'emulated limits',
      `Lambda ${health.lambda ? describeLambda(health.lambda) : '?'}${quota ? `, Rekognition ${quota.transactionsPerSecond} calls/s per API` : ', no Rekognition quota'}`,
    ],
    [
      'final status',
      // Every status of the record that some upload ended in (functions/shared/media.ts), then client errors.
      [...MEDIA_STATUSES.filter((status) => byStatus(status) > 0).map((status) => `${status} ${byStatus(status)}`)]
        .concat(byStatus('CLIENT_ERROR') > 0 ? [`client errors ${byStatus('CLIENT_ERROR')}`] : [])
        .join(' · '),
    ],
    ['photos READY', `${photos.filter((r) => r.status === 'READY').length} of ${photos.length}`],
    ...(badOutcomes.length > 0 ? [['bad files', badOutcomes.join(' · ')]] : []),
    ...(byStatus('CLIENT_ERROR') > 0
      ? [
          [
            'client errors (the upload never reached the pipeline)',
            [...new Set(results.filter((r) => r.status === 'CLIENT_ERROR').map((r) => r.error ?? '?'))].join(' · '),
          ],
        ]
      : []),
    ['throughput (final statuses / wall time)', `${throughput.toFixed(1)} images/min (${seconds(wallMs)})`],
    [
      `machine limit (raw sharp, ${limitBefore.workers} workers, before · after)`,
      `${machineLimit.toFixed(1)} images/min (${limitBefore.imagesPerMin.toFixed(1)} · ${limitAfter.imagesPerMin.toFixed(1)})`,
    ],
    ['throughput / machine limit', `${ratio.toFixed(2)}x (target >= 0.70x)`],
    [
      'latency upload -> final p50 · p95 · max',
      `${seconds(median(latencies))} · ${seconds(percentile(latencies, 95))} · ${seconds(max(latencies))}`,
    ],
    [
      'where the latency goes, p50 · p95 per phase',
      PHASES.map((phase) => {
        const times = processed
          .map((r) => r.phasesMs?.[phase])
          .filter((ms): ms is number => ms !== undefined)
          .sort((a, b) => a - b);
        return `${phase} ${seconds(median(times))} · ${seconds(percentile(times, 95))}`;
      }).join(' | '),
    ],
    ['Lambda throttles (refused invocations)', lambdaThrottles.join(' · ') || '-'],
    ...(quota ? [['Rekognition throttles', quotaCalls.join(' · ')]] : []),
    [
      'retries by retrier',
      Object.entries(retries)
        .map(([name, count]) => `${name} ${count}`)
        .join(' · ') || 'none',
    ],
    ...(quota
      ? [
          [
            `what the quota alone explains (${quota.transactionsPerSecond}/s)`,
            `drain ${seconds((options.uploads / quota.transactionsPerSecond) * 1000)} for ${options.uploads} uploads; ~${seconds((options.concurrency / quota.transactionsPerSecond) * 1000)} queueing each at ${options.concurrency} in flight`,
          ],
        ]
      : []),
    [
      'load average (1 min) start · end',
      `${loadAtStart[0]?.toFixed(1)} · ${loadAtEnd[0]?.toFixed(1)} on ${cpus().length} CPUs`,
    ],
  ];
  console.log(`\n${table(['measure', 'result'], rows)}\n`);

  const output = {
    measuredAt: new Date().toISOString(),
    options,
    machine: {
      cpus: cpus().length,
      model: cpus()[0]?.model,
      node: process.version,
      loadAverageStart: loadAtStart,
      loadAverageEnd: loadAtEnd,
    },
    machineLimit: { before: limitBefore, after: limitAfter, imagesPerMin: machineLimit },
    throughputImagesPerMin: throughput,
    ratio,
    wallMs,
    latencyMs: { p50: median(latencies), p95: percentile(latencies, 95), max: max(latencies) },
    statuses: Object.fromEntries([...MEDIA_STATUSES, 'CLIENT_ERROR'].map((s) => [s, byStatus(s)])),
    retries,
    lambda: health.lambda,
    rekognitionQuota: health.rekognitionQuota,
    uploads: results.sort((a, b) => a.index - b.index),
  };
  await writeFile(RESULTS_FILE, `${JSON.stringify(output, null, 2)}\n`);
  console.log(`Wrote ${relative(process.cwd(), RESULTS_FILE)}`);
}

main().catch((error: unknown) => {
  process.stderr.write(`\n${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
