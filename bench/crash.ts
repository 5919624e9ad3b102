import '../local/sdk-notice';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { photoJpeg } from '../smoke/images';
import {
  freePorts,
  KILL_MOMENT_DESCRIPTIONS,
  KILL_MOMENTS,
  runCrashScenario,
  type CrashRunResult,
  type KillMoment,
} from './crash/harness';
import { max, median, round } from './lib/stats';
import { table } from './lib/table';

/*
 * `npm run crash -- [--uploads 20] [--kills 3 | --moments accepted,uploading,...] [--runs 3] [--photo 1024x768] [--keep]`
 *
 * The twin's crash recovery, as a user would meet it: a real twin process on a --data-dir, a burst
 * of uploads, `kill -9` at a moment of the burst, a restart on the same folder; once per kill, each
 * with its own burst; then a last restart. Every media must end final (READY, REJECTED, EXPIRED, or
 * FAILED for a reason a re-drive can fix), the restarted twin healthy, and nothing complete lost.
 * Prints one row per run and exits 1 if any run left something unsettled.
 */

const USAGE =
  'usage: npm run crash -- [--uploads N] [--kills K | --moments m1,m2,...] [--runs R] [--photo WxH] [--settle-s S] [--keep]\n' +
  `  moments: ${KILL_MOMENTS.join(', ')} (--kills K takes the first K, cycling)`;

interface Options {
  uploads: number;
  moments: KillMoment[];
  runs: number;
  width: number;
  height: number;
  settleTimeoutMs: number;
  keep: boolean;
}

function parseOptions(argv: string[]): Options {
  const options: Options = {
    uploads: 20,
    moments: ['accepted', 'uploading', 'processing'],
    runs: 1,
    width: 1024,
    height: 768,
    settleTimeoutMs: 180_000,
    keep: false,
  };
  const positive = (flag: string, raw: string | undefined): number => {
    const value = Number(raw);
    if (raw === undefined || !Number.isInteger(value) || value <= 0)
      throw new Error(`${flag} needs a positive integer\n${USAGE}`);
    return value;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    switch (flag) {
      case '--uploads':
        options.uploads = positive(flag, argv[++i]);
        break;
      case '--kills': {
        const kills = positive(flag, argv[++i]);
        options.moments = Array.from({ length: kills }, (_, k) => KILL_MOMENTS[k % KILL_MOMENTS.length] as KillMoment);
        break;
      }
      case '--moments': {
        const names = (argv[++i] ?? '').split(',');
        const unknown = names.filter((name) => !(KILL_MOMENTS as readonly string[]).includes(name));
        if (unknown.length > 0) throw new Error(`Unknown moment ${unknown.join(', ')}\n${USAGE}`);
        options.moments = names as KillMoment[];
        break;
      }
      case '--runs':
        options.runs = positive(flag, argv[++i]);
        break;
      case '--photo': {
        const match = /^(\d+)x(\d+)$/.exec(argv[++i] ?? '');
        if (match === null) throw new Error(`--photo needs WIDTHxHEIGHT\n${USAGE}`);
        options.width = Number(match[1]);
        options.height = Number(match[2]);
        break;
      }
      case '--settle-s':
        options.settleTimeoutMs = positive(flag, argv[++i]) * 1000;
        break;
      case '--keep':
        options.keep = true;
        break;
      default:
        throw new Error(`Unknown option ${flag}\n${USAGE}`);
    }
  }
  return options;
}

function statusCounts(result: CrashRunResult): string {
  const counts = new Map<string, number>();
  for (const media of result.media) {
    const label = media.status === 'FAILED' ? `FAILED ${media.code ?? '?'}` : media.status;
    counts.set(label, (counts.get(label) ?? 0) + 1);
  }
  return [...counts.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([label, count]) => `${label} ${count}`)
    .join(', ');
}

function verdict(result: CrashRunResult): string {
  const problems = [
    result.healthStatus !== 200 ? `health ${result.healthStatus}` : '',
    result.media.some((media) => !media.settled)
      ? `${result.media.filter((media) => !media.settled).length} unsettled`
      : '',
    result.lostOriginals.length > 0 ? `${result.lostOriginals.length} originals lost` : '',
    result.lostRenditions.length > 0 ? `${result.lostRenditions.length} renditions lost` : '',
  ].filter((problem) => problem !== '');
  return problems.length === 0 ? 'ok' : problems.join('; ');
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const photo = await photoJpeg(options.width, options.height);
  process.stdout.write(
    `${options.runs} run(s): ${options.uploads} uploads (${options.width}x${options.height} JPEG) per burst, kill -9:\n` +
      options.moments.map((moment, k) => `  ${k + 1}. ${moment}: ${KILL_MOMENT_DESCRIPTIONS[moment]}\n`).join('') +
      `load average at start ${loadavg()[0]?.toFixed(1)}\n\n`,
  );
  const rows: (string | number)[][] = [];
  const restarts: number[] = [];
  let failed = 0;
  for (let run = 1; run <= options.runs; run++) {
    const dataDir = mkdtempSync(join(tmpdir(), 'travel-guide-crash-'));
    try {
      const result = await runCrashScenario({
        dataDir,
        ports: await freePorts(),
        photo,
        uploadsPerBurst: options.uploads,
        moments: options.moments,
        settleTimeoutMs: options.settleTimeoutMs,
        log: (line) => process.stdout.write(`  run ${run}: ${line}\n`),
      });
      const starts = [...result.kills.slice(1).map((kill) => kill.startMs), result.lastStartMs];
      restarts.push(...starts);
      const outcome = verdict(result);
      if (outcome !== 'ok') {
        failed++;
        for (const media of result.media.filter((m) => !m.settled))
          process.stdout.write(
            `  run ${run}: unsettled ${media.mediaId} ${media.status} ${media.code ?? ''} ${media.message ?? ''}\n`,
          );
        for (const lost of [...result.lostOriginals, ...result.lostRenditions])
          process.stdout.write(`  run ${run}: lost ${lost}\n`);
      }
      process.stdout.write(`  run ${run}: ${result.recoveryLines.length} recovery lines; ${outcome}\n`);
      rows.push([
        run,
        result.kills.map((kill) => `${kill.answered}/${kill.sent}@${kill.moment}`).join(' '),
        result.media.length,
        statusCounts(result),
        result.recoveryLines.length,
        `${round(max(starts) / 1000, 1)} s`,
        result.healthStatus,
        `${round(result.settleMs / 1000, 1)} s`,
        result.lostOriginals.length + result.lostRenditions.length,
        outcome,
      ]);
    } finally {
      if (options.keep) process.stdout.write(`  run ${run}: data kept in ${dataDir}\n`);
      else rmSync(dataDir, { recursive: true, force: true });
    }
  }
  process.stdout.write(
    `\n${table(
      [
        'run',
        'kills (answered/sent@moment)',
        'media',
        'final statuses',
        'recovery lines',
        'slowest restart',
        'health',
        'settled in',
        'lost',
        'verdict',
      ],
      rows,
    )}\n\nrestart (spawn to ready) median ${round(median(restarts) / 1000, 1)} s, max ${round(max(restarts) / 1000, 1)} s over ${restarts.length} restarts; load average at end ${loadavg()[0]?.toFixed(1)}\n`,
  );
  if (failed > 0) process.exitCode = 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(2);
});
