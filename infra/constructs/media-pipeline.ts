import { readFileSync } from 'node:fs';
import { ArnFormat, Duration, Stack, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { AppConfig } from '../config';
import {
  renderPipelineDefinition,
  reservedConcurrency,
  STEP_FUNCTION_TIMEOUT_SECONDS,
  type StepFunctionName,
} from '../definitions/pipeline';
import { labelsSettings } from '../../functions/labels/settings';
import { moderationSettings } from '../../functions/moderation/settings';
import { recordSettings } from '../../functions/record/settings';
import { watcherSettings } from '../../functions/watcher/settings';
import { DERIVED_PREFIX, FAILED_PREFIX, QUARANTINE_PREFIX, UPLOAD_PREFIX } from '../../functions/shared/media';
import { takedownSettings } from '../../functions/takedown/settings';
import { thumbnailSettings } from '../../functions/thumbnail/settings';
import { loadInputTransformer, type InputTransformer } from '../definitions/input-transformer';
import {
  EXECUTION_ENDED_PATTERN,
  functionArnSubstitutions,
  rulePattern,
  STATE_MACHINE_DEFINITION,
  UPLOADED_INPUT,
  UPLOADED_PATTERN,
} from '../definitions/pipeline-sources';
import { confusedDeputyConditions } from '../definitions/trust';
import { AppFunction } from './app-function';
import { deadLetterQueue } from './dead-letter-queue';
import { ClaimSweeper } from './claim-sweeper';
import { SharpLayer } from './sharp-layer';

/** A rule target input given as an InputTransformer file (`events/*.input.json`). */
class TransformedInput extends events.RuleTargetInput {
  constructor(private readonly transformer: InputTransformer) {
    super();
  }

  public bind(): events.RuleTargetInputProperties {
    return { inputPathsMap: { ...this.transformer.inputPathsMap }, inputTemplate: this.transformer.inputTemplate };
  }
}

/** Properties of a {@link MediaPipeline}. */
export interface MediaPipelineProps {
  /** The stage's configuration (thresholds, workflow type, log retention). */
  readonly config: AppConfig;
  /** Bucket whose `uploads/` objects start a run; renditions go to its `derived/` prefix. */
  readonly bucket: s3.IBucket;
  /** Table holding one media record per upload. */
  readonly mediaTable: dynamodb.ITable;
  /**
   * Folder holding `package-lock.json`, `node_modules` and `functions/<name>/handler.ts`.
   * @default the repository root
   */
  readonly projectRoot?: string;
}

/**
 * Loads the rule pattern file and puts the bucket name where the file says `${MediaBucketName}`.
 * The file's keys are EventBridge's (`detail-type`); the L2 rule wants `detailType`.
 */
export function uploadedEventPattern(bucketName: string, file = UPLOADED_PATTERN): events.EventPattern {
  return eventPatternFrom(file, { MediaBucketName: bucketName });
}

/**
 * A rule pattern file with each `${Name}` value put where the file says it (../definitions/pipeline-sources.ts,
 * as the twin reads it), its keys renamed for the L2 rule (`detail-type` → `detailType`).
 */
export function eventPatternFrom(file: string, values: Record<string, string>): events.EventPattern {
  return Object.fromEntries(
    Object.entries(rulePattern(file, values)).map(([key, value]) => [
      key.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase()),
      value,
    ]),
  ) as events.EventPattern;
}

/**
 * The media pipeline: four step functions under roles of their own, the state machine from
 * `statemachines/media-pipeline.asl.json`, and the EventBridge rule from
 * `events/media-uploaded.pattern.json` that starts one execution per upload, with a dead-letter
 * queue for events the rule could not deliver.
 */
