import { RemovalPolicy } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { labelsSettings } from '../functions/labels/settings';
import { mediaSettings } from '../functions/media/settings';
import { moderationSettings } from '../functions/moderation/settings';
import { checkSetting, type Setting } from '../functions/shared/settings';

import { STAGE_ALLOWED_ORIGINS } from './definitions/cors';
import {
  DETECTOR_FUNCTIONS,
  LAMBDA_DEFAULT_CONCURRENCY_QUOTA,
  LAMBDA_MIN_UNRESERVED_CONCURRENCY,
  detectorReservedConcurrency,
} from './definitions/pipeline';
import { RETENTION_SETTINGS } from './definitions/retention';

const RETENTION_DEFAULTS = {
  quarantineDays: RETENTION_SETTINGS.quarantineDays.default,
  failedUploadDays: RETENTION_SETTINGS.failedUploadDays.default,
  noncurrentVersionDays: RETENTION_SETTINGS.noncurrentVersionDays.default,
};

/** Deployment stages. Each stage is its own stack, so dev and prod can live in one account. */
export type Stage = 'dev' | 'prod';

/** Step Functions workflow type of the media pipeline. */
export type WorkflowType = 'STANDARD' | 'EXPRESS';

/** Cognito feature plan; threat protection ("advanced security") needs PLUS. */
export type UserPoolPlan = 'ESSENTIALS' | 'PLUS';

/** Qualifier of the default CDK bootstrap stack (`cdk bootstrap` without `--qualifier`). */
export const DEFAULT_BOOTSTRAP_QUALIFIER = 'hnb659fds';

/** A GitHub Actions workflow that may deploy this app, through a role it assumes with its OIDC token. */
export interface GitHubDeployConfig {
  /**
   * `owner/name` of the repository whose workflow deploys, spelled as GitHub spells it: the trust
   * policy compares it case-sensitively with the token's `sub` claim.
   */
  readonly repository: string;
  /** The only branch whose workflow runs may assume the role (exact name, no pattern). */
  readonly branch: string;
  /**
   * ARN of the account's existing `token.actions.githubusercontent.com` OIDC provider. An account
   * holds at most one provider per URL, so when one exists it is imported instead of created.
   * @default a provider is created
   */
  readonly oidcProviderArn?: string;
}

/**
 * Everything that differs between stages, in one typed object. `infra/app.ts` builds it from
 * the CDK context (`-c stage=prod -c workflowType=EXPRESS ...`); stacks and tests take it as a
 * value, so a test can build any combination without touching the context.
 */
