import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Match } from 'aws-cdk-lib/assertions';
import { stageConfig, type Stage } from '../../infra/config';
import { REPO_ROOT } from '../../infra/repository';
import { renderPipelineDefinition } from '../../infra/definitions/pipeline';
import { loadInputTransformer } from '../../infra/definitions/input-transformer';
import type { AppFunction } from '../../infra/constructs/app-function';
import { logicalId, resourcesOfType, synthStack, type Synthesized } from './support';

let synth: Synthesized;
beforeAll(() => {
  synth = synthStack();
});

describe('state machine', () => {
  it('substitutes the five function ARNs into the ASL placeholders', () => {
    const { pipeline } = synth.stack;
    const machines = resourcesOfType(synth.template, 'AWS::StepFunctions::StateMachine');

    const machine = machines[logicalId(pipeline.stateMachine)];

    expect(machine?.DefinitionSubstitutions).toEqual({
      ThumbnailFunctionArn: { 'Fn::GetAtt': [logicalId(pipeline.thumbnail.function), 'Arn'] },
      LabelsFunctionArn: { 'Fn::GetAtt': [logicalId(pipeline.labels.function), 'Arn'] },
      ModerationFunctionArn: { 'Fn::GetAtt': [logicalId(pipeline.moderation.function), 'Arn'] },
      RecordFunctionArn: { 'Fn::GetAtt': [logicalId(pipeline.record.function), 'Arn'] },
      TakedownFunctionArn: { 'Fn::GetAtt': [logicalId(pipeline.takedown.function), 'Arn'] },
    });
  });

  it('ships the ASL file as its definition, changed only where its timeout placeholders are', () => {
    const machines = resourcesOfType(synth.template, 'AWS::StepFunctions::StateMachine');

    const shipped = machines[logicalId(synth.stack.pipeline.stateMachine)]?.DefinitionString;

    const file = readFileSync(path.join(REPO_ROOT, 'statemachines', 'media-pipeline.asl.json'), 'utf8');
    expect(shipped).toBe(renderPipelineDefinition(file, 'STANDARD'));
    expect(shipped).not.toMatch(/\$\{[A-Za-z]+TimeoutSeconds\}/);
  });

  it('is a Standard workflow that logs ALL with execution data and traces', () => {
    synth.template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: {
        Level: 'ALL',
        IncludeExecutionData: true,
        Destinations: [
          {
            CloudWatchLogsLogGroup: {
              LogGroupArn: { 'Fn::GetAtt': [logicalId(synth.stack.pipeline.stateMachineLogGroup), 'Arn'] },
            },
          },
        ],
      },
    });
  });
});

describe('upload rule', () => {
  it('matches exactly the pattern file, with this bucket for ${MediaBucketName}', () => {
    const file = readFileSync(path.join(REPO_ROOT, 'events', 'media-uploaded.pattern.json'), 'utf8');
    const expected: unknown = JSON.parse(
      file.replace('"${MediaBucketName}"', JSON.stringify({ Ref: logicalId(synth.stack.media.bucket) })),
    );
    const rules = resourcesOfType(synth.template, 'AWS::Events::Rule');

    const pattern = rules[logicalId(synth.stack.pipeline.rule)]?.EventPattern;

    expect(pattern).toEqual(expected);
  });

  it('targets the state machine with its own role, retries and a dead-letter queue', () => {
    const { pipeline } = synth.stack;

    synth.template.hasResourceProperties('AWS::Events::Rule', {
      Targets: [
        {
          Arn: { Ref: logicalId(pipeline.stateMachine) },
          RoleArn: { 'Fn::GetAtt': [logicalId(pipeline.ruleRole), 'Arn'] },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [logicalId(pipeline.deadLetterQueue), 'Arn'] } },
          RetryPolicy: { MaximumRetryAttempts: Match.anyValue(), MaximumEventAgeInSeconds: Match.anyValue() },
        },
      ],
    });
  });

  it('keeps undeliverable events 14 days in an encrypted, TLS-only queue', () => {
    const queueId = logicalId(synth.stack.pipeline.deadLetterQueue);

    synth.template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 1209600,
    });
    synth.template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: queueId }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({
            Effect: 'Allow',
            Action: 'sqs:SendMessage',
            Principal: { Service: 'events.amazonaws.com' },
            Condition: {
              ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [logicalId(synth.stack.pipeline.rule), 'Arn'] } },
            },
          }),
        ]),
      },
    });
  });
});

