import { spawn } from 'node:child_process';
import { readdirSync, existsSync } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { build, type Metafile, type Plugin } from 'esbuild';
import { functionBuildOptions } from '../../infra/bundling';
import { functionEntry } from '../../infra/repository';
import { articlesSettings } from '../../functions/articles/settings';
import { mediaSettings } from '../../functions/media/settings';
import { functionSettings } from '../lib/infra-config';
import { BUNDLE_DIR, REPO_ROOT } from '../lib/paths';

/*
 * Per-function bundles built with the esbuild options of infra/bundling.ts, as AppFunction builds
 * them (platform node, the runtime's target, CJS, minified, main fields module,main, the AWS SDK
 * bundled, the construct's list of externals, the event-stream serde's import() left out, external
 * source map without sources), then each bundle's module init time in a fresh Node process: the
 * part of a cold start this code owns.
 */

/** The environment the constructs set (the handlers read their settings at import or first call). */
const INIT_ENV: Record<string, string> = {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE: '1',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  POWERTOOLS_SERVICE_NAME: 'travel-guide-bench',
  POWERTOOLS_METRICS_NAMESPACE: 'TravelGuideBench',
  POWERTOOLS_LOG_LEVEL: 'INFO',
  AWS_XRAY_CONTEXT_MISSING: 'IGNORE_ERROR',
  // The functions' settings, written by their contracts (functions/<fn>/settings.ts) as the constructs write them.
  ...articlesSettings.toEnv({
    articlesTableName: 'bench-articles',
    mediaTableName: 'bench-media',
    pageTokenSecretId: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:bench-page-token-AbCdEf',
    allowedOrigins: ['http://localhost:5173'],
  }),
  ...mediaSettings.toEnv({
    mediaTableName: 'bench-media',
    uploadQuotaTableName: 'bench-upload-quota',
    mediaBucketName: 'bench-media-bucket',
    allowedOrigins: ['http://localhost:5173'],
    pageTokenSecretId: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:bench-page-token-AbCdEf',
  }),
};

export interface Contributor {
  /** An npm package (node_modules/<name>) or a source folder of this repository. */
  name: string;
  bytes: number;
}

/**
 * deployed: as the CDK construct builds it. The other two are what-if builds that show what a
 * change in functions/ or infra/ would buy, without making it:
 * - sdkExternal: the AWS SDK v3 left to the Lambda runtime (bundleAwsSDK: false); here it is
 *   required from node_modules, so its init time is only indicative;
 * - noTracer: the Powertools Tracer (and with it aws-xray-sdk-core) replaced by a no-op class with
 *   the same methods, to price what the Tracer costs. Lambda's own active tracing would still record
 *   each invocation; the SDK-call subsegments and annotations would be lost.
 */
export const BUNDLE_VARIANTS = ['deployed', 'sdkExternal', 'noTracer'] as const;
export type BundleVariant = (typeof BUNDLE_VARIANTS)[number];

const NO_OP_TRACER = `export class Tracer {
  captureAWSv3Client(client) { return client; }
  isTracingEnabled() { return false; }
  getSegment() { return undefined; }
  setSegment() {}
  putAnnotation() {}
  putMetadata() {}
  annotateColdStart() {}
  addErrorAsMetadata() {}
  addResponseAsMetadata() {}
  addServiceNameAnnotation() {}
}`;

const noOpTracer: Plugin = {
  name: 'no-op-tracer',
  setup(builder) {
    builder.onResolve({ filter: /^@aws-lambda-powertools\/tracer$/ }, () => ({
      path: 'tracer',
      namespace: 'no-op-tracer',
    }));
    builder.onLoad({ filter: /.*/, namespace: 'no-op-tracer' }, () => ({ contents: NO_OP_TRACER, loader: 'js' }));
  },
};

export interface BundleInfo {
  name: string;
  variant: BundleVariant;
  file: string;
  bytes: number;
  mapBytes: number;
  external: string[];
  buildMs: number;
  topContributors: Contributor[];
  /** Node startup + require(bundle), wall clock, in a fresh process. */
  initMs: number[];
  /** CPU time (user + system, all threads) of the same require(). */
  initCpuMs: number[];
  /** The same with NODE_OPTIONS=--enable-source-maps, as the CDK construct sets it on Lambda. */
  initWithSourceMapsMs: number[];
  error?: string;
}

/** node_modules/@aws-sdk/client-s3/dist-es/x.js -> @aws-sdk/client-s3; functions/shared/x.ts -> functions/shared. */
function ownerOf(input: string): string {
  const parts = input.split('/');
  const at = parts.lastIndexOf('node_modules');
  if (at >= 0) {
    const first = parts[at + 1] ?? input;
    return first.startsWith('@') ? `${first}/${parts[at + 2] ?? ''}` : first;
  }
  return parts.slice(0, Math.max(1, parts.length - 1)).join('/');
}

function contributors(metafile: Metafile, outputFile: string): Contributor[] {
  const output = Object.entries(metafile.outputs).find(([path]) => path.endsWith(outputFile))?.[1];
  const totals = new Map<string, number>();
  for (const [input, { bytesInOutput }] of Object.entries(output?.inputs ?? {})) {
    const owner = ownerOf(input);
    totals.set(owner, (totals.get(owner) ?? 0) + bytesInOutput);
  }
  return [...totals.entries()].map(([name, bytes]) => ({ name, bytes })).sort((a, b) => b.bytes - a.bytes);
}

