import { ArnFormat, Duration, Stack, Validations } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { CLAIM_REFUSALS } from '../../functions/record/record';
import type { AppFunction } from './app-function';

/** A step function shown on the dashboard and alarmed on. */
export interface ObservedStep {
  /** Label on the dashboard and in the alarm description, e.g. `thumbnail`. */
  readonly name: string;
  /** The function behind the step. */
  readonly fn: AppFunction;
}

/** Properties of a {@link PipelineObservability}. */
export interface PipelineObservabilityProps {
  /** The media pipeline state machine. */
  readonly stateMachine: sfn.IStateMachine;
  /** The pipeline's step functions. */
  readonly steps: readonly ObservedStep[];
  /** Dead-letter queue of the upload rule. */
  readonly deadLetterQueue: sqs.IQueue;
  /**
   * Dead-letter queue of the execution watcher: a status-change event there is a media the
   * watcher could not settle.
   * @default - none
   */
  readonly watcherDeadLetterQueue?: sqs.IQueue;
  /**
   * Dead-letter queue of the sweeper's schedule: a message there is a sweep the Scheduler could
   * not start. Giving it also alarms on the media the sweeper settles (`StrandedClaimsSettled`).
   * @default - none
   */
  readonly sweeperDeadLetterQueue?: sqs.IQueue;
  /** The API stage whose 4xx, 5xx and latency are shown; its 5xx are alarmed on. */
  readonly apiStage: apigw.Stage;
  /**
   * The functions behind the API (articles, media), shown beside the stage. Their failures reach
   * clients as 5xx, so the stage's 5xx alarm already covers them.
   * @default - none shown
   */
  readonly apiFunctions?: readonly ObservedStep[];
  /** Namespace of the functions' Powertools metrics. */
  readonly metricsNamespace: string;
  /** Powertools `service` dimension of the pipeline functions' metrics. */
  readonly pipelineServiceName: string;
  /**
   * E-mail address subscribed to the alarm topic.
   * @default - no subscription; subscribe to the topic out of band
   */
  readonly alarmEmail?: string;
  /**
   * Lambda errors per step within five minutes that raise the step alarm. Rejected uploads
   * (corrupt, not an image) are function errors by design, so one is not an incident.
   * @default 5
   */
  readonly stepErrorThreshold?: number;
}

const FIVE_MINUTES = Duration.minutes(5);
/** Age of the oldest dead-letter message that alarms: well before the queue's 14-day retention drops it. */
export const DEAD_LETTER_AGE_ALARM = Duration.days(3);

/**
 * The "pipeline runs" dashboard and the alarms that page someone: failed or timed-out
 * executions, anything in the dead-letter queue, repeated step errors, API 5xx and Rekognition
 * throttling. Alarms notify one SNS topic.
 */
