import '../../local/sdk-notice';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Plugin } from 'esbuild';
import { DynamoArticleStore } from '../../functions/articles/dynamodb-stores';
import { articlesTable } from '../../infra/definitions/tables';
import { ensureTable, startDynamoDbEmulator } from '../../local/emulators/dynamodb';
import { startSecretsManagerEmulator } from '../../local/emulators/secrets-manager';
import { functionSettings } from '../lib/infra-config';
import { BUNDLE_DIR } from '../lib/paths';
import { median, round } from '../lib/stats';
import { table } from '../lib/table';
import { buildFunctionBundle } from './bundles';

/*
 * What reading the page-token key from Secrets Manager at run time costs the articles function's
 * cold start, against the key in its environment (how it was before): both bundles built as the
 * construct builds them, each started in a fresh Node process that times require() (module init)
 * and then two `GET /articles?limit=1` calls, whose answer carries a signed nextToken. The first
 * call of `secretAtRunTime` reads AWSCURRENT (one GetSecretValue); the second uses the cache.
 * DynamoDB and Secrets Manager are the twin's emulators on this machine, so a network round trip
 * to the AWS endpoints (in-region, TLS set-up on first use) is not in these numbers.
 *
 * `npx tsx bench/sections/page-token-key.ts [--runs N]` runs this section alone.
 */

export const KEY_VARIANTS = ['secretAtRunTime', 'keyInEnvironment'] as const;
export type KeyVariant = (typeof KEY_VARIANTS)[number];

/** The key from PAGE_TOKEN_SECRET, as the function had it before: no Secrets Manager client, no Parameters. */
const keyInEnvironment: Plugin = {
  name: 'key-in-environment',
  setup(builder) {
    builder.onResolve({ filter: /\/page-token-keys$/ }, () => ({ path: 'keys', namespace: 'key-in-environment' }));
    builder.onResolve({ filter: /\/secrets-manager-client$/ }, () => ({
      path: 'client',
      namespace: 'key-in-environment',
    }));
    builder.onLoad({ filter: /^keys$/, namespace: 'key-in-environment' }, () => ({
      contents: `export class SecretsManagerPageTokenKeys {
        async current() { return process.env.PAGE_TOKEN_SECRET; }
        async previous() { return undefined; }
        async refresh() { return false; }
      }`,
      loader: 'js',
    }));
    builder.onLoad({ filter: /^client$/, namespace: 'key-in-environment' }, () => ({
      contents: 'export function secretsManagerClient() { return undefined; }',
      loader: 'js',
    }));
  },
};

export interface KeyVariantResult {
  variant: KeyVariant;
  bytes: number;
  /** require() of the bundle, wall clock. */
  initMs: number[];
  /** The first GET /articles?limit=1 (signs a nextToken: reads the key on the cold path). */
  firstCallMs: number[];
  /** The second, with the key cached. */
  secondCallMs: number[];
  /** CPU time (user + system) of require() and of the first call. */
  initCpuMs: number[];
  firstCallCpuMs: number[];
}

// require(), then two list calls, each timed (wall clock, and CPU time, which a busy neighbour
// cannot inflate as much); prints "init first second initCpu firstCpu status".
const PROBE = `
const c0 = process.cpuUsage();
const t0 = process.hrtime.bigint();
const { handler } = require(process.argv[1]);
const t1 = process.hrtime.bigint();
const c1 = process.cpuUsage();
const event = () => ({
  httpMethod: 'GET', resource: '/articles', path: '/articles', pathParameters: null,
  queryStringParameters: { limit: '1' }, multiValueQueryStringParameters: { limit: ['1'] },
  headers: {}, multiValueHeaders: {}, body: null, isBase64Encoded: false, stageVariables: null,
  requestContext: { requestId: 'bench' },
});
const context = { awsRequestId: 'bench', functionName: 'articles', getRemainingTimeInMillis: () => 10000 };
(async () => {
  const first = await handler(event(), context);
  const t2 = process.hrtime.bigint();
  const c2 = process.cpuUsage();
  const second = await handler(event(), context);
  const t3 = process.hrtime.bigint();
  const ms = (a, b) => Number(b - a) / 1e6;
  const cpu = (a, b) => (b.user + b.system - a.user - a.system) / 1e3;
  const ok = first.statusCode === 200 && second.statusCode === 200 && JSON.parse(second.body).nextToken;
  process.stdout.write([ms(t0, t1), ms(t1, t2), ms(t2, t3), cpu(c0, c1), cpu(c1, c2), ok ? 'ok' : first.body].join(' '));
})();`;

interface ProbeSample {
  init: number;
  first: number;
  second: number;
  initCpu: number;
  firstCpu: number;
}

function probe(file: string, env: NodeJS.ProcessEnv): Promise<ProbeSample> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', PROBE, file], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
    child.once('error', reject);
    child.once('exit', (code) => {
      const [init, first, second, initCpu, firstCpu, status] = out.trim().split(' ');
      if (code === 0 && status === 'ok')
        resolve({
          init: Number(init),
          first: Number(first),
          second: Number(second),
          initCpu: Number(initCpu),
          firstCpu: Number(firstCpu),
        });
      else reject(new Error(`articles probe failed (exit ${code}): ${out.slice(0, 300)} ${err.slice(0, 300)}`));
    });
  });
}

