import { RemovalPolicy } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';

/** Deployment stages. Each stage is its own stack, so dev and prod can live in one account. */
export type Stage = 'dev' | 'prod';

/** Step Functions workflow type of the media pipeline. */
export type WorkflowType = 'STANDARD' | 'EXPRESS';

/** Cognito feature plan; threat protection ("advanced security") needs PLUS. */
export type UserPoolPlan = 'ESSENTIALS' | 'PLUS';

/**
 * Everything that differs between stages, in one typed object. `infra/app.ts` builds it from
 * the CDK context (`-c stage=prod -c workflowType=EXPRESS ...`); stacks and tests take it as a
 * value, so a test can build any combination without touching the context.
 */
export interface AppConfig {
  readonly stage: Stage;
  /** Value of the `Service` tag and prefix of metric namespaces. */
  readonly serviceName: string;
  /** Browser origins allowed by CORS on the API and on presigned POST uploads to the bucket. */
  readonly allowedOrigins: readonly string[];
  /** Step Functions workflow type. EXPRESS is cheaper per run; STANDARD keeps a full history. */
  readonly workflowType: WorkflowType;
  /** Retention of every log group the app creates. */
  readonly logRetention: RetentionDays;
  /** What happens to stateful resources (bucket, tables, user pool) when the stack goes away. */
  readonly removalPolicy: RemovalPolicy;
  /** Keep prior versions of objects in the media bucket. */
  readonly bucketVersioning: boolean;
  /** Labels below this confidence (percent) are dropped. */
  readonly labelsMinConfidence: number;
  /** At most this many labels are kept per image. */
  readonly labelsMax: number;
  /** Moderation labels at or above this confidence (percent) reject the image. */
  readonly moderationMinConfidence: number;
  /** Largest upload the API signs a POST policy for, in bytes. */
  readonly maxUploadBytes: number;
  /** Users may register themselves in the user pool. */
  readonly selfSignUp: boolean;
  /** Cognito feature plan. PLUS turns on threat protection in full-function (blocking) mode. */
  readonly userPoolPlan: UserPoolPlan;
  /** Steady-state requests per second allowed on the API stage. */
  readonly apiRateLimit: number;
  /** Burst of requests allowed on the API stage. */
  readonly apiBurstLimit: number;
  /**
   * Create API Gateway's account-wide CloudWatch role (`AWS::ApiGateway::Account`). Access and
   * execution logging need it once per account and region; enable it on one stage only.
   */
  readonly apiGatewayCloudWatchRole: boolean;
  /** Create an IAM Access Analyzer (account zone of trust) with this stage. */
  readonly withAccessAnalyzer: boolean;
  /** E-mail address subscribed to the alarm topic, if any. */
  readonly alarmEmail?: string;
}

const STAGE_DEFAULTS: Record<Stage, AppConfig> = {
  dev: {
    stage: 'dev',
    serviceName: 'travel-guide',
    allowedOrigins: ['http://localhost:5173'],
    workflowType: 'STANDARD',
    logRetention: RetentionDays.TWO_WEEKS,
    removalPolicy: RemovalPolicy.DESTROY,
    bucketVersioning: false,
    labelsMinConfidence: 70,
    labelsMax: 20,
    moderationMinConfidence: 80,
    maxUploadBytes: 20 * 1024 * 1024,
    selfSignUp: true,
    userPoolPlan: 'ESSENTIALS',
    apiRateLimit: 20,
    apiBurstLimit: 40,
    apiGatewayCloudWatchRole: false,
    withAccessAnalyzer: false,
  },
  prod: {
    stage: 'prod',
    serviceName: 'travel-guide',
    allowedOrigins: ['https://travel-guide.example.com'],
    workflowType: 'STANDARD',
    logRetention: RetentionDays.THREE_MONTHS,
    removalPolicy: RemovalPolicy.RETAIN,
    bucketVersioning: true,
    labelsMinConfidence: 70,
    labelsMax: 20,
    moderationMinConfidence: 80,
    maxUploadBytes: 20 * 1024 * 1024,
    selfSignUp: true,
    userPoolPlan: 'PLUS',
    apiRateLimit: 100,
    apiBurstLimit: 200,
    apiGatewayCloudWatchRole: false,
    withAccessAnalyzer: true,
  },
};

/** Reads one context value; `-c key=value` always arrives as a string, cdk.json may hold any JSON. */
export type ContextReader = (key: string) => unknown;

function isStage(value: unknown): value is Stage {
  return value === 'dev' || value === 'prod';
}

function booleanFrom(key: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new Error(`Context ${key} must be true or false, got ${JSON.stringify(value)}`);
}

function numberFrom(key: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0) {
    throw new Error(`Context ${key} must be a positive number, got ${JSON.stringify(value)}`);
  }
  return parsed;
}

function originsFrom(value: unknown, fallback: readonly string[]): readonly string[] {
  if (value === undefined) return fallback;
  const list = Array.isArray(value) ? value : String(value).split(',');
  const origins = list.map((origin) => String(origin).trim()).filter((origin) => origin !== '');
  for (const origin of origins) {
    // A wildcard or a path would widen CORS beyond what the stage means to allow.
    if (!/^https?:\/\/[^/*\s]+$/.test(origin)) {
      throw new Error(`Context allowedOrigins: "${origin}" is not an origin (scheme://host[:port])`);
    }
  }
  if (origins.length === 0) throw new Error('Context allowedOrigins must name at least one origin');
  return origins;
}

/**
 * Builds the configuration of one stage: the stage defaults, overridden by context values.
 * Unknown stages and malformed values fail the synth instead of deploying something unintended.
 */
export function loadConfig(read: ContextReader): AppConfig {
  const stage = read('stage') ?? 'dev';
  if (!isStage(stage)) {
    throw new Error(`Context stage must be "dev" or "prod", got ${JSON.stringify(stage)}`);
  }
  const base = STAGE_DEFAULTS[stage];

  const workflowType = read('workflowType') ?? base.workflowType;
  if (workflowType !== 'STANDARD' && workflowType !== 'EXPRESS') {
    throw new Error(`Context workflowType must be STANDARD or EXPRESS, got ${JSON.stringify(workflowType)}`);
  }
  const alarmEmail = read('alarmEmail');

  return {
    ...base,
    workflowType,
    allowedOrigins: originsFrom(read('allowedOrigins'), base.allowedOrigins),
    moderationMinConfidence: numberFrom(
      'moderationMinConfidence',
      read('moderationMinConfidence'),
      base.moderationMinConfidence,
    ),
    selfSignUp: booleanFrom('selfSignUp', read('selfSignUp'), base.selfSignUp),
    apiGatewayCloudWatchRole: booleanFrom(
      'apiGatewayCloudWatchRole',
      read('apiGatewayCloudWatchRole'),
      base.apiGatewayCloudWatchRole,
    ),
    withAccessAnalyzer: booleanFrom('withAccessAnalyzer', read('withAccessAnalyzer'), base.withAccessAnalyzer),
    ...(typeof alarmEmail === 'string' && alarmEmail !== '' ? { alarmEmail } : {}),
  };
}

/** The configuration of a stage with no overrides, for tests and tools. */
export function stageConfig(stage: Stage, overrides: Partial<AppConfig> = {}): AppConfig {
  return { ...STAGE_DEFAULTS[stage], ...overrides };
}
