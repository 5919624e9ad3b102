import { existsSync } from 'node:fs';
import { AssetHashType, CfnElement, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { FunctionBundler } from '../bundle-function';
import { bundleExternals, FUNCTION_RUNTIME } from '../bundling';
import { functionEntry, REPO_ROOT } from '../repository';

/**
 * The only actions a function may hold on Resource "*": they have no resource type in IAM, so
 * "*" is the narrowest resource IAM accepts for them.
 */
export const ACTIONS_WITHOUT_RESOURCE_TYPE: ReadonlySet<string> = new Set([
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
  'rekognition:DetectLabels',
  'rekognition:DetectModerationLabels',
]);

/** DynamoDB item actions a function may be given; the type keeps wildcards and control-plane actions out. */
export type TableAction =
  'dynamodb:GetItem' | 'dynamodb:PutItem' | 'dynamodb:UpdateItem' | 'dynamodb:DeleteItem' | 'dynamodb:Query';

/** S3 object actions a function may be given, always on one key prefix. */
export type ObjectAction = 's3:GetObject' | 's3:PutObject' | 's3:DeleteObject' | 's3:DeleteObjectVersion';

/** S3 bucket listings a function may be given, always limited to key prefixes by an `s3:prefix` condition. */
export type ListingAction = 's3:ListBucket' | 's3:ListBucketVersions';

/** Properties of a {@link AppFunction}. */
export interface AppFunctionProps {
  /**
   * Folder name under `functions/`; the entry is `functions/<name>/handler.ts`, which exports `handler`.
   */
  readonly name: string;
  /** Value of POWERTOOLS_SERVICE_NAME, the `service` key of every log line and metric. */
  readonly serviceName: string;
  /** Value of POWERTOOLS_METRICS_NAMESPACE. */
  readonly metricsNamespace: string;
  /** Retention of the function's own log group. */
  readonly logRetention: logs.RetentionDays;
  /**
   * What happens to the log group when the stack is deleted.
   * @default RemovalPolicy.DESTROY (logs have their own retention)
   */
  readonly logRemovalPolicy?: RemovalPolicy;
  /**
   * Memory in MB. CPU scales with memory, so image work wants more than DynamoDB writes.
   * @default 256
   */
  readonly memorySize?: number;
  /** @default Duration.seconds(10) */
  readonly timeout?: Duration;
  /** @default 'INFO' */
  readonly logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  /**
   * The handler's settings as environment variables, written by the function's settings contract:
   * `<fn>Settings.toEnv({...})` from `functions/<fn>/settings.ts`, the schema the handler reads.
   */
  readonly settings: Record<string, string>;
  /**
   * Variables for the runtime rather than the handler (e.g. MALLOC_ARENA_MAX).
   * @default - none
   */
  readonly runtimeEnvironment?: Record<string, string>;
  /**
   * Queue for asynchronous invocations that failed after Lambda's retries (the role may then send
   * to this queue only).
   * @default - none
   */
  readonly deadLetterQueue?: sqs.IQueue;
  /**
   * Reserved concurrency: at most this many environments at once, and as many kept for this
   * function out of the account's limit. Invocations beyond it are throttled
   * (Lambda.TooManyRequestsException), which the state machine retries.
   * @default - none: the function shares the account's unreserved concurrency
   */
  readonly reservedConcurrentExecutions?: number;
  /** Layers, for native modules that are kept out of the bundle. @default - none */
  readonly layers?: lambda.ILayerVersion[];
  /**
   * Modules left out of the bundle because a layer provides them. Added to what
   * {@link bundleExternals} always leaves out.
   * @default - only what bundleExternals leaves out: everything else, the AWS SDK v3 clients included, is bundled
   */
  readonly externalModules?: string[];
  /**
   * Folder holding `package-lock.json`, `node_modules` and `functions/<name>/handler.ts`.
   * @default the repository root
   */
  readonly projectRoot?: string;
}

/**
 * One Lambda function of the app (a pipeline step or an API function) with the project's defaults
 * set once: the newest Node runtime, arm64, active X-Ray tracing, JSON logs into its own log group
 * with a retention, local esbuild bundling as `infra/bundling.ts` sets it (no Docker), and a role
 * of its own.
 *
 * The role starts with only what every function needs (write to its own log group, write
 * X-Ray segments). Everything else is added through {@link allow}, {@link allowTable} or {@link allowObjects},
 * each one explicit action list on one resource list: no grant helpers, because they emit
 * wildcard actions such as `s3:GetObject*` or `dynamodb:BatchGet*`.
 */
export class AppFunction extends Construct {
  /** The Lambda function. */
  public readonly function: lambda.Function;
  /** The function's own execution role; it trusts `lambda.amazonaws.com` only. */
  public readonly role: iam.Role;
  /** The function's own log group. */
  public readonly logGroup: logs.LogGroup;
  /** Modules the bundle leaves out (see {@link bundleExternals}); the benchmarks bundle with the same list. */
  public readonly externalModules: readonly string[];
  /** The folder of its handler: `functions/<name>/handler.ts`. */
  public readonly name: string;

  constructor(scope: Construct, id: string, props: AppFunctionProps) {
    super(scope, id);
    this.name = props.name;

    const projectRoot = props.projectRoot ?? REPO_ROOT;
    const entry = functionEntry(props.name, projectRoot);
    if (!existsSync(entry)) {
      throw new Error(`Lambda entry ${entry} does not exist: every function needs functions/${props.name}/handler.ts`);
    }

    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: props.logRetention,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.DESTROY,
    });

    // No AWSLambdaBasicExecutionRole: its logs statement is on Resource "*".
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of the ${props.name} function`,
    });
    this.allow(['logs:CreateLogStream', 'logs:PutLogEvents'], [this.logGroup.logGroupArn]);
    // X-Ray has no resource-level permissions for segment writes. Tracing ACTIVE adds the same
    // statement on its own; stating it here keeps the role's contents readable in one place.
    this.allow(['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], ['*']);

    this.externalModules = bundleExternals({ layerModules: props.externalModules });

    // Bundled locally with esbuild as infra/bundling.ts sets it, like NodejsFunction does, but
    // through esbuild's API (NodejsFunction runs its command line, which takes no plugins).
    const code = lambda.Code.fromAsset(projectRoot, {
      assetHashType: AssetHashType.OUTPUT,
      bundling: {
        image: FUNCTION_RUNTIME.bundlingImage,
        local: new FunctionBundler(entry, this.externalModules, projectRoot),
      },
    });

    const defaults: lambda.FunctionProps = {
      code,
      handler: 'index.handler',
      runtime: FUNCTION_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      timeout: Duration.seconds(10),
      tracing: lambda.Tracing.ACTIVE,
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: props.serviceName,
        POWERTOOLS_METRICS_NAMESPACE: props.metricsNamespace,
        POWERTOOLS_LOG_LEVEL: props.logLevel ?? 'INFO',
      },
    };

    this.function = new lambda.Function(this, 'Function', {
      ...defaults,
      ...(props.memorySize !== undefined ? { memorySize: props.memorySize } : {}),
      ...(props.timeout !== undefined ? { timeout: props.timeout } : {}),
      ...(props.layers !== undefined ? { layers: props.layers } : {}),
      ...(props.deadLetterQueue !== undefined ? { deadLetterQueue: props.deadLetterQueue } : {}),
      ...(props.reservedConcurrentExecutions !== undefined
        ? { reservedConcurrentExecutions: props.reservedConcurrentExecutions }
        : {}),
      environment: { ...defaults.environment, ...props.runtimeEnvironment, ...props.settings },
    });
  }

  /**
   * Adds one statement: these explicit actions on these resources. Wildcard actions are refused,
   * and Resource "*" is accepted only for actions that have no resource type.
   */
  public allow(actions: string[], resources: string[], conditions?: Record<string, Record<string, unknown>>): this {
    for (const action of actions) {
      if (action.includes('*')) throw new Error(`Wildcard action ${action} is not allowed on ${this.node.path}`);
      if (resources.includes('*') && !ACTIONS_WITHOUT_RESOURCE_TYPE.has(action)) {
        throw new Error(`${action} has a resource type: grant it on specific resources, not "*" (${this.node.path})`);
      }
    }
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions, resources, ...(conditions !== undefined ? { conditions } : {}) }),
    );
    if (resources.includes('*')) {
      Validations.of(this.role).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'Resource "*" only for actions without a resource type (X-Ray segment writes, Rekognition DetectLabels / DetectModerationLabels); AppFunction.allow refuses it for any other action.',
      });
    }
    return this;
  }

  /**
   * Allows a listing of the bucket, but only of keys under these prefixes: the `s3:prefix`
   * condition refuses a listing without a prefix or with any other one.
   */
  public allowListing(bucket: s3.IBucket, action: ListingAction, prefixes: string[]): this {
    for (const prefix of prefixes) {
      if (!prefix.endsWith('/') || prefix.includes('*'))
        throw new Error(`Key prefix ${prefix} must end with "/" and hold no wildcard`);
    }
    return this.allow([action], [bucket.bucketArn], {
      StringLike: { 's3:prefix': prefixes.map((prefix) => `${prefix}*`) },
    });
  }

  /** Allows item actions on a table (not its indexes). The table's name reaches the handler through its settings. */
  public allowTable(table: dynamodb.ITable, actions: TableAction[]): this {
    return this.allow(actions, [table.tableArn]);
  }

  /** Allows dynamodb:Query on one named index of a table. */
  public allowIndexQuery(table: dynamodb.ITable, indexName: string): this {
    return this.allow(['dynamodb:Query'], [`${table.tableArn}/index/${indexName}`]);
  }

  /**
   * Allows secretsmanager:GetSecretValue on one secret (any version stage), and nothing else on
   * it: no DescribeSecret, no KMS grant (the secret uses the account's AWS managed key, whose
   * policy lets Secrets Manager decrypt for any caller allowed GetSecretValue). The secret's ARN
   * reaches the handler through its settings.
   */
  public allowSecretRead(secret: secretsmanager.ISecret): this {
    return this.allow(['secretsmanager:GetSecretValue'], [secret.secretArn]);
  }

  /** Allows object actions under one key prefix of a bucket, e.g. `uploads/`. */
  public allowObjects(bucket: s3.IBucket, prefix: string, actions: ObjectAction[]): this {
    if (!prefix.endsWith('/') || prefix.includes('*'))
      throw new Error(`Key prefix ${prefix} must end with "/" and hold no wildcard`);
    this.allow(actions, [bucket.arnForObjects(`${prefix}*`)]);
    const bucketResource = bucket.node.defaultChild;
    if (bucketResource instanceof CfnElement) {
      const bucketId = Stack.of(bucketResource).getLogicalId(bucketResource);
      Validations.of(this.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${prefix}*]`,
        reason: `${actions.join(', ')} on objects under ${prefix} only: object keys are server-chosen ids, so one prefix is the narrowest scope that still covers them.`,
      });
    }
    return this;
  }
}