export async function measurePageTokenKey(runs: number): Promise<KeyVariantResult[]> {
  const externals = functionSettings().functions.articles?.externalModules;
  if (externals === undefined) throw new Error('no articles function in the CDK app');
  const files = new Map<KeyVariant, string>();
  const results: KeyVariantResult[] = [];
  for (const variant of KEY_VARIANTS) {
    const outdir = join(BUNDLE_DIR, `pageTokenKey-${variant}`);
    await rm(outdir, { recursive: true, force: true });
    await mkdir(outdir, { recursive: true });
    const file = join(outdir, 'index.js');
    await buildFunctionBundle(
      'articles',
      file,
      [...externals],
      variant === 'keyInEnvironment' ? [keyInEnvironment] : [],
    );
    files.set(variant, file);
    results.push({
      variant,
      bytes: (await stat(file)).size,
      initMs: [],
      firstCallMs: [],
      secondCallMs: [],
      initCpuMs: [],
      firstCallCpuMs: [],
    });
  }

  const region = 'us-east-1';
  const dynamo = await startDynamoDbEmulator({ port: 0 });
  const secrets = await startSecretsManagerEmulator({ port: 0, region, account: '123456789012' });
  const credentials = { accessKeyId: 'bench', secretAccessKey: 'bench' };
  const dynamoClient = new DynamoDBClient({ region, endpoint: dynamo.endpoint, credentials });
  try {
    const tableName = 'bench-articles';
    await ensureTable(dynamoClient, tableName, articlesTable);
    const store = new DynamoArticleStore(DynamoDBDocumentClient.from(dynamoClient), tableName);
    for (const index of [1, 2]) {
      const at = new Date(Date.UTC(2026, 0, index)).toISOString();
      await store.create({
        id: `bench-${index}`,
        authorId: 'bench',
        title: `Article ${index}`,
        body: 'A walk.',
        tags: [],
        createdAt: at,
        updatedAt: at,
      });
    }
    const key = randomBytes(32).toString('hex');
    const secretArn = secrets.createSecret('bench-page-token', key);
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      AWS_REGION: region,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
      AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE: '1',
      AWS_XRAY_CONTEXT_MISSING: 'IGNORE_ERROR',
      POWERTOOLS_SERVICE_NAME: 'travel-guide-bench',
      POWERTOOLS_LOG_LEVEL: 'WARN',
      ARTICLES_TABLE_NAME: tableName,
      MEDIA_TABLE_NAME: 'bench-media',
      PAGE_TOKEN_SECRET_ID: secretArn,
      // Read by the keyInEnvironment build only.
      PAGE_TOKEN_SECRET: key,
      ALLOWED_ORIGINS: 'http://localhost:5173',
    };
    // Interleaved: one start of each variant per round, so a busy moment hits both alike.
    for (let run = 0; run < runs; run++) {
      for (const result of results) {
        const sample = await probe(files.get(result.variant) ?? '', env);
        result.initMs.push(sample.init);
        result.firstCallMs.push(sample.first);
        result.secondCallMs.push(sample.second);
        result.initCpuMs.push(sample.initCpu);
        result.firstCallCpuMs.push(sample.firstCpu);
      }
    }
  } finally {
    dynamoClient.destroy();
    await secrets.close();
    await dynamo.close();
  }
  return results;
}

/** The table, and what is kept in bench/results.json. */
export function pageTokenKeySection(results: KeyVariantResult[]): Record<string, unknown> {
  const ms = (values: number[]): string => `${round(median(values), 1)} ms`;
  console.log(
    table(
      [
        'articles bundle',
        'size',
        'init',
        'first list call',
        'second list call',
        'init + first call',
        'CPU: init + first',
      ],
      results.map((r) => [
        r.variant,
        `${(r.bytes / 1000).toFixed(1)} kB`,
        ms(r.initMs),
        ms(r.firstCallMs),
        ms(r.secondCallMs),
        `${round(median(r.initMs.map((init, i) => init + (r.firstCallMs[i] ?? 0))), 1)} ms`,
        `${round(median(r.initCpuMs.map((init, i) => init + (r.firstCallCpuMs[i] ?? 0))), 1)} ms`,
      ]),
    ),
  );
  console.log(
    'Medians of fresh Node processes. secretAtRunTime = as deployed (Powertools Parameters + the Secrets Manager client; the first\n' +
      'call that signs or checks a nextToken reads AWSCURRENT); keyInEnvironment = the same code with the key from PAGE_TOKEN_SECRET,\n' +
      'as before. Both talk to emulators on this machine: on AWS add one GetSecretValue round trip to the first such call.',
  );
  return Object.fromEntries(
    results.map((r) => [
      r.variant,
      {
        bytes: r.bytes,
        initMs: round(median(r.initMs), 1),
        firstCallMs: round(median(r.firstCallMs), 1),
        secondCallMs: round(median(r.secondCallMs), 1),
        initPlusFirstCpuMs: round(median(r.initCpuMs.map((init, i) => init + (r.firstCallCpuMs[i] ?? 0))), 1),
        raw: {
          initMs: r.initMs,
          firstCallMs: r.firstCallMs,
          secondCallMs: r.secondCallMs,
          initCpuMs: r.initCpuMs,
          firstCallCpuMs: r.firstCallCpuMs,
        },
      },
    ]),
  );
}

if (require.main === module) {
  const at = process.argv.indexOf('--runs');
  const runs = at >= 0 ? Math.max(1, Number(process.argv[at + 1]) || 7) : 7;
  measurePageTokenKey(runs).then(
    (results) => pageTokenKeySection(results),
    (error: unknown) => {
      console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
      process.exitCode = 1;
    },
  );
}
