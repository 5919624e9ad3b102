import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Match } from 'aws-cdk-lib/assertions';
import { stageConfig, type Stage } from '../../infra/config';
import { PROJECT_ROOT } from '../../infra/constructs/pipeline-function';
import { renderPipelineDefinition } from '../../infra/definitions/pipeline';
import { loadInputTransformer } from '../../infra/definitions/input-transformer';
import type { PipelineFunction } from '../../infra/constructs/pipeline-function';
import { logicalId, pairs, permissionPairs, resourcesOfType, synthStack, type Synthesized } from './support';

let synth: Synthesized;
beforeAll(() => {
  synth = synthStack();
});

/** What every function role holds besides its own statements. */
function baseline(fn: PipelineFunction): string[] {
  const { stack } = synth;
  return [
    ...pairs(['logs:CreateLogStream', 'logs:PutLogEvents'], [stack.resolve(fn.logGroup.logGroupArn)]),
    ...pairs(['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], ['*']),
  ];
}

function objects(prefix: string): unknown {
  return synth.stack.resolve(synth.stack.media.bucket.arnForObjects(`${prefix}*`));
}

function sorted(values: string[]): string[] {
  return [...new Set(values)].sort();
}

describe('step function roles', () => {
  it('gives each of the four step functions a role of its own', () => {
    // Arrange
    const { pipeline } = synth.stack;
    const steps = [pipeline.thumbnail, pipeline.labels, pipeline.moderation, pipeline.record];
    const functions = resourcesOfType(synth.template, 'AWS::Lambda::Function');

    // Act
    const roleOf = steps.map((step) => functions[logicalId(step.function)]?.Role);

    // Assert
    expect(roleOf).toEqual(steps.map((step) => ({ 'Fn::GetAtt': [logicalId(step.role), 'Arn'] })));
    expect(new Set(roleOf.map((role) => JSON.stringify(role))).size).toBe(4);
  });

  it('lets every function role be assumed by lambda.amazonaws.com only', () => {
    const { pipeline, api } = synth.stack;
    const roles = resourcesOfType(synth.template, 'AWS::IAM::Role');

    for (const fn of [
      pipeline.thumbnail,
      pipeline.labels,
      pipeline.moderation,
      pipeline.record,
      api.articles,
      api.media,
    ]) {
      expect(roles[logicalId(fn.role)]?.AssumeRolePolicyDocument).toEqual({
        Version: '2012-10-17',
        Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' } }],
      });
    }
  });

  it('attaches no managed policy to any role', () => {
    const roles = resourcesOfType(synth.template, 'AWS::IAM::Role');

    const withManaged = Object.entries(roles).filter(([, role]) => role.ManagedPolicyArns !== undefined);

    expect(withManaged).toEqual([]);
  });

  it('lets thumbnail read uploads/ and write derived/, nothing more', () => {
    const fn = synth.stack.pipeline.thumbnail;

    const actual = permissionPairs(synth.template, logicalId(fn.role));

    expect(actual).toEqual(
      sorted([
        ...baseline(fn),
        ...pairs(['s3:GetObject'], [objects('uploads/')]),
        ...pairs(['s3:PutObject'], [objects('derived/')]),
      ]),
    );
  });

  it('lets labels call DetectLabels and read derived/, nothing more', () => {
    const fn = synth.stack.pipeline.labels;

    const actual = permissionPairs(synth.template, logicalId(fn.role));

    expect(actual).toEqual(
      sorted([
        ...baseline(fn),
        ...pairs(['rekognition:DetectLabels'], ['*']),
        ...pairs(['s3:GetObject'], [objects('derived/')]),
      ]),
    );
  });

  it('lets moderation call DetectModerationLabels and read derived/, nothing more', () => {
    const fn = synth.stack.pipeline.moderation;

    const actual = permissionPairs(synth.template, logicalId(fn.role));

    expect(actual).toEqual(
      sorted([
        ...baseline(fn),
        ...pairs(['rekognition:DetectModerationLabels'], ['*']),
        ...pairs(['s3:GetObject'], [objects('derived/')]),
      ]),
    );
  });

  it('lets record update items of the media table, nothing more', () => {
    const fn = synth.stack.pipeline.record;

    const actual = permissionPairs(synth.template, logicalId(fn.role));

    expect(actual).toEqual(
      sorted([
        ...baseline(fn),
        ...pairs(['dynamodb:UpdateItem'], [synth.stack.resolve(synth.stack.mediaTable.table.tableArn)]),
      ]),
    );
  });
});

describe('every role', () => {
  it('holds no wildcard action, and Resource "*" only for actions that have no resource type', () => {
    const noResourceType = new Set([
      'xray:PutTraceSegments',
      'xray:PutTelemetryRecords',
      'xray:GetSamplingRules',
      'xray:GetSamplingTargets',
      'rekognition:DetectLabels',
      'rekognition:DetectModerationLabels',
      'logs:CreateLogDelivery',
      'logs:DeleteLogDelivery',
      'logs:DescribeLogGroups',
      'logs:DescribeResourcePolicies',
      'logs:GetLogDelivery',
      'logs:ListLogDeliveries',
      'logs:PutResourcePolicy',
      'logs:UpdateLogDelivery',
    ]);
    const roleIds = Object.keys(resourcesOfType(synth.template, 'AWS::IAM::Role'));

    const offending = roleIds.flatMap((roleId) =>
      permissionPairs(synth.template, roleId).filter((pair) => {
        const [action = '', resource = ''] = pair.split(' ');
        return action.includes('*') || (resource === '"*"' && !noResourceType.has(action));
      }),
    );

    // Seven functions (four steps, the watcher, articles, media), the state machine and the rule target.
    expect(roleIds.length).toBe(9);
    expect(offending).toEqual([]);
  });
});

describe('state machine', () => {
  it('lets its role invoke exactly the four step functions, besides log delivery and X-Ray', () => {
    const { pipeline } = synth.stack;
    const steps = [pipeline.thumbnail, pipeline.labels, pipeline.moderation, pipeline.record];

    const actual = permissionPairs(synth.template, logicalId(pipeline.stateMachineRole));

    // Log delivery and X-Ray actions have no resource type; Step Functions requires them on "*".
    const logDelivery = [
      'logs:CreateLogDelivery',
      'logs:DeleteLogDelivery',
      'logs:DescribeLogGroups',
      'logs:DescribeResourcePolicies',
      'logs:GetLogDelivery',
      'logs:ListLogDeliveries',
      'logs:PutResourcePolicy',
      'logs:UpdateLogDelivery',
    ];
    const xray = [
      'xray:GetSamplingRules',
      'xray:GetSamplingTargets',
      'xray:PutTelemetryRecords',
      'xray:PutTraceSegments',
    ];
    expect(actual).toEqual(
      sorted([
        ...pairs(
          ['lambda:InvokeFunction'],
          steps.map((step) => synth.stack.resolve(step.function.functionArn)),
        ),
        ...pairs([...logDelivery, ...xray], ['*']),
      ]),
    );
  });

  it('substitutes the four function ARNs into the ASL placeholders', () => {
    const { pipeline } = synth.stack;
    const machines = resourcesOfType(synth.template, 'AWS::StepFunctions::StateMachine');

    const machine = machines[logicalId(pipeline.stateMachine)];

    expect(machine?.DefinitionSubstitutions).toEqual({
      ThumbnailFunctionArn: { 'Fn::GetAtt': [logicalId(pipeline.thumbnail.function), 'Arn'] },
      LabelsFunctionArn: { 'Fn::GetAtt': [logicalId(pipeline.labels.function), 'Arn'] },
      ModerationFunctionArn: { 'Fn::GetAtt': [logicalId(pipeline.moderation.function), 'Arn'] },
      RecordFunctionArn: { 'Fn::GetAtt': [logicalId(pipeline.record.function), 'Arn'] },
    });
  });

  it('ships the ASL file as its definition, changed only where its timeout placeholders are', () => {
    const machines = resourcesOfType(synth.template, 'AWS::StepFunctions::StateMachine');

    const shipped = machines[logicalId(synth.stack.pipeline.stateMachine)]?.DefinitionString;

    const file = readFileSync(path.join(PROJECT_ROOT, 'statemachines', 'media-pipeline.asl.json'), 'utf8');
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
    const file = readFileSync(path.join(PROJECT_ROOT, 'events', 'media-uploaded.pattern.json'), 'utf8');
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

  it('lets the rule role start executions of this state machine only', () => {
    const { pipeline } = synth.stack;

    const actual = permissionPairs(synth.template, logicalId(pipeline.ruleRole));

    expect(actual).toEqual(pairs(['states:StartExecution'], [{ Ref: logicalId(pipeline.stateMachine) }]));
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

    expect(rules).toContainEqual({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 }, Status: 'Enabled' });
  });

  it('sends events to EventBridge from the bucket itself, without a notifications custom resource', () => {
    synth.template.resourceCountIs('Custom::S3BucketNotifications', 0);
    synth.template.resourceCountIs('Custom::S3AutoDeleteObjects', 0);
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
      AttributeDefinitions: [{ AttributeName: 'mediaId', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
    });
    expect(table?.TableName).toBeUndefined();
  });
});

describe('step functions', () => {
  const steps = (): PipelineFunction[] => {
    const { pipeline } = synth.stack;
    return [pipeline.thumbnail, pipeline.labels, pipeline.moderation, pipeline.record];
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
    const env = (fn: PipelineFunction): Record<string, unknown> =>
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

/** `arn:<partition>:<service>:<region>:<account>:<resource>` as the template writes it. */
function arnInThisAccount(service: string, resource: string): unknown {
  return {
    'Fn::Join': [
      '',
      [
        'arn:',
        { Ref: 'AWS::Partition' },
        `:${service}:`,
        { Ref: 'AWS::Region' },
        ':',
        { Ref: 'AWS::AccountId' },
        `:${resource}`,
      ],
    ],
  };
}

describe.each<Stage>(['dev', 'prod'])('service role trusts against the confused deputy (%s)', (stage) => {
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

  it('lets Step Functions assume the state machine role only for this state machine (or a version or alias of it) of this account', () => {
    // Arrange
    const roleId = logicalId(staged.stack.pipeline.stateMachineRole);
    const machine = `stateMachine:TravelGuide-${stage}-MediaPipeline`;

    // Act
    const trust = resourcesOfType(staged.template, 'AWS::IAM::Role')[roleId]?.AssumeRolePolicyDocument;

    // Assert
    expect(trust).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Action: 'sts:AssumeRole',
          Effect: 'Allow',
          Principal: { Service: 'states.amazonaws.com' },
          Condition: {
            ArnLike: {
              'aws:SourceArn': [arnInThisAccount('states', machine), arnInThisAccount('states', `${machine}:*`)],
            },
            StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
          },
        },
      ],
    });
  });

  it('lets EventBridge assume the rule role only for this rule of this account', () => {
    // Arrange
    const roleId = logicalId(staged.stack.pipeline.ruleRole);

    // Act
    const trust = resourcesOfType(staged.template, 'AWS::IAM::Role')[roleId]?.AssumeRolePolicyDocument;

    // Assert
    expect(trust).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Action: 'sts:AssumeRole',
          Effect: 'Allow',
          Principal: { Service: 'events.amazonaws.com' },
          Condition: {
            ArnLike: { 'aws:SourceArn': arnInThisAccount('events', `rule/TravelGuide-${stage}-MediaUploaded`) },
            StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
          },
        },
      ],
    });
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
    const expected = loadInputTransformer(path.join(PROJECT_ROOT, 'events', 'media-uploaded.input.json'));
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

  it('gives the watcher a role of its own: conditional UpdateItem on the media table, and its own dead-letter queue', () => {
    const { pipeline } = synth.stack;

    const actual = permissionPairs(synth.template, logicalId(pipeline.watcher.role));

    expect(actual.filter((pair) => !/^(logs|xray):/.test(pair)).sort()).toEqual(
      [
        ...pairs(['dynamodb:UpdateItem'], [{ 'Fn::GetAtt': [logicalId(synth.stack.mediaTable.table), 'Arn'] }]),
        ...pairs(['sqs:SendMessage'], [{ 'Fn::GetAtt': [logicalId(pipeline.watcherDeadLetterQueue), 'Arn'] }]),
      ].sort(),
    );
    const functions = resourcesOfType(synth.template, 'AWS::Lambda::Function');
    expect(functions[logicalId(pipeline.watcher.function)]?.DeadLetterConfig).toEqual({
      TargetArn: { 'Fn::GetAtt': [logicalId(pipeline.watcherDeadLetterQueue), 'Arn'] },
    });
  });
});
