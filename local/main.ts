import { mediaSettings } from '../functions/media/settings';
import { sweeperSettings } from '../functions/sweeper/settings';
import { checkSetting, type Setting } from '../functions/shared/settings';
import { DEFAULT_ALLOWED_ORIGINS } from './settings';
import { startTwin, type Twin } from './twin';

/**
 * `npm start`: the whole system on this machine. Ports: PORT (API, default 3000), S3_PORT (4568),
 * DYNAMODB_PORT (8000), SECRETS_MANAGER_PORT (a free one); `--data-dir DIR` or LOCAL_DATA_DIR keeps objects and tables between runs.
 */

const USAGE = `Usage: npm start [-- --data-dir DIR] [--port N] [--s3-port N] [--dynamodb-port N]
  Environment: PORT (3000), S3_PORT (4568), DYNAMODB_PORT (8000), WEB_PORT (front end, 5173),
               SECRETS_MANAGER_PORT (default: a free port),
               LOCAL_DATA_DIR, ALLOWED_ORIGINS,
               LOG_LEVEL (handlers' POWERTOOLS_LOG_LEVEL, default WARN),
               DAILY_UPLOAD_QUOTA (upload URLs per user and UTC day, default 100),
               LAMBDA_CONCURRENCY (invocations the pipeline functions run at once, default 2 per core),
               THUMBNAIL_CONCURRENCY (thumbnail invocations at once, apart from the others, default 2 per core),
               REKOGNITION_TPS (emulated Rekognition quota, calls per second per API; default none),
               SWEEP_INTERVAL_SECONDS (seconds between the sweeper's runs, default 600; 0: only POST /_local/sweep),
               STRANDED_CLAIM_AGE_SECONDS (age of a claim the sweeper settles, default 15300 as on AWS),
               IAM (off: the functions' AWS calls are not checked against their roles; default enforced)`;

interface CliOptions {
  port: number;
  s3Port: number;
  dynamoDbPort: number;
  secretsManagerPort: number;
  webPort: number;
  dataDir?: string;
  dailyUploadQuota?: number;
  lambdaConcurrency?: number;
  thumbnailConcurrency?: number;
  rekognitionTps?: number;
  allowedOrigins?: readonly string[];
  sweepIntervalSeconds?: number;
  strandedClaimAgeSeconds?: number;
}

/** A whole number in a range, or undefined when unset; anything else stops the start with the variable's name. */
function parseInteger(name: string, raw: string | undefined, min: number, max: number): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < min || value > max)
    throw new Error(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  return value;
}

function parseRate(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0 || value > 10_000)
    throw new Error(`${name} must be a number of calls per second above 0 (at most 10000), got "${raw}"`);
  return value;
}

/**
 * A function setting given to the twin by its environment variable (DAILY_UPLOAD_QUOTA,
 * ALLOWED_ORIGINS), checked by the function's own rule so a typo stops the start instead of
 * failing every request with a 500.
 */
function functionSetting<T>(env: NodeJS.ProcessEnv, name: string, setting: Setting<T>): T | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  return checkSetting(setting, raw, name);
}

function parsePort(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`${name} must be a port number (0-65535), got "${raw}"`);
  return port;
}

export function parseArguments(argv: readonly string[], env: NodeJS.ProcessEnv): CliOptions {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--help' || arg === '-h') throw new Error(USAGE);
    const [name, inline] = arg.split(/=(.*)/s, 2);
    if (name === undefined || !['--data-dir', '--port', '--s3-port', '--dynamodb-port'].includes(name)) {
      throw new Error(`Unknown argument "${arg}"\n${USAGE}`);
    }
    const value = inline ?? argv[++i];
    if (value === undefined || value === '') throw new Error(`${name} needs a value\n${USAGE}`);
    flags.set(name, value);
  }
  const dataDir = flags.get('--data-dir') ?? env.LOCAL_DATA_DIR;
  const { envNames, fields } = mediaSettings;
  const dailyUploadQuota = functionSetting(env, envNames.dailyUploadQuota, fields.dailyUploadQuota);
  const allowedOrigins = functionSetting(env, envNames.allowedOrigins, fields.allowedOrigins);
  const lambdaConcurrency = parseInteger('LAMBDA_CONCURRENCY', env.LAMBDA_CONCURRENCY, 1, 1000);
  const thumbnailConcurrency = parseInteger('THUMBNAIL_CONCURRENCY', env.THUMBNAIL_CONCURRENCY, 1, 1000);
  const rekognitionTps = parseRate('REKOGNITION_TPS', env.REKOGNITION_TPS);
  const sweepIntervalSeconds = parseInteger('SWEEP_INTERVAL_SECONDS', env.SWEEP_INTERVAL_SECONDS, 0, 86_400);
  const strandedClaimAgeSeconds = functionSetting(
    env,
    sweeperSettings.envNames.strandedClaimAgeSeconds,
    sweeperSettings.fields.strandedClaimAgeSeconds,
  );
  return {
    port: parsePort('PORT', flags.get('--port') ?? env.PORT, 3000),
    s3Port: parsePort('S3_PORT', flags.get('--s3-port') ?? env.S3_PORT, 4568),
    dynamoDbPort: parsePort('DYNAMODB_PORT', flags.get('--dynamodb-port') ?? env.DYNAMODB_PORT, 8000),
    // A free port unless set: the README's rotation command takes the endpoint the start prints.
    secretsManagerPort: parsePort('SECRETS_MANAGER_PORT', env.SECRETS_MANAGER_PORT, 0),
    webPort: parsePort('WEB_PORT', env.WEB_PORT, 5173),
    ...(dataDir ? { dataDir } : {}),
    ...(dailyUploadQuota !== undefined ? { dailyUploadQuota } : {}),
    ...(lambdaConcurrency !== undefined ? { lambdaConcurrency } : {}),
    ...(thumbnailConcurrency !== undefined ? { thumbnailConcurrency } : {}),
    ...(rekognitionTps !== undefined ? { rekognitionTps } : {}),
    ...(allowedOrigins !== undefined ? { allowedOrigins } : {}),
    ...(sweepIntervalSeconds !== undefined ? { sweepIntervalSeconds } : {}),
    ...(strandedClaimAgeSeconds !== undefined ? { strandedClaimAgeSeconds } : {}),
  };
}