export interface AppConfig {
  readonly stage: Stage;
  /** Value of the `Service` tag and prefix of metric namespaces. */
  readonly serviceName: string;
  /*
   * Settings that reach a function keep the name of the function's setting (functions/<fn>/settings.ts),
   * and take their default and bounds from it: `dailyUploadQuota` is DAILY_UPLOAD_QUOTA there.
   */
  /** Browser origins allowed by CORS on the API and on presigned POST uploads to the bucket. */
  readonly allowedOrigins: readonly string[];
  /** Step Functions workflow type. EXPRESS is cheaper per run; STANDARD keeps a full history. */
  readonly workflowType: WorkflowType;
  /**
   * Retention of the operational log groups (the functions' own logs): what is needed to debug,
   * nothing there is audited.
   */
  readonly logRetention: RetentionDays;
  /**
   * Retention of the audit logs: the API access logs (who called which route, when, with what
   * result) and the state machine's execution log (what happened to each upload). Security Hub's
   * CloudWatch.16 control expects at least a year; prod keeps 365 days.
   */
  readonly auditLogRetention: RetentionDays;
  /** What happens to stateful resources (bucket, tables, user pool) when the stack goes away. */
  readonly removalPolicy: RemovalPolicy;
  /** Keep prior versions of objects in the media bucket (recoverable by default; an owner's DELETE still erases every version). */
  readonly bucketVersioning: boolean;
  /** Days the original of REJECTED media stays under quarantine/ (review or appeal), 1 to 3650. */
  readonly quarantineDays: number;
  /** Days the original of FAILED media stays under failed/, 1 to 3650. */
  readonly failedUploadDays: number;
  /** Days a noncurrent object version (a deleted or overwritten object) stays recoverable, 1 to 3650. */
  readonly noncurrentVersionDays: number;
  /** Labels below this confidence (percent) are dropped. */
  readonly labelsMinConfidence: number;
  /** At most this many labels are kept per image. */
  readonly labelsMax: number;
  /** Moderation labels at or above this confidence (percent) reject the image. */
  readonly moderationMinConfidence: number;
  /** Largest upload the API signs a POST policy for, in bytes. */
  readonly maxUploadBytes: number;
  /** Upload URLs one user may get per UTC day (POST /media/uploads answers 429 beyond it). */
  readonly dailyUploadQuota: number;
  /** Users may register themselves in the user pool. */
  readonly selfSignUp: boolean;
  /** Cognito feature plan. PLUS turns on threat protection in full-function (blocking) mode. */
  readonly userPoolPlan: UserPoolPlan;
  /** Steady-state requests per second allowed on the API stage. */
  readonly apiRateLimit: number;
  /** Burst of requests allowed on the API stage. */
  readonly apiBurstLimit: number;
  /**
   * The account stack sets API Gateway's account-wide CloudWatch role (`AWS::ApiGateway::Account`),
   * which access and execution logging need. Turn off only when the account already has one that
   * something else manages. Not a stage setting: every stage deploys the same account stack.
   */
  readonly apiGatewayCloudWatchRole: boolean;
  /**
   * The account stack creates the region's IAM Access Analyzer (account zone of trust). Turn off
   * when the account already has one in this region. Not a stage setting.
   */
  readonly withAccessAnalyzer: boolean;
  /**
   * Put an AWS WAF web ACL in front of the API stage, and of the user pool when sign-up is open:
   * AWS managed rules (IP reputation, common exploits, known bad inputs), a rate limit per IP on
   * everything and a stricter one on POST /media/uploads. About $9 a month plus $0.60 per million
   * requests, so off by default in dev.
   */
  readonly withWaf: boolean;
  /** E-mail address subscribed to the alarm topic, if any. */
  readonly alarmEmail?: string;
  /**
   * The sender of the user pool's e-mails (verification codes, password resets), an address or an
   * address of a domain verified in Amazon SES in the stack's region. Unset, Cognito's own sender
   * sends them, which allows only a limited number a day: fine for dev, not for public sign-up.
   */
  readonly signUpEmailFrom?: string;
  /**
   * Rekognition's quota in this account and region, in calls per second per API (DetectLabels,
   * DetectModerationLabels; see the Service Quotas console). When set, each detector function gets
   * the reserved concurrency `detectorReservedConcurrency` derives from it, so a burst is admitted
   * at Lambda (a refused invocation costs nothing and the ASL retries it) instead of at Rekognition.
   * The twin's REKOGNITION_TPS applies the same rule. @default none: the detectors share the account's concurrency
   */
  readonly rekognitionTps?: number;
  /**
   * Create the account-level developer access stack: a Developers group whose members can do
   * nothing but manage their own password and MFA device until they sign in with MFA.
   */
  readonly withDeveloperAccess: boolean;
  /** Create the CI deploy stack: a role that this GitHub repository and branch assume through OIDC. */
  readonly githubDeploy?: GitHubDeployConfig;
  /**
   * Qualifier of the CDK bootstrap stack the app deploys through (context
   * `@aws-cdk/core:bootstrapQualifier`); it names the bootstrap roles the CI role may assume.
   */
  readonly bootstrapQualifier: string;
}

/** The functions' own defaults, the same in every stage. */
const FUNCTION_DEFAULTS = {
  labelsMinConfidence: labelsSettings.defaults.labelsMinConfidence,
  labelsMax: labelsSettings.defaults.labelsMax,
  moderationMinConfidence: moderationSettings.defaults.moderationMinConfidence,
  maxUploadBytes: mediaSettings.defaults.maxUploadBytes,
  dailyUploadQuota: mediaSettings.defaults.dailyUploadQuota,
} satisfies Partial<AppConfig>;

