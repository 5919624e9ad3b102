import { Match } from 'aws-cdk-lib/assertions';
import { stageConfig } from '../../infra/config';
import { logicalId, resourcesOfType, synthStack, type Synthesized } from './support';

// The prod stage with the Express workflow and an alarm address: the options dev does not show.
let synth: Synthesized;
beforeAll(() => {
  synth = synthStack({ config: stageConfig('prod', { workflowType: 'EXPRESS', alarmEmail: 'ops@example.com' }) });
});

describe('prod stage', () => {
  it('tags every taggable resource with Service and Environment', () => {
    const resources = synth.template.toJSON().Resources as Record<
      string,
      { Type: string; Properties?: { Tags?: unknown } }
    >;
    const taggable = Object.entries(resources).filter(([, resource]) => Array.isArray(resource.Properties?.Tags));

    const untagged = taggable
      .filter(([, resource]) => {
        const tags = resource.Properties?.Tags as Array<{ Key: string; Value: string }>;
        const byKey = new Map(tags.map((tag) => [tag.Key, tag.Value]));
        return byKey.get('Service') !== 'travel-guide' || byKey.get('Environment') !== 'prod';
      })
      .map(([id]) => id);

    expect(taggable.length).toBeGreaterThan(10);
    expect(untagged).toEqual([]);
  });

  it('creates no account-wide singleton (the account stack holds them)', () => {
    synth.template.resourceCountIs('AWS::AccessAnalyzer::Analyzer', 0);
    synth.template.resourceCountIs('AWS::ApiGateway::Account', 0);
  });

  it('retains the bucket, tables and user pool when the stack is deleted', () => {
    const { stack } = synth;
    const resources = synth.template.toJSON().Resources as Record<string, { DeletionPolicy?: string }>;

    for (const construct of [
      stack.media.bucket,
      stack.mediaTable.table,
      stack.api.articles.table,
      stack.api.media.uploadQuotaTable,
      stack.api.users.userPool,
    ]) {
      expect(resources[logicalId(construct)]?.DeletionPolicy).toBe('Retain');
    }
  });

  it('runs Cognito threat protection in full-function mode on the Plus plan', () => {
    synth.template.hasResourceProperties('AWS::Cognito::UserPool', {
      UserPoolTier: 'PLUS',
      UserPoolAddOns: { AdvancedSecurityMode: 'ENFORCED' },
    });
  });

  it('runs an Express workflow that still logs ALL with execution data', () => {
    synth.template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'EXPRESS',
      LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: true },
    });
  });
});

describe('alarms', () => {
  function alarmOn(metricName: string, namespace: string): Record<string, unknown> | undefined {
    return Object.values(resourcesOfType(synth.template, 'AWS::CloudWatch::Alarm')).find(
      (alarm) => alarm.MetricName === metricName && alarm.Namespace === namespace,
    );
  }

  it('notify the alarm topic, which mails the configured address', () => {
    const topicRef = { Ref: logicalId(synth.stack.observability.alarmTopic) };
    const alarms = Object.values(resourcesOfType(synth.template, 'AWS::CloudWatch::Alarm'));

    expect(alarms.length).toBeGreaterThan(0);
    for (const alarm of alarms) expect(alarm.AlarmActions).toEqual([topicRef]);
    synth.template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
      TopicArn: topicRef,
    });
  });

  it('fire on the first failed execution', () => {
    expect(alarmOn('ExecutionsFailed', 'AWS/States')).toMatchObject({
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: logicalId(synth.stack.pipeline.stateMachine) } }],
    });
  });

  it('fire when any event waits in the dead-letter queue', () => {
    expect(alarmOn('ApproximateNumberOfMessagesVisible', 'AWS/SQS')).toMatchObject({
      Threshold: 1,
      Dimensions: [
        { Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(synth.stack.pipeline.deadLetterQueue), 'QueueName'] } },
      ],
    });
  });

  it('watch the errors of each of the five steps, of the execution watcher and of the sweeper', () => {
    const { pipeline } = synth.stack;
    const watched = Object.values(resourcesOfType(synth.template, 'AWS::CloudWatch::Alarm'))
      .filter((alarm) => alarm.MetricName === 'Errors' && alarm.Namespace === 'AWS/Lambda')
      .map((alarm) => JSON.stringify(alarm.Dimensions));

    const expected = [
      pipeline.thumbnail,
      pipeline.labels,
      pipeline.moderation,
      pipeline.record,
      pipeline.takedown,
      pipeline.watcher,
      pipeline.sweeper.fn,
    ].map((step) => JSON.stringify([{ Name: 'FunctionName', Value: { Ref: logicalId(step.function) } }]));

    expect(watched.sort()).toEqual(expected.sort());
  });

  it('fire on API 5xx and on Rekognition throttling', () => {
    expect(alarmOn('5XXError', 'AWS/ApiGateway')).toBeDefined();
    synth.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: Match.arrayWith([
        Match.objectLike({
          MetricStat: Match.objectLike({
            Metric: {
              Namespace: 'AWS/Rekognition',
              MetricName: 'ThrottledCount',
              Dimensions: [{ Name: 'Operation', Value: 'DetectLabels' }],
            },
          }),
        }),
      ]),
    });
  });
});

describe('dashboard', () => {
  function body(): string {
    const [dashboard] = Object.values(resourcesOfType(synth.template, 'AWS::CloudWatch::Dashboard'));
    return JSON.stringify(dashboard?.DashboardBody);
  }

  it.each([
    'ExecutionsStarted',
    'ExecutionsSucceeded',
    'ExecutionsFailed',
    'ExecutionsTimedOut',
    'ExecutionThrottled',
    'ExecutionTime',
    'Duration',
    'Throttles',
    'ApproximateNumberOfMessagesVisible',
    '4XXError',
    '5XXError',
    'Latency',
    'MediaProcessed',
    'MediaRejected',
    'MediaFailed',
    'RenditionTime',
    'BytesIn',
    'BytesOut',
  ])('graphs %s', (metricName) => {
    expect(body()).toContain(`\\"${metricName}\\"`);
  });

  it('shows execution time at p50, p90 and p99', () => {
    expect(body()).toMatch(/ExecutionTime.*"stat\\":\\"p50/);
    expect(body()).toMatch(/ExecutionTime.*"stat\\":\\"p99/);
  });
});