describe('media bucket', () => {
  it('blocks all public access and encrypts with S3-managed keys', () => {
    synth.template.hasResourceProperties('AWS::S3::Bucket', {
      NotificationConfiguration: { EventBridgeConfiguration: { EventBridgeEnabled: true } },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
    });
  });

  it('denies every request that does not use TLS', () => {
    synth.template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: logicalId(synth.stack.media.bucket) },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 's3:*',
            Principal: { AWS: '*' },
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  it('aborts incomplete multipart uploads after one day', () => {
    const buckets = resourcesOfType(synth.template, 'AWS::S3::Bucket');

    const rules = (buckets[logicalId(synth.stack.media.bucket)]?.LifecycleConfiguration as { Rules: unknown[] }).Rules;

    expect(rules).toContainEqual({
      Id: 'AbortIncompleteUploads',
      AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
      Status: 'Enabled',
    });
  });

  it('is versioned, with noncurrent versions expiring after the configured days, and expires quarantined and failed originals', () => {
    const buckets = resourcesOfType(synth.template, 'AWS::S3::Bucket');

    const bucket = buckets[logicalId(synth.stack.media.bucket)];
    const rules = (bucket?.LifecycleConfiguration as { Rules: unknown[] }).Rules;

    expect(bucket?.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(rules).toEqual(
      expect.arrayContaining([
        {
          Id: 'ExpireNoncurrentVersions',
          NoncurrentVersionExpiration: { NoncurrentDays: synth.config.noncurrentVersionDays },
          ExpiredObjectDeleteMarker: true,
          Status: 'Enabled',
        },
        {
          Id: 'Expire-quarantine',
          Prefix: 'quarantine/',
          ExpirationInDays: synth.config.quarantineDays,
          Status: 'Enabled',
        },
        { Id: 'Expire-failed', Prefix: 'failed/', ExpirationInDays: synth.config.failedUploadDays, Status: 'Enabled' },
      ]),
    );
  });

  it('sends events to EventBridge from the bucket itself, without a notifications custom resource', () => {
    // (Custom::S3AutoDeleteObjects, dev only, is test/infra/bucket-removal.test.ts's.)
    synth.template.resourceCountIs('Custom::S3BucketNotifications', 0);
  });

  it('allows browser uploads and reads only from the configured origins', () => {
    const buckets = resourcesOfType(synth.template, 'AWS::S3::Bucket');

    const cors = buckets[logicalId(synth.stack.media.bucket)]?.CorsConfiguration as {
      CorsRules: Array<Record<string, unknown>>;
    };

    expect(cors.CorsRules).toHaveLength(1);
    expect(cors.CorsRules[0]?.AllowedOrigins).toEqual([...synth.config.allowedOrigins]);
    expect(cors.CorsRules[0]?.AllowedMethods).toEqual(expect.arrayContaining(['POST']));
    expect(cors.CorsRules[0]?.AllowedMethods).not.toContain('PUT');
    expect(cors.CorsRules[0]?.AllowedMethods).not.toContain('DELETE');
  });
});

describe('media table', () => {
  it('is keyed by mediaId, on demand, with point-in-time recovery and encryption', () => {
    const tables = resourcesOfType(synth.template, 'AWS::DynamoDB::Table');

    const table = tables[logicalId(synth.stack.mediaTable.table)];

    expect(table).toMatchObject({
      KeySchema: [{ AttributeName: 'mediaId', KeyType: 'HASH' }],
      AttributeDefinitions: [
        { AttributeName: 'mediaId', AttributeType: 'S' },
        { AttributeName: 'ownerId', AttributeType: 'S' },
        { AttributeName: 'createdAt', AttributeType: 'S' },
        { AttributeName: 'claimShard', AttributeType: 'N' },
        { AttributeName: 'claimedAt', AttributeType: 'S' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
    });
    expect(table?.TableName).toBeUndefined();
  });
});

describe('step functions', () => {
  const steps = (): AppFunction[] => {
    const { pipeline } = synth.stack;
    return [pipeline.thumbnail, pipeline.labels, pipeline.moderation, pipeline.record, pipeline.takedown];
  };

  it('run on Node.js 24 on arm64 with active tracing and JSON logs into their own log group', () => {
    const functions = resourcesOfType(synth.template, 'AWS::Lambda::Function');

    for (const step of steps()) {
      expect(functions[logicalId(step.function)]).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
        LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: logicalId(step.logGroup) } },
      });
    }
  });

  it('keep their logs for the configured retention', () => {
    const groups = resourcesOfType(synth.template, 'AWS::Logs::LogGroup');

    for (const step of steps()) {
      expect(groups[logicalId(step.logGroup)]?.RetentionInDays).toBe(synth.config.logRetention);
    }
  });

  it('set the Powertools and per-function environment', () => {
    const { pipeline } = synth.stack;
    const functions = resourcesOfType(synth.template, 'AWS::Lambda::Function');
    const env = (fn: AppFunction): Record<string, unknown> =>
      (functions[logicalId(fn.function)]?.Environment as { Variables: Record<string, unknown> }).Variables;

    for (const step of steps()) {
      expect(env(step)).toMatchObject({
        POWERTOOLS_SERVICE_NAME: expect.any(String),
        POWERTOOLS_METRICS_NAMESPACE: expect.any(String),
        POWERTOOLS_LOG_LEVEL: 'INFO',
      });
    }
    expect(env(pipeline.thumbnail)).toMatchObject({
      MAX_INPUT_PIXELS: '100000000',
      MAX_INPUT_BYTES: '52428800',
      MALLOC_ARENA_MAX: '2',
    });
    expect(env(pipeline.labels)).toMatchObject({ LABELS_MIN_CONFIDENCE: '70', LABELS_MAX: '20' });
    expect(env(pipeline.moderation)).toMatchObject({ MODERATION_MIN_CONFIDENCE: '80' });
    expect(env(pipeline.record)).toMatchObject({ MEDIA_TABLE_NAME: { Ref: logicalId(synth.stack.mediaTable.table) } });
  });

  it('give sharp to the thumbnail function only, through an arm64 layer', () => {
    const functions = resourcesOfType(synth.template, 'AWS::Lambda::Function');
    const layers = Object.keys(resourcesOfType(synth.template, 'AWS::Lambda::LayerVersion'));

    expect(layers).toHaveLength(1);
    synth.template.hasResourceProperties('AWS::Lambda::LayerVersion', { CompatibleArchitectures: ['arm64'] });
    for (const step of steps()) {
      const expected = step === synth.stack.pipeline.thumbnail ? [{ Ref: layers[0] }] : undefined;
      expect(functions[logicalId(step.function)]?.Layers).toEqual(expected);
    }
  });
});