export class PipelineObservability extends Construct {
  /** The "pipeline runs" dashboard. */
  public readonly dashboard: cloudwatch.Dashboard;
  /** Every alarm notifies this topic. */
  public readonly alarmTopic: sns.Topic;
  /** ARN pattern of this stack's alarms (`...:alarm:{stackName}-*`), the only ones the topic policy lets publish. */
  public readonly alarmArnPattern: string;
  /** The alarms, in the order they were created. */
  public readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: PipelineObservabilityProps) {
    super(scope, id);
    const { stateMachine, steps, deadLetterQueue, apiStage } = props;

    this.alarmTopic = new sns.Topic(this, 'AlarmTopic', { displayName: 'Travel guide alarms', enforceSSL: true });
    Validations.of(this.alarmTopic).acknowledge({
      id: 'AwsSolutions-SNS2',
      reason:
        'Alarm notifications carry alarm names and states only. CloudWatch cannot publish to a topic encrypted with the AWS-managed SNS key, and a customer-managed key for this would add a key policy to maintain for no confidentiality gain.',
    });
    // A topic policy replaces SNS's default policy: without this Allow (enforceSSL adds only a
    // Deny), every alarm action fails with "no resource-based policy allows the SNS:Publish action".
    // Only CloudWatch, on behalf of this account's alarms named after this stack, may publish.
    const stack = Stack.of(this);
    this.alarmArnPattern = stack.formatArn({
      service: 'cloudwatch',
      resource: 'alarm',
      resourceName: `${stack.stackName}-*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    this.alarmTopic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsOfThisStackPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.alarmTopic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: { 'aws:SourceArn': this.alarmArnPattern },
        },
      }),
    );
    if (props.alarmEmail !== undefined) {
      this.alarmTopic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    }
    const notify = new actions.SnsAction(this.alarmTopic);
    const alarm = (
      alarmId: string,
      description: string,
      metric: cloudwatch.IMetric,
      threshold = 1,
    ): cloudwatch.Alarm => {
      const created = new cloudwatch.Alarm(this, alarmId, {
        // Named after the stack, so the topic policy can allow exactly this stack's alarms.
        alarmName: `${stack.stackName}-${alarmId}`,
        alarmDescription: description,
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      created.addAlarmAction(notify);
      this.alarms.push(created);
      return created;
    };

    const sum = { period: FIVE_MINUTES, statistic: cloudwatch.Stats.SUM };
    alarm(
      'ExecutionsFailedAlarm',
      'Media pipeline executions failed (a pipeline fault, not a rejected upload)',
      stateMachine.metricFailed(sum),
    );
    alarm('ExecutionsTimedOutAlarm', 'Media pipeline executions timed out', stateMachine.metricTimedOut(sum));
    alarm(
      'ExecutionsAbortedAlarm',
      'Media pipeline executions were aborted (StopExecution or a redeploy); the watcher marks their media FAILED',
      stateMachine.metricAborted(sum),
    );
    alarm(
      'DeadLetterQueueAlarm',
      'Upload events could not be delivered to the media pipeline; they wait in the dead-letter queue',
      deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: FIVE_MINUTES,
        statistic: cloudwatch.Stats.MAXIMUM,
      }),
    );
    alarm(
      'DeadLetterQueueAgeAlarm',
      'An upload event has waited in the dead-letter queue for 3 days (it is lost after 14): re-drive it (README "Operations")',
      deadLetterQueue.metricApproximateAgeOfOldestMessage({
        period: FIVE_MINUTES,
        statistic: cloudwatch.Stats.MAXIMUM,
      }),
      DEAD_LETTER_AGE_ALARM.toSeconds(),
    );
    if (props.watcherDeadLetterQueue !== undefined) {
      alarm(
        'WatcherDeadLetterQueueAlarm',
        'The execution watcher could not settle a media after its retries; the status-change event waits in its dead-letter queue',
        props.watcherDeadLetterQueue.metricApproximateNumberOfMessagesVisible({
          period: FIVE_MINUTES,
          statistic: cloudwatch.Stats.MAXIMUM,
        }),
      );
    }
    if (props.sweeperDeadLetterQueue !== undefined) {
      alarm(
        'SweeperDeadLetterQueueAlarm',
        "EventBridge Scheduler could not invoke the sweeper after its retries; the invocation waits in the schedule's dead-letter queue",
        props.sweeperDeadLetterQueue.metricApproximateNumberOfMessagesVisible({
          period: FIVE_MINUTES,
          statistic: cloudwatch.Stats.MAXIMUM,
        }),
      );
      alarm(
        'StrandedMediaAlarm',
        'The sweeper settled media still PROCESSING after the pipeline timeout (FAILED PIPELINE_STRANDED): a run ended without the watcher settling it',
        new cloudwatch.Metric({
          namespace: props.metricsNamespace,
          metricName: 'StrandedClaimsSettled',
          dimensionsMap: { service: props.pipelineServiceName },
          ...sum,
        }),
      );
    }
    for (const step of steps) {
      alarm(
        `${step.name[0]?.toUpperCase() ?? ''}${step.name.slice(1)}ErrorsAlarm`,
        `The ${step.name} step failed repeatedly`,
        step.fn.function.metricErrors(sum),
        props.stepErrorThreshold ?? 5,
      );
    }
    alarm(
      'ApiServerErrorsAlarm',
      'The REST API (articles and media functions) answered with 5xx',
      apiStage.metricServerError(sum),
    );
    const rekognitionThrottles = new cloudwatch.MathExpression({
      expression: 'FILL(labels, 0) + FILL(moderation, 0)',
      usingMetrics: {
        labels: rekognitionThrottled('DetectLabels'),
        moderation: rekognitionThrottled('DetectModerationLabels'),
      },
      period: FIVE_MINUTES,
      label: 'Rekognition throttled calls',
    });
    alarm(
      'RekognitionThrottlingAlarm',
      'Rekognition throttled DetectLabels or DetectModerationLabels calls',
      rekognitionThrottles,
    );

    const custom = (metricName: string, statistic: string = cloudwatch.Stats.SUM): cloudwatch.Metric =>
      new cloudwatch.Metric({
        namespace: props.metricsNamespace,
        metricName,
        dimensionsMap: { service: props.pipelineServiceName },
        period: FIVE_MINUTES,
        statistic,
      });
    const percentiles = (make: (statistic: string) => cloudwatch.IMetric): cloudwatch.IMetric[] =>
      ['p50', 'p90', 'p99'].map((statistic) => make(statistic));

    // The name is derived from the stack name, so each stage has its own dashboard.
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `${Stack.of(this).stackName}-pipeline-runs`,
      defaultInterval: Duration.hours(3),
    });
    this.dashboard.addWidgets(
      new cloudwatch.TextWidget({
        markdown: '# Pipeline runs\nUploads → thumbnail → labels ‖ moderation → record. Alarms notify the alarm topic.',
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Executions',
        width: 12,
        left: [
          stateMachine.metricStarted(sum),
          stateMachine.metricSucceeded(sum),
          stateMachine.metricFailed(sum),
          stateMachine.metricTimedOut(sum),
          stateMachine.metricAborted(sum),
          stateMachine.metricThrottled(sum),
        ],
      }),
      new cloudwatch.GraphWidget({
        title: 'Execution time (p50 / p90 / p99)',
        width: 12,
        left: percentiles((statistic) =>
          stateMachine.metricTime({ period: FIVE_MINUTES, statistic, label: statistic }),
        ),
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Step duration p50',
        width: 8,
        left: steps.map((step) =>
          step.fn.function.metricDuration({ period: FIVE_MINUTES, statistic: 'p50', label: step.name }),
        ),
      }),
      new cloudwatch.GraphWidget({
        title: 'Step duration p99',
        width: 8,
        left: steps.map((step) =>
          step.fn.function.metricDuration({ period: FIVE_MINUTES, statistic: 'p99', label: step.name }),
        ),
      }),
      new cloudwatch.GraphWidget({
        title: 'Step errors and throttles',
        width: 8,
        left: steps.map((step) => step.fn.function.metricErrors({ ...sum, label: `${step.name} errors` })),
        right: steps.map((step) => step.fn.function.metricThrottles({ ...sum, label: `${step.name} throttles` })),
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Outcomes',
        width: 8,
        left: [custom('MediaProcessed'), custom('MediaRejected'), custom('MediaFailed'), custom('ModerationRejected')],
      }),
      new cloudwatch.GraphWidget({
        title: 'Rendition time (p50 / p99) and bytes',
        width: 8,
        left: [custom('RenditionTime', 'p50'), custom('RenditionTime', 'p99')],
        right: [custom('BytesIn'), custom('BytesOut')],
      }),
      new cloudwatch.GraphWidget({
        title: 'Dead-letter queue depth and Rekognition throttling',
        width: 8,
        left: [
          deadLetterQueue.metricApproximateNumberOfMessagesVisible({
            period: FIVE_MINUTES,
            statistic: cloudwatch.Stats.MAXIMUM,
          }),
        ],
        right: [rekognitionThrottles],
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        // Runs that ended at IgnoreDuplicate, by why the claim was refused: duplicate and superseded
        // deliveries are S3/EventBridge being at-least-once; reused upload forms and objects written
        // without a ticket (unissued) are clients going around POST /media/uploads.
        title: 'Refused claims by reason',
        width: 24,
        left: CLAIM_REFUSALS.map(
          (reason) =>
            new cloudwatch.Metric({
              namespace: props.metricsNamespace,
              metricName: 'ClaimsRefused',
              dimensionsMap: { service: props.pipelineServiceName, Reason: reason },
              period: FIVE_MINUTES,
              statistic: cloudwatch.Stats.SUM,
              label: reason,
            }),
        ),
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'API errors',
        width: 12,
        left: [apiStage.metricClientError(sum), apiStage.metricServerError(sum)],
      }),
      new cloudwatch.GraphWidget({
        title: 'API latency (p50 / p90 / p99)',
        width: 12,
        left: percentiles((statistic) => apiStage.metricLatency({ period: FIVE_MINUTES, statistic, label: statistic })),
      }),
    );
    const apiFunctions = props.apiFunctions ?? [];
    if (apiFunctions.length > 0) {
      this.dashboard.addWidgets(
        new cloudwatch.GraphWidget({
          title: 'API function duration p50',
          width: 8,
          left: apiFunctions.map((api) =>
            api.fn.function.metricDuration({ period: FIVE_MINUTES, statistic: 'p50', label: api.name }),
          ),
        }),
        new cloudwatch.GraphWidget({
          title: 'API function duration p99',
          width: 8,
          left: apiFunctions.map((api) =>
            api.fn.function.metricDuration({ period: FIVE_MINUTES, statistic: 'p99', label: api.name }),
          ),
        }),
        new cloudwatch.GraphWidget({
          title: 'API function errors and throttles',
          width: 8,
          left: apiFunctions.map((api) => api.fn.function.metricErrors({ ...sum, label: `${api.name} errors` })),
          right: apiFunctions.map((api) => api.fn.function.metricThrottles({ ...sum, label: `${api.name} throttles` })),
        }),
      );
    }
    this.dashboard.addWidgets(new cloudwatch.AlarmStatusWidget({ title: 'Alarms', width: 24, alarms: this.alarms }));
  }
}

function rekognitionThrottled(operation: string): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: 'AWS/Rekognition',
    metricName: 'ThrottledCount',
    dimensionsMap: { Operation: operation },
    period: FIVE_MINUTES,
    statistic: cloudwatch.Stats.SUM,
  });
}