const STAGE_DEFAULTS: Record<Stage, AppConfig> = {
  dev: {
    stage: 'dev',
    serviceName: 'travel-guide',
    allowedOrigins: STAGE_ALLOWED_ORIGINS.dev,
    workflowType: 'STANDARD',
    logRetention: RetentionDays.TWO_WEEKS,
    // Nothing in dev is audited: its logs go as soon as they stop being useful for debugging.
    auditLogRetention: RetentionDays.TWO_WEEKS,
    removalPolicy: RemovalPolicy.DESTROY,
    bucketVersioning: true,
    ...RETENTION_DEFAULTS,
    ...FUNCTION_DEFAULTS,
    selfSignUp: true,
    userPoolPlan: 'ESSENTIALS',
    apiRateLimit: 20,
    apiBurstLimit: 40,
    apiGatewayCloudWatchRole: true,
    withAccessAnalyzer: true,
    withWaf: false,
    withDeveloperAccess: false,
    bootstrapQualifier: DEFAULT_BOOTSTRAP_QUALIFIER,
  },
  prod: {
    stage: 'prod',
    serviceName: 'travel-guide',
    allowedOrigins: STAGE_ALLOWED_ORIGINS.prod,
    workflowType: 'STANDARD',
    logRetention: RetentionDays.THREE_MONTHS,
    auditLogRetention: RetentionDays.ONE_YEAR,
    removalPolicy: RemovalPolicy.RETAIN,
    bucketVersioning: true,
    ...RETENTION_DEFAULTS,
    ...FUNCTION_DEFAULTS,
    selfSignUp: true,
    userPoolPlan: 'PLUS',
    apiRateLimit: 100,
    apiBurstLimit: 200,
    apiGatewayCloudWatchRole: true,
    withAccessAnalyzer: true,
    withWaf: true,
    withDeveloperAccess: false,
    bootstrapQualifier: DEFAULT_BOOTSTRAP_QUALIFIER,
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

/**
 * A context value that reaches a function, checked by the function's own setting (its rule and
 * bounds), so a value the function would refuse fails the synth instead of the first invocation.
 */
function settingFrom<T>(read: ContextReader, key: string, setting: Setting<T>, fallback: T): T {
  const value = read(key);
  return value === undefined ? fallback : checkSetting(setting, value, `Context ${key}`);
}

/** GitHub user and organisation names: alphanumerics and inner hyphens, at most 39 characters. */
const GITHUB_OWNER = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,37}[A-Za-z0-9])?$/;
/** GitHub repository names: letters, digits, `.`, `_`, `-`, at most 100 characters. */
const GITHUB_REPOSITORY_NAME = /^[A-Za-z0-9._-]{1,100}$/;
/** Matches the partitions' OIDC provider ARNs for GitHub Actions' token issuer. */
const GITHUB_OIDC_PROVIDER_ARN = /^arn:aws[a-z-]*:iam::\d{12}:oidc-provider\/token\.actions\.githubusercontent\.com$/;
/** The bootstrap template's own pattern for `--qualifier`. */
const BOOTSTRAP_QUALIFIER = /^[A-Za-z0-9_-]{1,10}$/;

/** A positive number, from cdk.json (a number) or `-c key=value` (a string). */
function positiveNumberFrom(key: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const number = typeof value === 'number' ? value : typeof value === 'string' ? Number(value.trim()) : Number.NaN;
  if (!Number.isFinite(number) || number <= 0 || (typeof value === 'string' && value.trim() === '')) {
    throw new Error(`Context ${key} must be a positive number, got ${JSON.stringify(value)}`);
  }
  return number;
}

function optionalString(key: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new Error(`Context ${key} must be a string, got ${JSON.stringify(value)}`);
  return value.trim();
}

function githubRepositoryFrom(value: string): string {
  const [owner, name, ...rest] = value.split('/');
  const valid =
    rest.length === 0 &&
    owner !== undefined &&
    GITHUB_OWNER.test(owner) &&
    name !== undefined &&
    GITHUB_REPOSITORY_NAME.test(name) &&
    name !== '.' &&
    name !== '..';
  if (!valid) throw new Error(`Context githubRepo must be "owner/name", got ${JSON.stringify(value)}`);
  return value;
}