export class MediaPipeline extends Construct {
  /** Validates the upload and writes renditions plus the analysis JPEG under `derived/`. */
  public readonly thumbnail: AppFunction;
  /** Rekognition DetectLabels on the analysis JPEG. */
  public readonly labels: AppFunction;
  /** Rekognition DetectModerationLabels on the analysis JPEG. */
  public readonly moderation: AppFunction;
  /**
   * After a REJECTED or FAILED outcome: deletes the media's derived objects and moves its original
   * out of uploads/ (to quarantine/ or failed/, each expired by a lifecycle rule).
   */
  public readonly takedown: AppFunction;
  /** Writes the media record: PROCESSING, then READY, REJECTED or FAILED. */
  public readonly record: AppFunction;
  /** The state machine built from `statemachines/media-pipeline.asl.json`. */
  public readonly stateMachine: sfn.StateMachine;
  /** The state machine's role: invokes the four step functions, delivers logs, writes traces. */
  public readonly stateMachineRole: iam.Role;
  /** Execution history (level ALL, with execution data). */
  public readonly stateMachineLogGroup: logs.LogGroup;
  /** The rule built from `events/media-uploaded.pattern.json`. */
  public readonly rule: events.Rule;
  /** The role EventBridge assumes to start executions. */
  public readonly ruleRole: iam.Role;
  /** Upload events the rule could not deliver, kept 14 days. */
  public readonly deadLetterQueue: sqs.Queue;
  /** Marks the media of an execution that ended FAILED, TIMED_OUT or ABORTED while holding its claim. */
  public readonly watcher: AppFunction;
  /** Status-change events the watcher could not handle after its retries, kept 14 days. */
  public readonly watcherDeadLetterQueue: sqs.Queue;
  /** The rule built from `events/execution-ended.pattern.json` that invokes the watcher. */
  public readonly executionEndedRule: events.Rule;
  /** Settles media whose claim outlived the state machine's timeout: what the watcher never saw. */
  public readonly sweeper: ClaimSweeper;
  /** Powertools service name of the step functions (the `service` dimension of their metrics). */
  public readonly serviceName: string;
  /** Name of the state machine, `<stack name>-MediaPipeline`: its role's trust names it. */
  public readonly stateMachineName: string;
  /** Name of the upload rule, `<stack name>-MediaUploaded`: its role's trust names it. */
  public readonly ruleName: string;

