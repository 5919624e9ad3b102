import './sdk-notice';
import './polyfills';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildOpenApiDocument } from '../functions/api/openapi';
import type { MediaRecord } from '../functions/shared/media';
import { API_FUNCTIONS, type ApiFunctionName } from '../functions/api/routes';
import { articlesSettings } from '../functions/articles/settings';
import { labelsSettings } from '../functions/labels/settings';
import { mediaSettings } from '../functions/media/settings';
import { moderationSettings } from '../functions/moderation/settings';
import { recordSettings } from '../functions/record/settings';
import { takedownSettings } from '../functions/takedown/settings';
import { thumbnailSettings } from '../functions/thumbnail/settings';
import { watcherSettings } from '../functions/watcher/settings';
import { sweeperSettings } from '../functions/sweeper/settings';
import { articlesTable, mediaTable, uploadQuotaTable } from '../infra/definitions/tables';
import { RETENTION_SETTINGS, type MediaRetention } from '../infra/definitions/retention';
import { LocalTokenIssuer } from './api/auth';
import { applyLifecycle } from './lifecycle';
import { startApiServer, type ApiServer } from './api/server';
import {
  DEAD_LETTER_RETENTION_DAYS,
  reservedConcurrency,
  strandedClaimAgeSeconds,
  SWEEP_INTERVAL_MINUTES,
  SWEEPER_TIMEOUT_SECONDS,
} from '../infra/definitions/pipeline';
import type { SweepReport } from '../functions/sweeper/sweeper';
import { bundleApp, startWebServer } from './web/server';
import {
  EXECUTION_ENDED_PATTERN,
  STATE_MACHINE_DEFINITION,
  UPLOADED_INPUT,
  UPLOADED_PATTERN,
} from '../infra/definitions/pipeline-sources';
import { LazyLocalDetector } from './detectors/lazy-detector';
import { RekognitionQuota } from './detectors/rekognition-quota';
import { loadAppTemplates, twinRoles } from './iam/app-roles';
import { runAsFunction } from './iam/caller';
import { IamEnforcer, type IamReport } from './iam/enforcer';
import { guardedDetector } from './iam/guarded-detector';
import { writeIamReport } from './iam/usage';
import { guardSdkClients, setSdkEnforcer } from './iam/sdk-guard';
import type { StackTemplate } from '../test/iam/support/cfn-resolver';
import { startDynamoDbEmulator, ensureTable, type DynamoDbEmulator } from './emulators/dynamodb';
import { startS3Emulator, type S3Emulator } from './emulators/s3';
import { startSecretsManagerEmulator, type SecretsManagerEmulator } from './emulators/secrets-manager';
import { SequencerClock, toObjectCreatedEvent, type ObjectCreatedEvent } from './events/object-created';
import {
  ExecutionEndedRule,
  type DeadLetter,
  type DeadLetterRedrive,
  type ExecutionStatusChangeEvent,
  type TargetDelivery,
} from './events/execution-status';
import { DeadLetterQueue } from './events/dead-letter-queue';
import { invokeAsLambda, withFunctionTimeout } from './pipeline/lambda-invoke';
import { lambdaContext } from './lambda-context';
import { repairS3Store, type StoreRepairAction } from './emulators/s3-repair';
import { ExecutionJournal } from './recovery/journal';
import { signingSecret } from './recovery/signing-keys';
import { recoverInterruptedWork, type RecoveryReport } from './recovery/recover';
import { loadDefinition } from './pipeline/definition';
import {
  defaultAccountConcurrency,
  defaultCpuBoundConcurrency,
  LambdaConcurrency,
} from './pipeline/lambda-concurrency';
import { Pipeline, type FaultPlan, type LambdaHandler } from './pipeline/pipeline';
import { ColdStarts } from './pipeline/cold-start';
import { RunLog, type RunRecord } from './pipeline/runs';
import {
  ARTICLES_TABLE_NAME,
  DEFAULT_ALLOWED_ORIGINS,
  DEFAULT_REGION,
  EMULATOR_ACCESS_KEY_ID,
  EMULATOR_SECRET_ACCESS_KEY,
  LOCAL_ACCOUNT_ID,
  MEDIA_BUCKET_NAME,
  MEDIA_TABLE_NAME,
  PAGE_TOKEN_SECRET_NAME,
  UPLOAD_QUOTA_TABLE_NAME,
} from './settings';

/**
 * The local twin: S3 and DynamoDB emulators, the REST API in front of the real articles and
 * media handlers (each route to the function routes.ts names), and the media pipeline (bucket events -> the rule pattern in events/ -> the ASL in
 * statemachines/ run in-process with the real handlers), all in this process.
 *
 * One twin per process: the handlers read their environment and create their SDK clients once
 * per process (as in Lambda), so they point at the first twin's emulators. startTwin() refuses a
 * second start in the same process (jest runs each test file in its own module registry and
 * environment, so each e2e file can start its own twin).
 */