function githubBranchFrom(value: string): string {
  // The role's trust compares the token's `sub` claim with StringEquals, so the branch must be a
  // plain git branch name: a pattern would never match, and a full ref would double the prefix.
  const valid =
    value !== '' &&
    !value.startsWith('refs/') &&
    !value.startsWith('/') &&
    !value.endsWith('/') &&
    !value.includes('..') &&
    !/[\s~^:?*[\\]/.test(value);
  if (!valid) {
    throw new Error(`Context githubBranch must be a branch name such as "main", got ${JSON.stringify(value)}`);
  }
  return value;
}

function githubDeployFrom(read: ContextReader): GitHubDeployConfig | undefined {
  const repository = optionalString('githubRepo', read('githubRepo'));
  const branch = optionalString('githubBranch', read('githubBranch'));
  const oidcProviderArn = optionalString('githubOidcProviderArn', read('githubOidcProviderArn'));
  if (repository === undefined || repository === '') {
    // A branch or provider without a repository would silently deploy no CI role at all.
    if (branch !== undefined || oidcProviderArn !== undefined) {
      throw new Error('Context githubBranch and githubOidcProviderArn need githubRepo');
    }
    return undefined;
  }
  if (oidcProviderArn !== undefined && !GITHUB_OIDC_PROVIDER_ARN.test(oidcProviderArn)) {
    throw new Error(
      `Context githubOidcProviderArn must be an IAM OIDC provider ARN for token.actions.githubusercontent.com, got ${JSON.stringify(oidcProviderArn)}`,
    );
  }
  return {
    repository: githubRepositoryFrom(repository),
    branch: githubBranchFrom(branch ?? 'main'),
    ...(oidcProviderArn !== undefined ? { oidcProviderArn } : {}),
  };
}

function bootstrapQualifierFrom(value: unknown, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !BOOTSTRAP_QUALIFIER.test(value)) {
    throw new Error(
      `Context @aws-cdk/core:bootstrapQualifier must match ${BOOTSTRAP_QUALIFIER}, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/**
 * The detector functions' reserved concurrency for `rekognitionTps` must fit in what Lambda lets an
 * account reserve, or the deploy fails at PutFunctionConcurrency. `lambdaConcurrencyQuota` (context)
 * is the account's quota where it has been raised; other stages in the account reserve their own.
 */
function checkReservable(rekognitionTps: number, quotaValue: unknown): void {
  const quota = positiveNumberFrom('lambdaConcurrencyQuota', quotaValue) ?? LAMBDA_DEFAULT_CONCURRENCY_QUOTA;
  if (!Number.isInteger(quota)) {
    throw new Error(`Context lambdaConcurrencyQuota must be a whole number, got ${JSON.stringify(quotaValue)}`);
  }
  const each = detectorReservedConcurrency(rekognitionTps);
  const reserved = each * DETECTOR_FUNCTIONS.length;
  const reservable = quota - LAMBDA_MIN_UNRESERVED_CONCURRENCY;
  if (reserved > reservable) {
    throw new Error(
      `Context rekognitionTps=${rekognitionTps} reserves ${reserved} concurrent executions (${each} for each of ` +
        `${DETECTOR_FUNCTIONS.join(' and ')}), more than the ${reservable} Lambda lets an account with a concurrency ` +
        `quota of ${quota} reserve (it keeps ${LAMBDA_MIN_UNRESERVED_CONCURRENCY} unreserved). Lower rekognitionTps, or ` +
        'raise the Lambda concurrency quota (Service Quotas) and pass it as -c lambdaConcurrencyQuota=<quota>.',
    );
  }
}

/** A loose spelling of a context key: case, hyphens and underscores ignored. */
const looseKey = (key: string): string => key.toLowerCase().replace(/[-_]/g, '');

/**
 * Builds the configuration of one stage: the stage defaults, overridden by context values.
 * Unknown stages and malformed values fail the synth instead of deploying something unintended.
 * `givenKeys`, every context key the app was given: a key that is one this function reads but for
 * case, hyphens or underscores (`-c workflowtype=EXPRESS`) fails too, rather than being ignored.
 */
export function loadConfig(readContext: ContextReader, givenKeys: readonly string[] = []): AppConfig {
  const readKeys = new Set<string>();
  const read: ContextReader = (key) => {
    readKeys.add(key);
    return readContext(key);
  };
  const config = configFrom(read);
  const known = new Map([...readKeys].map((key) => [looseKey(key), key]));
  for (const key of givenKeys) {
    const meant = known.get(looseKey(key));
    if (meant !== undefined && meant !== key) {
      throw new Error(`Context ${key} is not a setting of this app; did you mean ${meant}?`);
    }
  }
  return config;
}

/** A plausible e-mail address: something@domain.tld, no spaces. */
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function emailFrom(key: string, value: unknown): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string' || !EMAIL.test(value)) {
    throw new Error(`Context ${key} must be an e-mail address, got ${JSON.stringify(value)}`);
  }
  return value;
}

function configFrom(read: ContextReader): AppConfig {
  const stage = read('stage') ?? 'dev';
  if (!isStage(stage)) {
    throw new Error(`Context stage must be "dev" or "prod", got ${JSON.stringify(stage)}`);
  }
  const base = STAGE_DEFAULTS[stage];

  const workflowType = read('workflowType') ?? base.workflowType;
  if (workflowType !== 'STANDARD' && workflowType !== 'EXPRESS') {
    throw new Error(`Context workflowType must be STANDARD or EXPRESS, got ${JSON.stringify(workflowType)}`);
  }
  const alarmEmail = emailFrom('alarmEmail', read('alarmEmail'));
  const signUpEmailFrom = emailFrom('signUpEmailFrom', read('signUpEmailFrom'));
  const githubDeploy = githubDeployFrom(read);
  const rekognitionTps = positiveNumberFrom('rekognitionTps', read('rekognitionTps'));
  const lambdaConcurrencyQuota = read('lambdaConcurrencyQuota');
  if (rekognitionTps !== undefined) checkReservable(rekognitionTps, lambdaConcurrencyQuota);

  return {
    ...base,
    workflowType,
    allowedOrigins: settingFrom(read, 'allowedOrigins', mediaSettings.fields.allowedOrigins, base.allowedOrigins),
    moderationMinConfidence: settingFrom(
      read,
      'moderationMinConfidence',
      moderationSettings.fields.moderationMinConfidence,
      base.moderationMinConfidence,
    ),
    dailyUploadQuota: settingFrom(
      read,
      'dailyUploadQuota',
      mediaSettings.fields.dailyUploadQuota,
      base.dailyUploadQuota,
    ),
    selfSignUp: booleanFrom('selfSignUp', read('selfSignUp'), base.selfSignUp),
    bucketVersioning: booleanFrom('bucketVersioning', read('bucketVersioning'), base.bucketVersioning),
    quarantineDays: settingFrom(read, 'quarantineDays', RETENTION_SETTINGS.quarantineDays, base.quarantineDays),
    failedUploadDays: settingFrom(read, 'failedUploadDays', RETENTION_SETTINGS.failedUploadDays, base.failedUploadDays),
    noncurrentVersionDays: settingFrom(
      read,
      'noncurrentVersionDays',
      RETENTION_SETTINGS.noncurrentVersionDays,
      base.noncurrentVersionDays,
    ),
    apiGatewayCloudWatchRole: booleanFrom(
      'apiGatewayCloudWatchRole',
      read('apiGatewayCloudWatchRole'),
      base.apiGatewayCloudWatchRole,
    ),
    withAccessAnalyzer: booleanFrom('withAccessAnalyzer', read('withAccessAnalyzer'), base.withAccessAnalyzer),
    withWaf: booleanFrom('withWaf', read('withWaf'), base.withWaf),
    withDeveloperAccess: booleanFrom('withDeveloperAccess', read('withDeveloperAccess'), base.withDeveloperAccess),
    bootstrapQualifier: bootstrapQualifierFrom(read('@aws-cdk/core:bootstrapQualifier'), base.bootstrapQualifier),
    ...(githubDeploy !== undefined ? { githubDeploy } : {}),
    ...(rekognitionTps !== undefined ? { rekognitionTps } : {}),
    ...(alarmEmail !== undefined ? { alarmEmail } : {}),
    ...(signUpEmailFrom !== undefined ? { signUpEmailFrom } : {}),
  };
}

/** The configuration of a stage with no overrides, for tests and tools. */
export function stageConfig(stage: Stage, overrides: Partial<AppConfig> = {}): AppConfig {
  return { ...STAGE_DEFAULTS[stage], ...overrides };
}
