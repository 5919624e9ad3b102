import { Match } from 'aws-cdk-lib/assertions';
import { stageConfig } from '../../infra/config';
import {
  EXECUTION_TIMEOUT_SECONDS,
  STRANDED_CLAIM_MARGIN_SECONDS,
  strandedClaimAgeSeconds,
  SWEEP_INTERVAL_MINUTES,
} from '../../infra/definitions/pipeline';
import { logicalId, resourcesOfType, synthStack } from './support';

/*
 * The sweeper on the synthesized template: the sparse index it queries, its function and role, the
 * EventBridge Scheduler schedule that runs it (group, trust, dead-letter queue), and the alarms.
 * The permission matrix and the approved sets of both roles are in test/iam/least-privilege.test.ts.
 */

const synth = synthStack();
const express = synthStack({ config: { ...stageConfig('prod'), workflowType: 'EXPRESS' } });

/** Every statement of a role's policies, resolved as the template has them. */
function statementsOf(roleLogicalId: string, template = synth.template): unknown[] {
  return Object.values(resourcesOfType(template, 'AWS::IAM::Policy'))
    .filter((policy) => JSON.stringify(policy.Roles) === JSON.stringify([{ Ref: roleLogicalId }]))
    .flatMap((policy) => (policy.PolicyDocument as { Statement: unknown[] }).Statement);
}

describe('held-claim index', () => {
  it('is a sparse index of the media table keyed by claim shard and claim time, projecting only the holder', () => {
    const tables = resourcesOfType(synth.template, 'AWS::DynamoDB::Table');

    const media = tables[logicalId(synth.stack.mediaTable.table)];

    expect(media?.GlobalSecondaryIndexes).toContainEqual({
      IndexName: 'byClaimAge',
      KeySchema: [
        { AttributeName: 'claimShard', KeyType: 'HASH' },
        { AttributeName: 'claimedAt', KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['claimedBy'] },
    });
    expect(media?.AttributeDefinitions).toEqual(
      expect.arrayContaining([
        { AttributeName: 'claimShard', AttributeType: 'N' },
        { AttributeName: 'claimedAt', AttributeType: 'S' },
      ]),
    );
  });
});

describe('sweeper function', () => {
  it('is told the stranded age from the state machine timeout plus the margin, per workflow type', () => {
    const functions = (s: typeof synth) => resourcesOfType(s.template, 'AWS::Lambda::Function');
    const env = (s: typeof synth) =>
      (
        functions(s)[logicalId(s.stack.pipeline.sweeper.fn.function)]?.Environment as {
          Variables: Record<string, unknown>;
        }
      ).Variables;

    expect(env(synth)).toMatchObject({
      MEDIA_TABLE_NAME: { Ref: logicalId(synth.stack.mediaTable.table) },
      STRANDED_CLAIM_AGE_SECONDS: String(EXECUTION_TIMEOUT_SECONDS.STANDARD + STRANDED_CLAIM_MARGIN_SECONDS),
    });
    expect(env(express).STRANDED_CLAIM_AGE_SECONDS).toBe(String(strandedClaimAgeSeconds('EXPRESS')));
    expect(strandedClaimAgeSeconds('EXPRESS')).toBe(5 * 60 + STRANDED_CLAIM_MARGIN_SECONDS);
  });

  it('may only Query the held-claim index and UpdateItem the media table, besides its logs and traces', () => {
    const { sweeper } = synth.stack.pipeline;
    const table = logicalId(synth.stack.mediaTable.table);

    const statements = statementsOf(logicalId(sweeper.fn.role));

    expect(statements).toEqual([
      expect.objectContaining({ Action: ['logs:CreateLogStream', 'logs:PutLogEvents'] }),
      expect.objectContaining({ Action: ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'], Resource: '*' }),
      {
        Action: 'dynamodb:Query',
        Effect: 'Allow',
        Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [table, 'Arn'] }, '/index/byClaimAge']] },
      },
      { Action: 'dynamodb:UpdateItem', Effect: 'Allow', Resource: { 'Fn::GetAtt': [table, 'Arn'] } },
    ]);
  });

  it('is not retried by Lambda: the next scheduled run finds the same claims', () => {
    synth.template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: logicalId(synth.stack.pipeline.sweeper.fn.function) },
      MaximumRetryAttempts: 0,
    });
  });
});