  constructor(scope: Construct, id: string, props: MediaPipelineProps) {
    super(scope, id);
    const { config, bucket, mediaTable } = props;
    // The `service` dimension of the pipeline's own metrics: one per stage, so stages in one account
    // never add up on each other's dashboard.
    this.serviceName = `${config.serviceName}-${config.stage}-media-pipeline`;
    const common = {
      serviceName: this.serviceName,
      metricsNamespace: config.serviceName,
      logRetention: config.logRetention,
      ...(props.projectRoot !== undefined ? { projectRoot: props.projectRoot } : {}),
    };

    // Thumbnail: the only step that touches the original upload; it writes only under derived/.
    this.thumbnail = new AppFunction(this, 'Thumbnail', {
      ...common,
      name: 'thumbnail',
      // CPU scales with memory; sharp decodes up to 100 MP, so it gets room and time.
      memorySize: 2048,
      timeout: Duration.seconds(STEP_FUNCTION_TIMEOUT_SECONDS.thumbnail),
      layers: [new SharpLayer(this, 'Sharp').layer],
      externalModules: ['sharp'],
      settings: thumbnailSettings.toEnv({}),
      runtimeEnvironment: {
        // glibc gives each of libvips' threads its own malloc arena; capping them keeps a warm
        // environment's RSS flat across invocations (measured: 500 MB -> 370 MB after four 54 MP runs).
        MALLOC_ARENA_MAX: '2',
      },
    })
      .allowObjects(bucket, UPLOAD_PREFIX, ['s3:GetObject'])
      .allowObjects(bucket, DERIVED_PREFIX, ['s3:PutObject']);

    // With a stated Rekognition quota, each detector gets as many environments as its API may take
    // calls a second: a burst waits at Lambda (throttles are free and retried by the ASL), not at
    // Rekognition. The twin derives the same limit from REKOGNITION_TPS.
    const reserved = reservedConcurrency(config.rekognitionTps);
    const concurrencyOf = (name: StepFunctionName): { reservedConcurrentExecutions?: number } => {
      const limit = reserved[name];
      return limit !== undefined ? { reservedConcurrentExecutions: limit } : {};
    };

    // Labels and moderation read the analysis JPEG; Rekognition's detect actions have no
    // resource type, so "*" is the narrowest resource IAM accepts for them.
    this.labels = new AppFunction(this, 'Labels', {
      ...common,
      ...concurrencyOf('labels'),
      name: 'labels',
      timeout: Duration.seconds(STEP_FUNCTION_TIMEOUT_SECONDS.labels),
      settings: labelsSettings.toEnv({ labelsMinConfidence: config.labelsMinConfidence, labelsMax: config.labelsMax }),
    })
      .allow(['rekognition:DetectLabels'], ['*'])
      .allowObjects(bucket, DERIVED_PREFIX, ['s3:GetObject']);

    this.moderation = new AppFunction(this, 'Moderation', {
      ...common,
      ...concurrencyOf('moderation'),
      name: 'moderation',
      timeout: Duration.seconds(STEP_FUNCTION_TIMEOUT_SECONDS.moderation),
      settings: moderationSettings.toEnv({ moderationMinConfidence: config.moderationMinConfidence }),
    })
      .allow(['rekognition:DetectModerationLabels'], ['*'])
      .allowObjects(bucket, DERIVED_PREFIX, ['s3:GetObject']);

    this.record = new AppFunction(this, 'Record', {
      ...common,
      name: 'record',
      timeout: Duration.seconds(STEP_FUNCTION_TIMEOUT_SECONDS.record),
      settings: recordSettings.toEnv({ mediaTableName: mediaTable.tableName }),
    }).allowTable(mediaTable, ['dynamodb:UpdateItem']);

    // Takedown: the only step that moves originals out of uploads/ and deletes derived objects
    // (current versions only: noncurrent ones are for no role to read, and expire). It lists only
    // under uploads/ and derived/, to tell a missing object from a refused one and to find every
    // derived object of a media; it may write only under quarantine/ and failed/. It may delete one
    // version under uploads/ only: the one a re-posted upload form wrote (RemoveReusedUpload), so
    // the version before it is current again.
    this.takedown = new AppFunction(this, 'Takedown', {
      ...common,
      name: 'takedown',
      timeout: Duration.seconds(STEP_FUNCTION_TIMEOUT_SECONDS.takedown),
      settings: takedownSettings.toEnv({}),
    })
      .allowListing(bucket, 's3:ListBucket', [UPLOAD_PREFIX, DERIVED_PREFIX])
      .allowObjects(bucket, UPLOAD_PREFIX, ['s3:GetObject', 's3:DeleteObject', 's3:DeleteObjectVersion'])
      .allowObjects(bucket, DERIVED_PREFIX, ['s3:DeleteObject'])
      .allowObjects(bucket, QUARANTINE_PREFIX, ['s3:PutObject'])
      .allowObjects(bucket, FAILED_PREFIX, ['s3:PutObject']);

    // Step Functions delivers its own logs; a /aws/vendedlogs/ name keeps CloudWatch Logs'
    // account-wide resource policy from growing with every state machine. The name is derived
    // from the stack name, so a second stage still deploys beside the first.
    this.stateMachineLogGroup = new logs.LogGroup(this, 'StateMachineLogGroup', {
      logGroupName: `/aws/vendedlogs/states/${Stack.of(this).stackName}-MediaPipeline`,
      // The execution history of every upload: an audit log.
      retention: config.auditLogRetention,
      removalPolicy: config.removalPolicy,
    });

    // The state machine and the rule get names derived from the stack name (a second stage still
    // deploys beside the first), so that the roles they assume can name them in their trust: a role
    // must exist before the state machine or rule that uses it, so its trust cannot refer to their
    // ARNs by reference without a circular dependency.
    const stack = Stack.of(this);
    this.stateMachineName = `${stack.stackName}-MediaPipeline`;
    this.ruleName = `${stack.stackName}-MediaUploaded`;
    const stateMachineArn = stack.formatArn({
      service: 'states',
      resource: 'stateMachine',
      resourceName: this.stateMachineName,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    const ruleArn = stack.formatArn({ service: 'events', resource: 'rule', resourceName: this.ruleName });

    this.stateMachineRole = new iam.Role(this, 'StateMachineRole', {
      assumedBy: new iam.ServicePrincipal('states.amazonaws.com', {
        // Against the confused deputy: Step Functions may assume it only for this state machine
        // (its ARN, or a version or alias of it) of this account.
        conditions: confusedDeputyConditions(stack.account, [stateMachineArn, `${stateMachineArn}:*`]),
      }),
      description: 'Media pipeline state machine: invokes exactly its five step functions',
    });
    const steps = [this.thumbnail, this.labels, this.moderation, this.record, this.takedown];
    // Unqualified ARNs only: the ASL references the functions without version or alias, so no
    // `:*` qualifier wildcard is needed.
    this.stateMachineRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['lambda:InvokeFunction'],
        resources: steps.map((step) => step.function.functionArn),
      }),
    );

