import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { CLAIM_INDEX_NAME } from '../../functions/shared/media';
import { sweeperSettings } from '../../functions/sweeper/settings';
import {
  strandedClaimAgeSeconds,
  SWEEP_INTERVAL_MINUTES,
  SWEEPER_TIMEOUT_SECONDS,
  type PipelineWorkflowType,
} from '../definitions/pipeline';
import { confusedDeputyConditions } from '../definitions/trust';
import { AppFunction } from './app-function';
import { deadLetterQueue } from './dead-letter-queue';

/**
 * The L2 Lambda target, with the invoke permission on the function's unqualified ARN only: the
 * schedule targets that ARN, and the L2's grant would add every version and alias (`:*`).
 */
class InvokeFunction extends schedulerTargets.LambdaInvoke {
  protected override addTargetActionToRole(role: iam.IRole): void {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [this.targetArn] }),
    );
  }
}

/** Properties of a {@link ClaimSweeper}. */
export interface ClaimSweeperProps {
  /** The media table, with the held-claim index (infra/definitions/tables.ts). */
  readonly mediaTable: dynamodb.ITable;
  /** The state machine's workflow type: its execution limit sets the age of a stranded claim. */
  readonly workflowType: PipelineWorkflowType;
  /** Powertools service name and metrics namespace, as the pipeline's other functions have them. */
  readonly serviceName: string;
  readonly metricsNamespace: string;
  readonly logRetention: logs.RetentionDays;
  /** @default the repository root */
  readonly projectRoot?: string;
}

/**
 * The sweeper for what the execution watcher misses: a function that settles FAILED
 * (PIPELINE_STRANDED) every media still PROCESSING longer than the state machine's timeout plus a
 * margin, found by a Query on the sparse held-claim index, run every SWEEP_INTERVAL_MINUTES by
 * EventBridge Scheduler. The schedule sits in a group of its own, so the role the Scheduler assumes
 * can trust exactly this stage's schedules (AWS scopes that trust to a schedule group); the role may
 * only invoke the sweeper and put an invocation it could not deliver into the schedule's
 * dead-letter queue.
 */
export class ClaimSweeper extends Construct {
  /** Query on the held-claim index, conditional UpdateItem on the media table. */
  public readonly fn: AppFunction;
  /** The schedule group holding the sweeper's schedule: the Scheduler role's trust names it. */
  public readonly scheduleGroup: scheduler.ScheduleGroup;
  /** Runs the sweeper every SWEEP_INTERVAL_MINUTES. */
  public readonly schedule: scheduler.Schedule;
  /** The role EventBridge Scheduler assumes to invoke the sweeper. */
  public readonly scheduleRole: iam.Role;
  /** Invocations the Scheduler could not deliver after its retries, kept 14 days. */
  public readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: ClaimSweeperProps) {
    super(scope, id);
    const { mediaTable } = props;
    const stack = Stack.of(this);

    this.fn = new AppFunction(this, 'Function', {
      name: 'sweeper',
      serviceName: props.serviceName,
      metricsNamespace: props.metricsNamespace,
      logRetention: props.logRetention,
      timeout: Duration.seconds(SWEEPER_TIMEOUT_SECONDS),
      settings: sweeperSettings.toEnv({
        mediaTableName: mediaTable.tableName,
        strandedClaimAgeSeconds: strandedClaimAgeSeconds(props.workflowType),
      }),
      ...(props.projectRoot !== undefined ? { projectRoot: props.projectRoot } : {}),
    })
      .allowIndexQuery(mediaTable, CLAIM_INDEX_NAME)
      .allowTable(mediaTable, ['dynamodb:UpdateItem']);
    // A failed run is not retried by Lambda: the next scheduled run finds the same claims again.
    this.fn.function.configureAsyncInvoke({ retryAttempts: 0 });

    // Named after the stack, so a second stage deploys beside the first and the role's trust can
    // name the group before the schedule exists.
    // Deleted with the stack in every stage (CDK retains a schedule group by default): it holds
    // nothing but the schedule, and a group kept under this fixed name would make the stage's next
    // deploy fail with a ConflictException.
    const scheduleGroupName = `${stack.stackName}-Sweeper`;
    this.scheduleGroup = new scheduler.ScheduleGroup(this, 'ScheduleGroup', {
      scheduleGroupName,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const scheduleGroupArn = stack.formatArn({
      service: 'scheduler',
      resource: 'schedule-group',
      resourceName: scheduleGroupName,
    });
    this.scheduleRole = new iam.Role(this, 'ScheduleRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        // Against the confused deputy: only schedules of this group of this account (AWS documents
        // the schedule group ARN as the Scheduler's source, not the schedule's).
        conditions: confusedDeputyConditions(stack.account, [scheduleGroupArn]),
      }),
      description: 'Sweeper schedule: invokes exactly the sweeper function',
    });

    this.deadLetterQueue = deadLetterQueue(
      this,
      'ScheduleDeadLetterQueue',
      "This queue is itself the dead-letter queue of the sweeper's schedule: invocations the Scheduler could not deliver land here to be inspected.",
    );

    this.schedule = new scheduler.Schedule(this, 'Schedule', {
      scheduleGroup: this.scheduleGroup,
      description: 'Settles media still PROCESSING after the media pipeline timeout (stranded claims)',
      schedule: scheduler.ScheduleExpression.rate(Duration.minutes(SWEEP_INTERVAL_MINUTES)),
      target: new InvokeFunction(this.fn.function, {
        role: this.scheduleRole,
        deadLetterQueue: this.deadLetterQueue,
        // A run older than the interval is superseded by the next one.
        maxEventAge: Duration.minutes(SWEEP_INTERVAL_MINUTES),
        retryAttempts: 3,
      }),
    });
    // The schedule names its group by name, not by reference: CloudFormation must still create the group first.
    this.schedule.node.addDependency(this.scheduleGroup);
  }
}