/** The front end as the dev stage's allowed origin names it: localhost rather than 127.0.0.1, same server. */
function frontEndUrl(twin: Twin): string {
  return twin.webUrl?.replace('//127.0.0.1:', '//localhost:') ?? 'not served';
}

/** A warning when the twin's own page is served from an origin the API does not answer CORS for. */
function frontEndOriginWarning(twin: Twin, allowedOrigins: readonly string[]): string[] {
  if (twin.webUrl === undefined) return [];
  const origin = new URL(frontEndUrl(twin)).origin;
  if (allowedOrigins.includes(origin)) return [];
  return [
    `                   ${origin} is not in ALLOWED_ORIGINS (${allowedOrigins.join(', ')}): the browser will`,
    `                   block the API's answers to this page; add it, e.g. ALLOWED_ORIGINS=${[...allowedOrigins, origin].join(',')}`,
  ];
}

function describe(twin: Twin, allowedOrigins: readonly string[]): string {
  const iam = twin.iamReport().enforcing
    ? "each function's AWS calls checked against its synthesized role (IAM=off to turn off)"
    : 'off (IAM=off): AWS calls are not checked';
  return [
    '',
    'Travel Guide local twin is running (no AWS account needed).',
    '',
    `  Front end        ${frontEndUrl(twin)}   (calls the API from another origin)`,
    ...frontEndOriginWarning(twin, allowedOrigins),
    `  REST API         ${twin.apiUrl}   (functions articles, media)   OpenAPI ${twin.apiUrl}/openapi.json`,
    `  Token            POST ${twin.tokenUrl}  {"userId":"alice"}`,
    `  Health           ${twin.healthUrl}`,
    `  Dashboard        ${twin.dashboardUrl}`,
    `  Runs (JSON)      ${twin.runsUrl}`,
    `  S3 emulator      ${twin.s3Endpoint}   bucket ${twin.bucketName}`,
    `  DynamoDB         ${twin.dynamoDbEndpoint}   tables ${twin.mediaTableName}, ${twin.articlesTableName}, ${twin.uploadQuotaTableName}`,
    `  Secrets Manager  ${twin.secretsManagerEndpoint}   secret ${twin.pageTokenSecretArn} (page-token key)`,
    `  Region           ${twin.region}   credentials S3RVER / S3RVER`,
    `  Lambda           ${twin.lambda.describe()} concurrent invocations (LAMBDA_CONCURRENCY, THUMBNAIL_CONCURRENCY); over it: TooManyRequestsException`,
    `  Rekognition      ${twin.detectorQuota ? `quota ${twin.detectorQuota.transactionsPerSecond} calls/s per API (REKOGNITION_TPS)` : 'no quota (REKOGNITION_TPS to emulate one)'}`,
    `  Sweeper          POST ${twin.apiUrl}/_local/sweep runs it now (SWEEP_INTERVAL_SECONDS, STRANDED_CLAIM_AGE_SECONDS)`,
    `  IAM              ${iam}; report GET ${twin.apiUrl}/_local/iam`,
    `  Data             ${twin.persistent ? twin.dataDir : 'in memory (use --data-dir DIR to keep it)'}`,
    `  Started in       ${twin.startupMs} ms`,
    '',
    'Press Ctrl-C to stop.',
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  let options: CliOptions;
  try {
    options = parseArguments(process.argv.slice(2), process.env);
  } catch (error: unknown) {
    const message = error instanceof Error ? error.message : String(error);
    // --help is an answer, not an error.
    (message === USAGE ? process.stdout : process.stderr).write(`${message}\n`);
    process.exitCode = message === USAGE ? 0 : 2;
    return;
  }
  const twin = await startTwin({
    ...options,
    ...(process.env.LOG_LEVEL ? { logLevel: process.env.LOG_LEVEL } : {}),
  });
  process.stdout.write(describe(twin, options.allowedOrigins ?? DEFAULT_ALLOWED_ORIGINS));

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) {
      // A second Ctrl-C means "now".
      process.exit(130);
    }
    stopping = true;
    process.stdout.write(
      `\n${signal}: stopping (running executions get 3 s to finish${twin.persistent ? '; the rest run again at the next start on this --data-dir' : ''})...\n`,
    );
    // Whatever happens, do not hang: a stuck close is cut off.
    const deadline = setTimeout(() => process.exit(1), 10_000);
    deadline.unref();
    twin.stop().then(
      () => {
        process.stdout.write('Stopped.\n');
        process.exit(0);
      },
      (error: unknown) => {
        process.stderr.write(`Stop failed: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  const hint = /EADDRINUSE/.test(message)
    ? '\nA port is taken: set PORT, S3_PORT, DYNAMODB_PORT, WEB_PORT or SECRETS_MANAGER_PORT (or stop the other process).'
    : '';
  process.stderr.write(`The local twin could not start: ${message}${hint}\n`);
  process.exit(1);
});