export interface TwinOptions {
  /** API port; 0 picks a free one. @default 0 */
  port?: number;
  /** S3 emulator port. @default 0 */
  s3Port?: number;
  /** DynamoDB emulator port. @default 0 */
  dynamoDbPort?: number;
  /** Secrets Manager stand-in port. @default 0 */
  secretsManagerPort?: number;
  /**
   * Seconds the articles function reuses a page-token key it read (its `pageTokenSecretMaxAge`):
   * how long a rotation takes to reach it. @default the function's default
   */
  pageTokenSecretMaxAge?: number;
  /**
   * Keep object versions in the bucket, as the stack's bucket does by default (in memory: a
   * restart forgets noncurrent versions). @default false (an unversioned bucket)
   */
  bucketVersioning?: boolean;
  /** Keep S3 objects and tables in this folder across restarts. @default in memory (a temp folder for s3rver, removed on stop) */
  dataDir?: string;
  /** @default process.env.AWS_REGION or eu-west-1 */
  region?: string;
  /** Origins that get CORS headers from the API. @default the dev stage's (DEFAULT_ALLOWED_ORIGINS) */
  allowedOrigins?: readonly string[];
  /** Upload URLs one user may get per UTC day (the media function's `dailyUploadQuota`). @default the function's default */
  dailyUploadQuota?: number;
  /** POWERTOOLS_LOG_LEVEL for the handlers. @default 'WARN' */
  logLevel?: string;
  /**
   * How long stop() lets running executions finish before cutting them off: ABORTED (and settled
   * by the watcher) in memory, kept to run again at the next start with `dataDir`. @default 3000
   */
  drainMs?: number;
  /**
   * Concurrent invocations the pipeline's functions share, as Lambda's account concurrency limit
   * (LAMBDA_CONCURRENCY). @default two per core of this machine
   */
  lambdaConcurrency?: number;
  /**
   * Environments of the CPU-bound thumbnail function, counted apart from the shared pool
   * (THUMBNAIL_CONCURRENCY): on Lambda each environment has its own CPU, here they share this
   * machine's cores. @default two per core of this machine
   */
  thumbnailConcurrency?: number;
  /**
   * Rekognition's quota in calls per second per API (REKOGNITION_TPS): the local detector refuses
   * calls beyond it as Rekognition does, and the detector functions get the reserved concurrency
   * the stack derives from the same value (`-c rekognitionTps`). @default no quota
   */
  rekognitionTps?: number;
  /** Test-only: errors injected in place of handler calls, per Task state name. */
  faults?: FaultPlan;
  /** Test-only: fixed retry waits (ms) per state instead of the ASL's backoff. The real twin uses the ASL's timings. */
  retryIntervalOverrides?: Record<string, number | number[]>;
  /**
   * Check every AWS call of every function against its role as synthesized from this app.
   * @default true, unless the environment says IAM=off
   */
  iam?: boolean;
  /** Test-only: the app's templates to take the roles from, instead of the synthesized app (e.g. with a statement removed). */
  iamTemplates?: StackTemplate[];
  /** Test-only: the executions' TimeoutSeconds instead of the ASL's (e.g. 1, to see a run time out). */
  executionTimeoutSeconds?: number;
  /**
   * The sweeper's stranded age (its `strandedClaimAgeSeconds`, STRANDED_CLAIM_AGE_SECONDS): a claim
   * older than this is settled. @default as the stack sets it for a Standard workflow (4 h 15 min)
   */
  strandedClaimAgeSeconds?: number;
  /**
   * Seconds between the sweeper's scheduled runs (SWEEP_INTERVAL_SECONDS); 0 runs it only on
   * POST /_local/sweep. @default the schedule's interval on AWS (SWEEP_INTERVAL_MINUTES)
   */
  sweepIntervalSeconds?: number;
  /** Where the twin says what it repaired or recovered at start. @default one line each on stdout */
  log?: (line: string) => void;
  /**
   * Serve the front end (web/) on its own origin at this port (0 = a free one), calling this
   * twin's API; `npm start` serves it on WEB_PORT, 5173 by default. @default not served
   */
  webPort?: number;
}