/** The dashboard body as JSON, with every CloudFormation token (Ref, GetAtt) replaced by "TOKEN". */
function dashboardBody(): {
  widgets: { type: string; width: number; properties: { title?: string; metrics?: unknown[][] } }[];
} {
  const [dashboard] = Object.values(resourcesOfType(synth.template, 'AWS::CloudWatch::Dashboard'));
  const body = dashboard?.DashboardBody as string | { 'Fn::Join': [string, unknown[]] };
  const text =
    typeof body === 'string'
      ? body
      : body['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : 'TOKEN')).join('');
  return JSON.parse(text) as ReturnType<typeof dashboardBody>;
}

describe('dashboard', () => {
  it('graphs refused claims with one summed line per refusal reason', () => {
    const widget = dashboardBody().widgets.find((w) => w.properties.title === 'Refused claims by reason');
    const namespace = synth.config.serviceName;
    const service = synth.stack.pipeline.serviceName;

    expect(widget?.properties.metrics).toEqual(
      ['duplicate', 'superseded', 'reused', 'unissued'].map((reason) => [
        namespace,
        'ClaimsRefused',
        // CDK writes dimensions sorted by name; CloudWatch matches a dimension set in any order.
        'Reason',
        reason,
        'service',
        service,
        { label: reason, stat: 'Sum' },
      ]),
    );
  });

  it.each(['articles', 'media'] as const)(
    'graphs the duration, errors and throttles of the %s API function',
    (name) => {
      const [dashboard] = Object.values(resourcesOfType(synth.template, 'AWS::CloudWatch::Dashboard'));
      const body = JSON.stringify(dashboard?.DashboardBody);
      const fnRef = JSON.stringify({ Ref: logicalId(synth.stack.api.functions[name].function) });

      const occurrences = body.split(fnRef).length - 1;

      // Duration p50, duration p99, errors, throttles.
      expect(occurrences).toBe(4);
    },
  );
});

describe.each<Stage>(['dev', 'prod'])('stage names and the service roles they are trusted for (%s)', (stage) => {
  let staged: Synthesized;

  beforeAll(() => {
    staged = synthStack({ config: stageConfig(stage) });
  });

  it('names the state machine and the rule after the stage stack, so both stages deploy side by side', () => {
    // Act
    const machine = Object.values(resourcesOfType(staged.template, 'AWS::StepFunctions::StateMachine'))[0];
    const rule = Object.values(resourcesOfType(staged.template, 'AWS::Events::Rule'))[0];

    // Assert
    expect([machine?.StateMachineName, rule?.Name]).toEqual([
      `TravelGuide-${stage}-MediaPipeline`,
      `TravelGuide-${stage}-MediaUploaded`,
    ]);
  });

  it('gives the roles no dependency on the state machine or the rule they are trusted for (no circular reference)', () => {
    // Arrange
    const roles = resourcesOfType(staged.template, 'AWS::IAM::Role');
    const ids = [logicalId(staged.stack.pipeline.stateMachine), logicalId(staged.stack.pipeline.rule)];

    // Act
    const trusts = JSON.stringify([
      roles[logicalId(staged.stack.pipeline.stateMachineRole)]?.AssumeRolePolicyDocument,
      roles[logicalId(staged.stack.pipeline.ruleRole)]?.AssumeRolePolicyDocument,
    ]);

    // Assert
    expect(trusts).toMatch(/SourceArn/);
    expect(ids.filter((id) => trusts.includes(id))).toEqual([]);
  });
});

describe('upload rule input', () => {
  it('gives executions only the fields of events/media-uploaded.input.json, through an input transformer', () => {
    const expected = loadInputTransformer(path.join(REPO_ROOT, 'events', 'media-uploaded.input.json'));
    const rules = resourcesOfType(synth.template, 'AWS::Events::Rule');

    const targets = rules[logicalId(synth.stack.pipeline.rule)]?.Targets as Array<Record<string, unknown>>;

    expect(targets).toHaveLength(1);
    expect(targets[0]?.InputTransformer).toEqual({
      InputPathsMap: expected.inputPathsMap,
      InputTemplate: expected.inputTemplate,
    });
    expect(targets[0]?.Input).toBeUndefined();
    expect(targets[0]?.InputPath).toBeUndefined();
  });
});

describe('execution watcher', () => {
  it("invokes the watcher on this state machine's FAILED, TIMED_OUT and ABORTED executions, with retries and its own dead-letter queue", () => {
    const { pipeline } = synth.stack;
    const rules = resourcesOfType(synth.template, 'AWS::Events::Rule');

    const rule = rules[logicalId(pipeline.executionEndedRule)];

    expect(rule?.EventPattern).toEqual({
      source: ['aws.states'],
      'detail-type': ['Step Functions Execution Status Change'],
      detail: {
        status: ['FAILED', 'TIMED_OUT', 'ABORTED'],
        stateMachineArn: [{ Ref: logicalId(pipeline.stateMachine) }],
      },
    });
    expect(rule?.Targets).toEqual([
      expect.objectContaining({
        Arn: { 'Fn::GetAtt': [logicalId(pipeline.watcher.function), 'Arn'] },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [logicalId(pipeline.watcherDeadLetterQueue), 'Arn'] } },
        RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 21600 },
      }),
    ]);
  });

  it('gives the watcher its own dead-letter queue', () => {
    const { pipeline } = synth.stack;

    const functions = resourcesOfType(synth.template, 'AWS::Lambda::Function');

    expect(functions[logicalId(pipeline.watcher.function)]?.DeadLetterConfig).toEqual({
      TargetArn: { 'Fn::GetAtt': [logicalId(pipeline.watcherDeadLetterQueue), 'Arn'] },
    });
  });
});