describe('sweeper schedule', () => {
  it('runs the sweeper every few minutes from a schedule group of its own, with retries and a dead-letter queue', () => {
    const { sweeper } = synth.stack.pipeline;

    const schedules = Object.values(resourcesOfType(synth.template, 'AWS::Scheduler::Schedule'));

    expect(schedules).toEqual([
      expect.objectContaining({
        GroupName: 'TravelGuide-dev-Sweeper',
        ScheduleExpression: `rate(${SWEEP_INTERVAL_MINUTES} minutes)`,
        State: 'ENABLED',
        FlexibleTimeWindow: { Mode: 'OFF' },
        Target: {
          Arn: { 'Fn::GetAtt': [logicalId(sweeper.fn.function), 'Arn'] },
          RoleArn: { 'Fn::GetAtt': [logicalId(sweeper.scheduleRole), 'Arn'] },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [logicalId(sweeper.deadLetterQueue), 'Arn'] } },
          RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: SWEEP_INTERVAL_MINUTES * 60 },
        },
      }),
    ]);
    synth.template.hasResourceProperties('AWS::Scheduler::ScheduleGroup', { Name: 'TravelGuide-dev-Sweeper' });
    synth.template.hasResource('AWS::Scheduler::Schedule', {
      DependsOn: Match.arrayWith([logicalId(sweeper.scheduleGroup)]),
    });
  });

  it("trusts only EventBridge Scheduler acting for this stage's schedule group of this account", () => {
    const roles = resourcesOfType(synth.template, 'AWS::IAM::Role');

    const trust = roles[logicalId(synth.stack.pipeline.sweeper.scheduleRole)]?.AssumeRolePolicyDocument;

    expect(trust).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Action: 'sts:AssumeRole',
          Effect: 'Allow',
          Principal: { Service: 'scheduler.amazonaws.com' },
          Condition: {
            ArnLike: {
              'aws:SourceArn': {
                'Fn::Join': [
                  '',
                  [
                    'arn:',
                    { Ref: 'AWS::Partition' },
                    ':scheduler:',
                    { Ref: 'AWS::Region' },
                    ':',
                    { Ref: 'AWS::AccountId' },
                    ':schedule-group/TravelGuide-dev-Sweeper',
                  ],
                ],
              },
            },
            StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
          },
        },
      ],
    });
  });

  it("may only invoke the sweeper's unqualified ARN and send to the schedule's dead-letter queue", () => {
    const { sweeper } = synth.stack.pipeline;

    const statements = statementsOf(logicalId(sweeper.scheduleRole));

    expect(statements).toEqual([
      {
        Action: 'lambda:InvokeFunction',
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [logicalId(sweeper.fn.function), 'Arn'] },
      },
      {
        Action: 'sqs:SendMessage',
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [logicalId(sweeper.deadLetterQueue), 'Arn'] },
      },
    ]);
  });

  it('keeps undelivered invocations 14 days in an encrypted queue that refuses plain HTTP', () => {
    const queues = resourcesOfType(synth.template, 'AWS::SQS::Queue');

    expect(queues[logicalId(synth.stack.pipeline.sweeper.deadLetterQueue)]).toMatchObject({
      MessageRetentionPeriod: 14 * 24 * 60 * 60,
      SqsManagedSseEnabled: true,
    });
    synth.template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: logicalId(synth.stack.pipeline.sweeper.deadLetterQueue) }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });
});

describe('sweeper alarms', () => {
  const alarms = () => Object.values(resourcesOfType(synth.template, 'AWS::CloudWatch::Alarm'));
  const topic = () => ({ Ref: logicalId(synth.stack.observability.alarmTopic) });

  it("alarm to the topic when the schedule's dead-letter queue holds an invocation", () => {
    expect(alarms()).toContainEqual(
      expect.objectContaining({
        AlarmName: 'TravelGuide-dev-SweeperDeadLetterQueueAlarm',
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [
          {
            Name: 'QueueName',
            Value: { 'Fn::GetAtt': [logicalId(synth.stack.pipeline.sweeper.deadLetterQueue), 'QueueName'] },
          },
        ],
        Threshold: 1,
        AlarmActions: [topic()],
      }),
    );
  });

  it('alarm to the topic when the sweeper settled a stranded media, and when it fails', () => {
    expect(alarms()).toContainEqual(
      expect.objectContaining({
        AlarmName: 'TravelGuide-dev-StrandedMediaAlarm',
        Namespace: 'travel-guide',
        MetricName: 'StrandedClaimsSettled',
        Dimensions: [{ Name: 'service', Value: 'travel-guide-dev-media-pipeline' }],
        Threshold: 1,
        AlarmActions: [topic()],
      }),
    );
    expect(alarms()).toContainEqual(
      expect.objectContaining({
        AlarmName: 'TravelGuide-dev-SweeperErrorsAlarm',
        MetricName: 'Errors',
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalId(synth.stack.pipeline.sweeper.fn.function) } }],
        AlarmActions: [topic()],
      }),
    );
  });
});
