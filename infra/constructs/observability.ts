import { ArnFormat, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { ApiMonitoring, type ApiMonitoringProps } from './api-monitoring';
import type { AlarmBoard } from './alarm-board';
import { PipelineMonitoring, type PipelineMonitoringProps } from './pipeline-monitoring';

/** Properties of an {@link Observability}. */
export interface ObservabilityProps {
  /** What the media pipeline part watches. */
  readonly pipeline: PipelineMonitoringProps;
  /** What the API part watches. */
  readonly api: ApiMonitoringProps;
  /**
   * E-mail address subscribed to the alarm topic.
   * @default - no subscription; subscribe to the topic out of band
   */
  readonly alarmEmail?: string;
}

/**
 * The stage's "pipeline runs" dashboard and the alarms that page someone, in two parts: the media
 * pipeline ({@link PipelineMonitoring}: failed or timed-out executions, dead letters, repeated
 * step errors, Rekognition throttling) and the API ({@link ApiMonitoring}: 5xx, latency, its
 * functions). Every alarm notifies one SNS topic, which only this stack's alarms may publish to.
 *
 * The parts add their alarms and widgets to this construct, which is their one scope: the logical
 * ids CloudFormation keys them by are derived from it and stay those of the first deploy.
 */
export class Observability extends Construct implements AlarmBoard {
  /** The "pipeline runs" dashboard. */
  public readonly dashboard: cloudwatch.Dashboard;
  /** Every alarm notifies this topic. */
  public readonly alarmTopic: sns.Topic;
  /** ARN pattern of this stack's alarms (`...:alarm:{stackName}-*`), the only ones the topic policy lets publish. */
  public readonly alarmArnPattern: string;
  /** The alarms, in the order they were created. */
  public readonly alarms: cloudwatch.Alarm[] = [];
  /** The media pipeline's alarms and widgets. */
  public readonly pipeline: PipelineMonitoring;
  /** The API's alarms and widgets. */
  public readonly api: ApiMonitoring;
  private readonly notify: actions.SnsAction;

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    const stack = Stack.of(this);

    this.alarmTopic = new sns.Topic(this, 'AlarmTopic', { displayName: 'Travel guide alarms', enforceSSL: true });
    Validations.of(this.alarmTopic).acknowledge({
      id: 'AwsSolutions-SNS2',
      reason:
        'Alarm notifications carry alarm names and states only. CloudWatch cannot publish to a topic encrypted with the AWS-managed SNS key, and a customer-managed key for this would add a key policy to maintain for no confidentiality gain.',
    });
    // A topic policy replaces SNS's default policy: without this Allow (enforceSSL adds only a
    // Deny), every alarm action fails with "no resource-based policy allows the SNS:Publish action".
    // Only CloudWatch, on behalf of this account's alarms named after this stack, may publish.
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
    this.notify = new actions.SnsAction(this.alarmTopic);

    // The name is derived from the stack name, so each stage has its own dashboard.
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `${stack.stackName}-pipeline-runs`,
      defaultInterval: Duration.hours(3),
    });
    this.pipeline = new PipelineMonitoring(this, props.pipeline);
    this.api = new ApiMonitoring(this, props.api);
    this.dashboard.addWidgets(new cloudwatch.AlarmStatusWidget({ title: 'Alarms', width: 24, alarms: this.alarms }));
  }

  public alarm(alarmId: string, description: string, metric: cloudwatch.IMetric, threshold = 1): cloudwatch.Alarm {
    const stack = Stack.of(this);
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
    created.addAlarmAction(this.notify);
    this.alarms.push(created);
    return created;
  }
}