export function functionNames(): string[] {
  return readdirSync(join(REPO_ROOT, 'functions'), { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(functionEntry(entry.name)))
    .map((entry) => entry.name)
    .sort();
}

/** One function's bundle as the CDK construct has esbuild build it; `plugins` make what-if variants. */
export function buildFunctionBundle(
  name: string,
  outfile: string,
  external: string[],
  plugins: Plugin[] = [],
): Promise<{ metafile: Metafile }> {
  // The deployed options (infra/bundling.ts), as AppFunction hands them to esbuild.
  const deployed = functionBuildOptions({
    entry: functionEntry(name),
    outfile,
    externalModules: external,
    projectRoot: REPO_ROOT,
  });
  return build({ ...deployed, plugins: [...plugins, ...(deployed.plugins ?? [])], metafile: true, logLevel: 'silent' });
}

async function bundle(name: string, variant: BundleVariant, externals: readonly string[]): Promise<BundleInfo> {
  const outdir = join(BUNDLE_DIR, variant, name);
  await rm(outdir, { recursive: true, force: true });
  await mkdir(outdir, { recursive: true });
  const file = join(outdir, 'index.js');
  // The same externals as the CDK construct configures for this function.
  const external = [...externals, ...(variant === 'sdkExternal' ? ['@aws-sdk/*', '@smithy/*'] : [])];
  const started = performance.now();
  const info: BundleInfo = {
    name,
    variant,
    file,
    bytes: 0,
    mapBytes: 0,
    external,
    buildMs: 0,
    topContributors: [],
    initMs: [],
    initCpuMs: [],
    initWithSourceMapsMs: [],
  };
  try {
    const result = await buildFunctionBundle(name, file, external, variant === 'noTracer' ? [noOpTracer] : []);
    info.buildMs = performance.now() - started;
    info.bytes = (await stat(file)).size;
    info.mapBytes = (await stat(`${file}.map`)).size;
    info.topContributors = contributors(result.metafile, `bundles/${variant}/${name}/index.js`).slice(0, 6);
  } catch (error: unknown) {
    info.error = error instanceof Error ? error.message.split('\n').slice(0, 3).join(' ') : String(error);
  }
  return info;
}

// Wall clock (the target) and CPU time (what a busy neighbour cannot inflate) of require() alone.
const INIT_PROBE =
  'const c=process.cpuUsage(),t=process.hrtime.bigint();require(process.argv[1]);const w=Number(process.hrtime.bigint()-t)/1e6,u=process.cpuUsage(c);' +
  'process.stdout.write(w+" "+(u.user+u.system)/1e3)';

/** Time from before require() to after it, in a new process. Node's own startup is not included. */
function timeInit(file: string, sourceMaps: boolean): Promise<{ wallMs: number; cpuMs: number }> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...INIT_ENV };
    if (sourceMaps) env.NODE_OPTIONS = '--enable-source-maps';
    const child = spawn(process.execPath, ['-e', INIT_PROBE, file], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
    child.once('error', reject);
    child.once('exit', (code) => {
      const [wallMs, cpuMs] = out.trim().split(' ').map(Number);
      if (code === 0 && wallMs !== undefined && cpuMs !== undefined && Number.isFinite(wallMs))
        resolve({ wallMs, cpuMs });
      else reject(new Error(`require(${file}) failed (exit ${code}): ${err.trim().split('\n').slice(0, 3).join(' ')}`));
    });
  });
}

export async function measureBundles(runs: number): Promise<BundleInfo[]> {
  // What-if builds only matter where a target applies (every function but thumbnail).
  const builds = BUNDLE_VARIANTS.flatMap((variant) =>
    functionNames()
      .filter((name) => variant === 'deployed' || name !== 'thumbnail')
      .map((name) => ({ name, variant })),
  );
  const { functions } = functionSettings();
  const externalsOf = (name: string): readonly string[] => {
    const settings = functions[name];
    if (settings === undefined)
      throw new Error(`functions/${name} has no AppFunction in the CDK app (infra/build-app.ts)`);
    return settings.externalModules;
  };
  // Bundled in parallel is fine (esbuild is fast); timed sequentially.
  const bundles = await Promise.all(builds.map(({ name, variant }) => bundle(name, variant, externalsOf(name))));
  const ok = bundles.filter((b) => b.error === undefined);
  // The deployed bundles get N runs; the source-map and what-if timings, which only have to show
  // a direction, get fewer to keep the whole benchmark within a few minutes.
  const fewer = Math.max(3, Math.ceil(runs / 2));
  // Interleaved: one init of each function per round, so a busy moment hits all of them alike.
  for (let run = 0; run < runs; run++) {
    for (const info of ok) {
      if (info.variant !== 'deployed' && run >= fewer) continue;
      try {
        const plain = await timeInit(info.file, false);
        info.initMs.push(plain.wallMs);
        info.initCpuMs.push(plain.cpuMs);
        // Source maps only matter for what is deployed.
        if (info.variant === 'deployed' && run < fewer)
          info.initWithSourceMapsMs.push((await timeInit(info.file, true)).wallMs);
      } catch (error: unknown) {
        info.error = error instanceof Error ? error.message : String(error);
      }
    }
  }
  return bundles;
}