    const express = config.workflowType === 'EXPRESS';
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName: this.stateMachineName,
      // The file with its TimeoutSeconds filled in (see infra/definitions/pipeline.ts); the ARNs
      // stay placeholders for definitionSubstitutions.
      definitionBody: sfn.DefinitionBody.fromString(
        renderPipelineDefinition(readFileSync(STATE_MACHINE_DEFINITION, 'utf8'), config.workflowType),
      ),
      definitionSubstitutions: functionArnSubstitutions((name) => this[name].function.functionArn),
      stateMachineType: express ? sfn.StateMachineType.EXPRESS : sfn.StateMachineType.STANDARD,
      role: this.stateMachineRole,
      tracingEnabled: true,
      logs: { destination: this.stateMachineLogGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
    });

    Validations.of(this.stateMachineRole).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Only the actions Step Functions requires on "*" because they have no resource type: CloudWatch Logs delivery (logs:CreateLogDelivery and friends) for execution logging, and X-Ray segment writes and sampling for tracing. Lambda invocation is on the four function ARNs.',
    });

    this.deadLetterQueue = deadLetterQueue(
      this,
      'UploadEventsDeadLetterQueue',
      'This queue is itself the dead-letter queue of the upload rule; messages land here to be inspected and redriven.',
    );

    this.ruleRole = new iam.Role(this, 'UploadRuleRole', {
      assumedBy: new iam.ServicePrincipal('events.amazonaws.com', {
        // For a rule's target, EventBridge's source is the rule: only this rule of this account.
        conditions: confusedDeputyConditions(stack.account, [ruleArn]),
      }),
      description: 'Media uploaded rule: starts executions of exactly the media pipeline',
    });
    this.ruleRole.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['states:StartExecution'], resources: [this.stateMachine.stateMachineArn] }),
    );

    this.rule = new events.Rule(this, 'MediaUploadedRule', {
      ruleName: this.ruleName,
      description: 'Starts the media pipeline for each object created under uploads/ in the media bucket',
      eventPattern: uploadedEventPattern(bucket.bucketName),
    });
    this.rule.addTarget(
      new targets.SfnStateMachine(this.stateMachine, {
        // Only bucket, key, size, ETag, sequencer and time: the uploader's IP address and the
        // requester would otherwise sit in every execution's input and logged history.
        input: new TransformedInput(loadInputTransformer(UPLOADED_INPUT)),
        role: this.ruleRole,
        deadLetterQueue: this.deadLetterQueue,
        retryAttempts: 8,
        maxEventAge: Duration.hours(6),
      }),
    );

    // The watcher: what the ASL cannot catch (an execution that fails in RecordFailure, times out
    // or is stopped) still ends with the media settled. Standard workflows only: Step Functions
    // sends status-change events for them; the sweeper covers Express.
    this.watcherDeadLetterQueue = deadLetterQueue(
      this,
      'WatcherDeadLetterQueue',
      "This queue is itself the watcher's dead-letter queue: status-change events it could not handle land here to be inspected and replayed.",
    );
    this.watcher = new AppFunction(this, 'Watcher', {
      ...common,
      name: 'watcher',
      timeout: Duration.seconds(10),
      settings: watcherSettings.toEnv({ mediaTableName: mediaTable.tableName }),
      deadLetterQueue: this.watcherDeadLetterQueue,
    }).allowTable(mediaTable, ['dynamodb:UpdateItem']);
    this.executionEndedRule = new events.Rule(this, 'ExecutionEndedRule', {
      description: 'Settles the media of media pipeline executions that ended FAILED, TIMED_OUT or ABORTED',
      eventPattern: eventPatternFrom(EXECUTION_ENDED_PATTERN, { StateMachineArn: this.stateMachine.stateMachineArn }),
    });
    this.executionEndedRule.addTarget(
      new targets.LambdaFunction(this.watcher.function, {
        deadLetterQueue: this.watcherDeadLetterQueue,
        retryAttempts: 8,
        maxEventAge: Duration.hours(6),
      }),
    );

    // The sweeper: claims no event settles (Express runs, a watcher event lost in its dead-letter
    // queue) end FAILED once they are older than any execution may run.
    this.sweeper = new ClaimSweeper(this, 'Sweeper', {
      mediaTable,
      workflowType: config.workflowType,
      serviceName: this.serviceName,
      metricsNamespace: config.serviceName,
      logRetention: config.logRetention,
      ...(props.projectRoot !== undefined ? { projectRoot: props.projectRoot } : {}),
    });
  }
}