export interface Twin {
  apiUrl: string;
  s3Endpoint: string;
  dynamoDbEndpoint: string;
  /** The Secrets Manager stand-in (local/emulators/secrets-manager.ts). */
  secretsManagerEndpoint: string;
  /** The secret holding the page-token HMAC key; `put-secret-value` on it rotates the key. */
  pageTokenSecretArn: string;
  dashboardUrl: string;
  /** The front end, when `webPort` was given. */
  webUrl: string | undefined;
  healthUrl: string;
  tokenUrl: string;
  runsUrl: string;
  region: string;
  bucketName: string;
  mediaTableName: string;
  articlesTableName: string;
  uploadQuotaTableName: string;
  /** Where data lives: the --data-dir, or a temp folder removed on stop. */
  dataDir: string;
  persistent: boolean;
  runs: RunLog;
  /** Delivers an EventBridge event as the rule target would (used to replay or duplicate events). */
  deliver(event: ObjectCreatedEvent): Promise<RunRecord | undefined>;
  /** The pipeline functions' execution environments: limits, running invocations, throttles. */
  lambda: LambdaConcurrency;
  /** Rekognition's emulated quota, when REKOGNITION_TPS is set. */
  detectorQuota: RekognitionQuota | undefined;
  /** Test-only: the next invocation of this Task state throws this error instead of calling its handler. */
  injectFault(stateName: string, fault: { name: string; message?: string }): void;
  /** Step Functions' StopExecution: the running execution of this name ends ABORTED. False if none runs. */
  stopExecution(name: string): boolean;
  /**
   * Status-change events the execution watcher could not take after Lambda's retries (its
   * dead-letter queue; with `--data-dir` kept in `DIR/dead-letters/watcher/` across restarts).
   */
  readonly watcherDeadLetters: readonly DeadLetter[];
  /** Gives each event in the watcher's dead-letter queue to the watcher once; deletes those it took (POST /_local/dead-letters/redrive). */
  redriveWatcherDeadLetters(): Promise<DeadLetterRedrive>;
  /** Runs the sweeper now, under its own role, as its schedule does (also POST /_local/sweep). */
  sweep(): Promise<SweepReport>;
  /** What the start did about a crash before it (`--data-dir` only): objects repaired or set aside, runs settled. */
  recovery: { store: StoreRepairAction[]; runs: RecoveryReport | undefined };
  /** Sends a Step Functions status-change event through the watcher's rule again (late or twice, as EventBridge may). */
  deliverExecutionEvent(event: ExecutionStatusChangeEvent): Promise<TargetDelivery | undefined>;
  /** Every IAM decision so far, per function (also at GET /_local/iam); `enforcing: false` when IAM is off. */
  iamReport(): IamReport;
  /** Stops the API, lets running executions finish briefly, stops the emulators. Idempotent. */
  stop(): Promise<void>;
  startupMs: number;
}

let started = false;

type ApiFunctionHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

type HandlerModule = {
  handler?: LambdaHandler;
  createHandler?: (deps: Record<string, unknown>) => LambdaHandler;
  awsDependencies?: (options: {
    credentials: () => Promise<{ accessKeyId: string; secretAccessKey: string }>;
  }) => Record<string, unknown>;
};

/**
 * Functions invoked by EventBridge rules rather than by the ASL or the API: the execution watcher
 * (events/execution-ended.pattern.json). Each runs under its own role, as the others do.
 */
const EVENT_TARGET_FUNCTIONS = ['watcher'] as const;
/** Functions EventBridge Scheduler runs: the sweeper (infra/constructs/claim-sweeper.ts), on a timer here. */
const SCHEDULED_FUNCTIONS = ['sweeper'] as const;
/** The watcher's Lambda timeout, as infra/constructs/media-pipeline.ts sets it. */
const WATCHER_TIMEOUT_MS = 10_000;

/** Functions that sign presigned requests, and get their own access key in the twin when IAM is enforced. */
const SIGNING_FUNCTIONS: readonly string[] = ['media'];

/** What the twin chooses for the functions' settings; everything else takes the function's default. */
export interface TwinFunctionSettings {
  allowedOrigins: readonly string[];
  dailyUploadQuota?: number;
  /** The ARN of the twin's page-token secret. */
  pageTokenSecretId: string;
  pageTokenSecretMaxAge?: number;
  /** The sweeper's stranded age in seconds. @default as the stack sets it for a Standard workflow */
  strandedClaimAgeSeconds?: number;
}

/**
 * Every function's settings as environment variables, written by each function's settings
 * contract (functions/<fn>/settings.ts) as the CDK constructs write them on AWS. All handlers share
 * this process, so a variable two functions read (MEDIA_TABLE_NAME) holds the same value for both.
 */
export function functionEnvironment(settings: TwinFunctionSettings): Record<string, string> {
  const tables = { mediaTableName: MEDIA_TABLE_NAME };
  return {
    ...thumbnailSettings.toEnv({}),
    ...labelsSettings.toEnv({}),
    ...moderationSettings.toEnv({}),
    ...recordSettings.toEnv(tables),
    ...watcherSettings.toEnv(tables),
    ...sweeperSettings.toEnv({
      ...tables,
      // The twin runs the Standard workflow's limits (infra/definitions/pipeline.ts), as the dev stage does.
      strandedClaimAgeSeconds: settings.strandedClaimAgeSeconds ?? strandedClaimAgeSeconds('STANDARD'),
    }),
    ...takedownSettings.toEnv({}),
    ...articlesSettings.toEnv({
      ...tables,
      articlesTableName: ARTICLES_TABLE_NAME,
      pageTokenSecretId: settings.pageTokenSecretId,
      ...(settings.pageTokenSecretMaxAge !== undefined
        ? { pageTokenSecretMaxAge: settings.pageTokenSecretMaxAge }
        : {}),
      allowedOrigins: settings.allowedOrigins,
    }),
    ...mediaSettings.toEnv({
      ...tables,
      uploadQuotaTableName: UPLOAD_QUOTA_TABLE_NAME,
      mediaBucketName: MEDIA_BUCKET_NAME,
      allowedOrigins: settings.allowedOrigins,
      pageTokenSecretId: settings.pageTokenSecretId,
      ...(settings.pageTokenSecretMaxAge !== undefined
        ? { pageTokenSecretMaxAge: settings.pageTokenSecretMaxAge }
        : {}),
      ...(settings.dailyUploadQuota !== undefined ? { dailyUploadQuota: settings.dailyUploadQuota } : {}),
    }),
  };
}

/**
 * The environment every handler reads. Set before any handler module is imported, because
 * handlers read it at import or first call.
 */
function setHandlerEnvironment(values: Record<string, string>): void {
  for (const [name, value] of Object.entries(values)) process.env[name] = value;
  // Emulator credentials must win over whatever profile the developer has configured.
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
}

async function loadHandlerModule(functionName: string): Promise<HandlerModule> {
  // A pattern esbuild can follow: local/start.cjs bundles every functions/<name>/handler.ts.
  return (await import(`../functions/${functionName}/handler.ts`)) as HandlerModule;
}

/** The deployed defaults: the twin's S3 expires what a dev stage's bucket would. */
const retention: MediaRetention = {
  quarantineDays: RETENTION_SETTINGS.quarantineDays.default,
  failedUploadDays: RETENTION_SETTINGS.failedUploadDays.default,
  noncurrentVersionDays: RETENTION_SETTINGS.noncurrentVersionDays.default,
};

export async function startTwin(options: TwinOptions = {}): Promise<Twin> {
  if (started)
    throw new Error(
      'A local twin was already started in this process; handlers and their SDK clients are per process.',
    );
  started = true;
  const startedAt = Date.now();
  const region = options.region ?? process.env.AWS_REGION ?? DEFAULT_REGION;
  const persistent = options.dataDir !== undefined;
  const dataDir =
    options.dataDir !== undefined ? resolve(options.dataDir) : await mkdtemp(join(tmpdir(), 'travel-guide-twin-'));
  const s3Directory = join(dataDir, 's3');
  await mkdir(s3Directory, { recursive: true });
  if (persistent) await mkdir(join(dataDir, 'dynamodb'), { recursive: true });

  const enforcing = options.iam ?? process.env.IAM !== 'off';
  // Read (or, after a change to infra/ or functions/, synthesized) while the emulators start.
  const templates = enforcing
    ? options.iamTemplates !== undefined
      ? Promise.resolve(options.iamTemplates)
      : loadAppTemplates().then((loaded) => loaded.stacks)
    : undefined;
  templates?.catch(() => undefined);
  // The front end's script, bundled by esbuild's own process while this one starts the emulators.
  const webScript = options.webPort === undefined ? undefined : bundleApp();
  webScript?.catch(() => undefined);
  // Functions that sign requests for others (presigned POST and GET) sign with a key of their own,
  // so the S3 emulator can check such a request against the role of the function that signed it.
  const signers = { iam: undefined as IamEnforcer | undefined, keys: new Map<string, string>() };
  const runLog = new RunLog();
  const clock = new SequencerClock();
  let pipeline: Pipeline | undefined;
  const stopping: { closed: boolean } = { closed: false };
  const cleanups: (() => Promise<void>)[] = [];
  const cleanupAll = async (): Promise<void> => {
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch {
        // Keep closing the rest: a half-stopped twin would hold ports.
      }
    }
    if (!persistent) await rm(dataDir, { recursive: true, force: true });
  };

  // Crash recovery, part 1 (--data-dir): what a kill left half-written in the S3 store is repaired
  // or set aside before s3rver opens it; executions a kill interrupted are still in the journal.
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const storeRepairs = persistent ? repairS3Store(s3Directory, join(dataDir, 'set-aside')) : [];
  for (const repair of storeRepairs)
    log(
      `recovery: S3 object ${repair.object} ${repair.action}: ${repair.reason}${repair.movedTo ? ` (now in ${repair.movedTo})` : ''}`,
    );
  const journal = persistent ? new ExecutionJournal(join(dataDir, 'executions')) : undefined;
  const interrupted = journal?.interrupted();
  for (const entry of interrupted?.discarded ?? [])
    log(`recovery: discarded the half-written execution entry ${entry} (that execution had not started)`);

  try {
    const allowedOrigins = options.allowedOrigins ?? DEFAULT_ALLOWED_ORIGINS;
    const s3: S3Emulator = await startS3Emulator({
      port: options.s3Port ?? 0,
      directory: s3Directory,
      bucket: MEDIA_BUCKET_NAME,
      allowedOrigins,
      region,
      versioning: options.bucketVersioning ?? false,
      ...(enforcing
        ? {
            async authorizeSigned(request) {
              const fn = signers.keys.get(request.accessKeyId);
              // The twin's own key (README's AWS CLI session) is an administrator's, as on an account.
              if (fn === undefined || signers.iam === undefined) return undefined;
              const resource = signers.iam.objectArn(request.bucket, request.key);
              return (await signers.iam.authorize({ fn, via: request.kind }, [{ action: request.action, resource }]))
                ?.message;
            },
          }
        : {}),
      onRecord(record, request) {
        if (stopping.closed || !record.eventName.startsWith('ObjectCreated:')) return;
        try {
          const event = toObjectCreatedEvent(record, {
            region,
            account: LOCAL_ACCOUNT_ID,
            sequencer: clock.next(),
            ...(request ? { request } : {}),
          });
          // Fire and forget, as S3 -> EventBridge is: the upload's response never waits for the pipeline.
          if (event && pipeline) void pipeline.deliver(event);
        } catch {
          // This runs inside s3rver's request handling: a twin bug must not turn an upload into a 500.
        }
      },
    });
    cleanups.push(() => s3.close());

    const dynamo: DynamoDbEmulator = await startDynamoDbEmulator({
      port: options.dynamoDbPort ?? 0,
      ...(persistent ? { path: join(dataDir, 'dynamodb') } : {}),
    });
    cleanups.push(() => dynamo.close());

    const secrets: SecretsManagerEmulator = await startSecretsManagerEmulator({
      port: options.secretsManagerPort ?? 0,
      region,
      account: LOCAL_ACCOUNT_ID,
    });
    cleanups.push(() => secrets.close());
    // A new key per start, as the stack generates one: nextTokens from an earlier run are not honoured.
    const pageTokenSecretArn = secrets.createSecret(PAGE_TOKEN_SECRET_NAME, randomBytes(32).toString('hex'));

    const credentials = { accessKeyId: EMULATOR_ACCESS_KEY_ID, secretAccessKey: EMULATOR_SECRET_ACCESS_KEY };
    const s3Client = new S3Client({
      region,
      endpoint: s3.endpoint,
      forcePathStyle: true,
      credentials,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    const dynamoClient = new DynamoDBClient({ region, endpoint: dynamo.endpoint, credentials });
    cleanups.push(async () => {
      s3Client.destroy();
      dynamoClient.destroy();
    });
    // A table kept in --data-dir that lacks an index of its definition is rebuilt with its items.
    const tableOptions = { ...(persistent ? { backupDir: dataDir } : {}), log };
    await Promise.all([
      ensureTable(dynamoClient, MEDIA_TABLE_NAME, mediaTable, tableOptions),
      ensureTable(dynamoClient, ARTICLES_TABLE_NAME, articlesTable, tableOptions),
      // dynalite has no TTL: old counters stay (they only matter with --data-dir, and are keyed by day).
      ensureTable(dynamoClient, UPLOAD_QUOTA_TABLE_NAME, uploadQuotaTable, tableOptions),
    ]);

    const handlerEnvironment: Record<string, string> = {
      AWS_REGION: region,
      AWS_DEFAULT_REGION: region,
      AWS_ACCESS_KEY_ID: EMULATOR_ACCESS_KEY_ID,
      AWS_SECRET_ACCESS_KEY: EMULATOR_SECRET_ACCESS_KEY,
      AWS_ENDPOINT_URL_S3: s3.endpoint,
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
      AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE: '1',
      ...functionEnvironment({
        allowedOrigins,
        ...(options.dailyUploadQuota !== undefined ? { dailyUploadQuota: options.dailyUploadQuota } : {}),
        pageTokenSecretId: pageTokenSecretArn,
        ...(options.pageTokenSecretMaxAge !== undefined
          ? { pageTokenSecretMaxAge: options.pageTokenSecretMaxAge }
          : {}),
        ...(options.strandedClaimAgeSeconds !== undefined
          ? { strandedClaimAgeSeconds: options.strandedClaimAgeSeconds }
          : {}),
      }),
      POWERTOOLS_SERVICE_NAME: 'travel-guide-local',
      POWERTOOLS_METRICS_NAMESPACE: 'TravelGuideLocal',
      POWERTOOLS_METRICS_DISABLED: 'true',
      POWERTOOLS_LOG_LEVEL: options.logLevel ?? process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN',
      POWERTOOLS_TRACE_ENABLED: 'false',
      // No X-Ray daemon or Lambda segment here: the SDK must not throw for a missing segment.
      AWS_XRAY_CONTEXT_MISSING: 'IGNORE_ERROR',
    };
    setHandlerEnvironment(handlerEnvironment);

    const aslPath = STATE_MACHINE_DEFINITION;
    const functionNames = [
      ...new Set([
        ...loadDefinition(aslPath, { region, account: LOCAL_ACCOUNT_ID }).tasks.map((t) => t.functionName),
        ...API_FUNCTIONS,
        ...EVENT_TARGET_FUNCTIONS,
        ...SCHEDULED_FUNCTIONS,
      ]),
    ];
    const iam =
      templates === undefined
        ? undefined
        : new IamEnforcer(twinRoles(await templates, functionNames), handlerEnvironment, functionNames);
    setSdkEnforcer(iam);
    signers.iam = iam;
    const signingCredentials = (fn: string): (() => Promise<{ accessKeyId: string; secretAccessKey: string }>) => {
      const credentials = {
        accessKeyId: `TWIN${fn.toUpperCase().replace(/[^A-Z0-9]/g, '')}`,
        secretAccessKey: signingSecret(persistent ? join(dataDir, 'signing-keys.json') : undefined, fn),
      };
      s3.addAccessKey(credentials.accessKeyId, credentials.secretAccessKey);
      signers.keys.set(credentials.accessKeyId, fn);
      return async () => credentials;
    };
    cleanups.push(async () => setSdkEnforcer(undefined));

    // The only stand-in: Rekognition has no emulator, so both detector ports get local analysis.
    const localDetector = new LazyLocalDetector(s3Client);
    const detectorQuota =
      options.rekognitionTps !== undefined ? new RekognitionQuota(localDetector, options.rekognitionTps) : undefined;
    const detector = detectorQuota ?? localDetector;
    const lambda = new LambdaConcurrency({
      accountLimit: options.lambdaConcurrency ?? defaultAccountConcurrency(),
      cpuBound: options.thumbnailConcurrency ?? defaultCpuBoundConcurrency(),
      // As the stack reserves them (-c rekognitionTps): only where a Rekognition quota is stated.
      reserved: reservedConcurrency(options.rekognitionTps),
    });
    // IAM first, as Rekognition authorizes a call before it counts it against the quota.
    const detectorPort = iam === undefined ? detector : guardedDetector(detector, iam);
    const portsFor: Record<string, Record<string, unknown>> = {
      labels: { detector: detectorPort },
      moderation: { detector: detectorPort },
    };
    // Each handler module is imported on its function's first invocation, as Lambda's cold start.
    const functions = new ColdStarts(functionNames, async (name) => {
      // The IAM guard is in place before a handler can build its first SDK client.
      if (iam !== undefined) await guardSdkClients();
      const module = await loadHandlerModule(name);
      const signing = iam !== undefined && SIGNING_FUNCTIONS.includes(name) && module.awsDependencies !== undefined;
      const deps = signing ? module.awsDependencies?.({ credentials: signingCredentials(name) }) : portsFor[name];
      const handler = deps && module.createHandler ? module.createHandler(deps) : module.handler;
      if (typeof handler !== 'function')
        throw new Error(`functions/${name}/handler exports no ${deps ? 'createHandler' : 'handler'}`);
      return handler;
    });
    const handlerFor = (name: string): LambdaHandler => functions.handlerFor(name);

    // Step Functions -> EventBridge -> the execution watcher, as deployed: every execution that ends
    // FAILED, TIMED_OUT or ABORTED sends its status-change event through the rule's pattern file to
    // the real watcher handler, invoked asynchronously under the watcher's role.
    const watcherHandler = handlerFor('watcher');
    // Kept as SQS keeps it: across restarts with --data-dir, until re-driven or its retention runs out.
    const watcherDeadLetterQueue = new DeadLetterQueue<DeadLetter>({
      retentionDays: DEAD_LETTER_RETENTION_DAYS,
      ...(persistent ? { directory: join(dataDir, 'dead-letters', 'watcher') } : {}),
    });
    for (const entry of watcherDeadLetterQueue.discarded)
      log(`recovery: discarded the half-written dead letter ${entry} (its write was cut off before it was kept)`);
    const executionEnded = new ExecutionEndedRule({
      deadLetterQueue: watcherDeadLetterQueue,
      patternPath: EXECUTION_ENDED_PATTERN,
      stateMachineArn: Pipeline.stateMachineArnFor(region, LOCAL_ACCOUNT_ID),
      region,
      account: LOCAL_ACCOUNT_ID,
      invoke: (event) => {
        const context = lambdaContext({
          functionName: 'travel-guide-local-watcher',
          region,
          account: LOCAL_ACCOUNT_ID,
          timeoutMs: WATCHER_TIMEOUT_MS,
        });
        const invocation = runAsFunction({ fn: 'watcher', via: 'ExecutionEndedRule' }, () =>
          invokeAsLambda(watcherHandler, event, context),
        );
        return withFunctionTimeout(invocation, WATCHER_TIMEOUT_MS, context.awsRequestId);
      },
    });

    // EventBridge Scheduler -> the sweeper, as deployed: invoked under its own role, with its Lambda
    // timeout, every sweepIntervalSeconds and on POST /_local/sweep.
    const sweeperHandler = handlerFor('sweeper');
    const sweep = async (via: string): Promise<SweepReport> => {
      const timeoutMs = SWEEPER_TIMEOUT_SECONDS * 1000;
      const context = lambdaContext({
        functionName: 'travel-guide-local-sweeper',
        region,
        account: LOCAL_ACCOUNT_ID,
        timeoutMs,
      });
      const invocation = runAsFunction({ fn: 'sweeper', via }, () => invokeAsLambda(sweeperHandler, {}, context));
      return (await withFunctionTimeout(invocation, timeoutMs, context.awsRequestId)) as SweepReport;
    };
    const intervalSeconds = options.sweepIntervalSeconds ?? SWEEP_INTERVAL_MINUTES * 60;
    let sweeping = false;
    const sweepTimer =
      intervalSeconds > 0
        ? setInterval(() => {
            // One run at a time: a run that outlasts the interval is not stacked on.
            if (sweeping || stopping.closed) return;
            sweeping = true;
            sweep('SweeperSchedule')
              .then((report) => {
                if (report.settled.length > 0)
                  log(
                    `sweeper: settled ${report.settled.length} stranded media FAILED PIPELINE_STRANDED (${report.settled.join(', ')})`,
                  );
              })
              .catch((error: unknown) =>
                log(`sweeper: the run failed: ${error instanceof Error ? error.message : String(error)}`),
              )
              .finally(() => {
                sweeping = false;
              });
          }, intervalSeconds * 1000)
        : undefined;
    sweepTimer?.unref();
    cleanups.push(async () => clearInterval(sweepTimer));

    pipeline = await Pipeline.create({
      aslPath,
      patternPath: UPLOADED_PATTERN,
      inputPath: UPLOADED_INPUT,
      bucketName: MEDIA_BUCKET_NAME,
      region,
      account: LOCAL_ACCOUNT_ID,
      handlerFor,
      runLog,
      concurrency: lambda,
      ...(options.faults ? { faults: options.faults } : {}),
      ...(options.retryIntervalOverrides ? { retryIntervalOverrides: options.retryIntervalOverrides } : {}),
      ...(options.executionTimeoutSeconds !== undefined
        ? { executionTimeoutSeconds: options.executionTimeoutSeconds }
        : {}),
      ...(journal ? { journal } : {}),
      async onExecutionEnded(ended, run) {
        const delivery = await executionEnded.executionEnded(ended);
        if (delivery !== undefined) run.watcher = delivery;
      },
    });
    const builtPipeline = pipeline;

    const iamReport = (): IamReport => iam?.report() ?? { enforcing: false, allowed: 0, denied: 0, functions: [] };

    const tokens = new LocalTokenIssuer('travel-guide-local-twin');
    const apiHandler = (fn: ApiFunctionName): ApiFunctionHandler => {
      const handler = handlerFor(fn) as unknown as ApiFunctionHandler;
      // The function's AWS calls are its role's; `via` is the route, as API Gateway's resource names it.
      return async (event, context) =>
        runAsFunction({ fn, via: `${event.httpMethod} ${event.resource}` }, () => handler(event, context));
    };
    const api: ApiServer = await startApiServer({
      port: options.port ?? 0,
      tokens,
      apiHandlers: { articles: apiHandler('articles'), media: apiHandler('media') },
      runLog,
      iamReport,
      deadLetters: {
        list: () => ({ watcher: executionEnded.deadLetterQueue.list() }),
        redrive: async () => ({ watcher: await executionEnded.redriveDeadLetters() }),
      },
      async startExecution(name, input) {
        // Started, not awaited: StartExecution answers at once; the run shows in /_local/runs.
        void builtPipeline.startExecution(name, input);
        return builtPipeline.executionArn(name);
      },
      allowedOrigins,
      openApiDocument: (serverUrl) =>
        buildOpenApiDocument({ servers: [{ url: serverUrl, description: 'This local twin' }] }),
      reportExchanges: true,
      async thumbnail(mediaId) {
        // The twin reads as an operator would, outside any function's role.
        const { Item } = await DynamoDBDocumentClient.from(dynamoClient).send(
          new GetCommand({ TableName: MEDIA_TABLE_NAME, Key: { [mediaTable.partitionKey.name]: mediaId } }),
        );
        const record = Item as MediaRecord | undefined;
        const smallest = [...(record?.status === 'READY' ? (record.renditions ?? []) : [])].sort(
          (a, b) => a.width - b.width,
        )[0];
        if (smallest === undefined) return undefined;
        const object = await s3Client.send(new GetObjectCommand({ Bucket: MEDIA_BUCKET_NAME, Key: smallest.key }));
        const body = Buffer.from((await object.Body?.transformToByteArray()) ?? []);
        return { contentType: `image/${smallest.format}`, body };
      },
      accountId: LOCAL_ACCOUNT_ID,
      region,
      sweep: () => sweep('POST /_local/sweep'),
      lifecycle: (daysFromNow) =>
        applyLifecycle(s3Client, MEDIA_BUCKET_NAME, retention, new Date(Date.now() + daysFromNow * 86_400_000)),
      async health() {
        const checks = await Promise.allSettled([
          s3Client.send(new HeadBucketCommand({ Bucket: MEDIA_BUCKET_NAME })),
          dynamoClient.send(new DescribeTableCommand({ TableName: MEDIA_TABLE_NAME })),
          dynamoClient.send(new DescribeTableCommand({ TableName: ARTICLES_TABLE_NAME })),
          dynamoClient.send(new DescribeTableCommand({ TableName: UPLOAD_QUOTA_TABLE_NAME })),
        ]);
        const [bucket, media, articles, uploadQuota] = checks.map((c) => c.status === 'fulfilled');
        return {
          // The functions are not part of it: each loads on its first invocation (its state is under `functions`).
          ready: Boolean(bucket && media && articles && uploadQuota) && !stopping.closed,
          s3: { endpoint: s3.endpoint, bucket: MEDIA_BUCKET_NAME, ok: bucket },
          dynamodb: {
            endpoint: dynamo.endpoint,
            tables: {
              [MEDIA_TABLE_NAME]: media,
              [ARTICLES_TABLE_NAME]: articles,
              [UPLOAD_QUOTA_TABLE_NAME]: uploadQuota,
            },
          },
          stateMachine: { tasks: builtPipeline.tasks, running: builtPipeline.runningCount },
          functions: functions.snapshot(),
          deadLetters: { watcher: executionEnded.deadLetterQueue.list().length },
          detector: detector.displayName,
          lambda: lambda.snapshot(),
          ...(detectorQuota
            ? {
                rekognitionQuota: {
                  transactionsPerSecond: detectorQuota.transactionsPerSecond,
                  ...detectorQuota.snapshot(),
                },
              }
            : {}),
        };
      },
    });

    // Crash recovery, part 2: interrupted executions run again, stranded claims are settled through
    // the watcher, and stored uploads whose event was lost get it (local/recovery/recover.ts).
    const runRecovery =
      interrupted === undefined
        ? undefined
        : await recoverInterruptedWork({
            interrupted: interrupted.executions,
            dynamo: dynamoClient,
            s3: s3Client,
            mediaTableName: MEDIA_TABLE_NAME,
            bucketName: MEDIA_BUCKET_NAME,
            region,
            account: LOCAL_ACCOUNT_ID,
            stateMachineArn: builtPipeline.stateMachineArn,
            nextSequencer: () => clock.next(),
            restartExecution(name, input) {
              try {
                void builtPipeline.startExecution(name, input);
              } catch (error: unknown) {
                log(
                  `recovery: execution ${name} could not run again: ${error instanceof Error ? error.message : String(error)}`,
                );
              }
            },
            settle: (ended) => executionEnded.executionEnded(ended),
            deliver: (event) => void builtPipeline.deliver(event),
            log,
          });

    const web =
      options.webPort === undefined
        ? undefined
        : await startWebServer({
            port: options.webPort,
            apiUrl: api.url,
            allowedOrigins,
            dashboardUrl: `${api.url}/_local/dashboard`,
            ...(webScript ? { script: webScript } : {}),
          }).catch(async (error: unknown) => {
            await api.close();
            throw error;
          });

    let stopped: Promise<void> | undefined;
    const stop = (): Promise<void> => {
      stopped ??= (async () => {
        stopping.closed = true;
        await web?.close().catch(() => undefined);
        await api.close().catch(() => undefined);
        // With --data-dir, what the grace cuts off runs again at the next start (not ABORTED).
        await builtPipeline.drain(options.drainMs ?? 3000, { suspend: persistent });
        // The app's own roles only: a test that changed a role must not count in the suite's report.
        if (iam !== undefined && options.iamTemplates === undefined) writeIamReport(iam.report());
        await cleanupAll();
      })();
      return stopped;
    };

    // The ASL runner and the policy simulator load once the twin is up, rather than on the first
    // upload or AWS call (local/pipeline/state-machine.ts).
    setImmediate(() => {
      builtPipeline.warm();
      iam?.warm();
    });

    return {
      apiUrl: api.url,
      s3Endpoint: s3.endpoint,
      dynamoDbEndpoint: dynamo.endpoint,
      secretsManagerEndpoint: secrets.endpoint,
      pageTokenSecretArn,
      dashboardUrl: `${api.url}/_local/dashboard`,
      webUrl: web?.url,
      healthUrl: `${api.url}/_local/health`,
      tokenUrl: `${api.url}/_local/token`,
      runsUrl: `${api.url}/_local/runs`,
      region,
      bucketName: MEDIA_BUCKET_NAME,
      mediaTableName: MEDIA_TABLE_NAME,
      articlesTableName: ARTICLES_TABLE_NAME,
      uploadQuotaTableName: UPLOAD_QUOTA_TABLE_NAME,
      dataDir,
      persistent,
      runs: runLog,
      lambda,
      detectorQuota,
      deliver: (event) => builtPipeline.deliver(event),
      injectFault: (stateName, fault) => builtPipeline.injectFault(stateName, fault),
      stopExecution: (name) => builtPipeline.stopExecution(name),
      get watcherDeadLetters() {
        return executionEnded.deadLetters;
      },
      redriveWatcherDeadLetters: () => executionEnded.redriveDeadLetters(),
      deliverExecutionEvent: (event) => executionEnded.deliver(event),
      sweep: () => sweep('SweeperSchedule'),
      recovery: { store: storeRepairs, runs: runRecovery },
      iamReport,
      stop,
      startupMs: Date.now() - startedAt,
    };
  } catch (error: unknown) {
    await cleanupAll();
    started = false;
    throw error;
  }
}
