/**
 * Least privilege, proven on the synthesized app (DESIGN.md "Roles"):
 *  - the permission matrix: requests each role must be allowed and must be denied, evaluated by
 *    an offline IAM simulator against the role's effective identity policy;
 *  - the exact set: every (action, resource) a role is allowed, compared with the approved set;
 *  - no wildcards, one trusted service per role, own log group only, scoped invoke permissions;
 *  - docs/permissions.md is what the generator makes of this template.
 *
 * One synth for the whole file. Resources are written readably and resolved to the fake ARNs
 * the simulator sees: `bucket:MediaBucket/uploads/...`, `table:MediaTable`, `logGroup:<construct>`.
 */
import { readFileSync } from 'node:fs';
import { DOC_PATH, REGENERATE_HINT, renderPermissionsDoc, unreviewedPairs } from '../../scripts/permissions-doc';
import { appUnderTest, projectRole, type AppUnderTest } from './support/app-under-test';
import {
  diffSets,
  lambdaPermissionFindings,
  managedPolicyFindings,
  readablePairs,
  trustFindings,
  wildcardFindings,
} from './support/checks';
import { PROJECT_ROLES, type ProjectRole } from './support/project-roles';
import { statementActions, statementResources } from './support/roles';
import { simulate } from './support/simulate';
import { synthApp } from './support/synth';

// ---------------------------------------------------------------------------------------------
// Resources, by construct
// ---------------------------------------------------------------------------------------------
const BUCKET = 'bucket:MediaBucket';
const UPLOAD = `${BUCKET}/uploads/owner-1/media-1`;
const DERIVED = `${BUCKET}/derived/media-1/w320.webp`;
const ANALYSIS = `${BUCKET}/derived/media-1/analysis.jpg`;
const OTHER_PREFIX = `${BUCKET}/private/notes.txt`;
const ACCESS_LOG = 'bucket:MediaAccessLogsBucket/media/2026-11-28-00-00-00-ABCDEF';
const MEDIA_TABLE = 'table:MediaTable';
const ARTICLES_TABLE = 'table:ArticlesArticlesTable';
const BY_NEWEST = `${ARTICLES_TABLE}/index/byNewest`;
const PAGE_TOKEN_SECRET = 'secret:ArticlesPageTokenSecret';
const STATE_MACHINE = 'stateMachine:PipelineStateMachine';
const DEAD_LETTER_QUEUE = 'queue:PipelineUploadEventsDeadLetterQueue';

const FUNCTION_ROLES = ['thumbnail', 'labels', 'moderation', 'record', 'articles'] as const;
type FunctionRole = (typeof FUNCTION_ROLES)[number];

const FUNCTION: Record<FunctionRole, string> = {
  thumbnail: 'function:PipelineThumbnailFunction',
  labels: 'function:PipelineLabelsFunction',
  moderation: 'function:PipelineModerationFunction',
  record: 'function:PipelineRecordFunction',
  articles: 'function:ArticlesFunction',
};

const LOG_GROUP = {
  thumbnail: 'logGroup:PipelineThumbnailLogGroup',
  labels: 'logGroup:PipelineLabelsLogGroup',
  moderation: 'logGroup:PipelineModerationLogGroup',
  record: 'logGroup:PipelineRecordLogGroup',
  articles: 'logGroup:ArticlesLogGroup',
  stateMachine: 'logGroup:PipelineStateMachineLogGroup',
  apiAccess: 'logGroup:ArticlesAccessLogs',
} as const;

/** A log stream of a group, as Lambda names them. */
const stream = (logGroup: string): string => `${logGroup}:log-stream:2026/11/28/[$LATEST]0123456789abcdef`;

// ---------------------------------------------------------------------------------------------
// The permission matrix: [action, resource] each role must be allowed / must be denied
// ---------------------------------------------------------------------------------------------
type Request = readonly [action: string, resource: string];

/** What every function needs: its own log stream, X-Ray segments. */
const functionBasics = (fn: FunctionRole): Request[] => [
  ['logs:CreateLogStream', stream(LOG_GROUP[fn])],
  ['logs:PutLogEvents', stream(LOG_GROUP[fn])],
  ['xray:PutTraceSegments', '*'],
  ['xray:PutTelemetryRecords', '*'],
];

/** What no function may do: create log groups, write another's logs, touch the app's control plane. */
const functionForbidden = (fn: FunctionRole): Request[] => [
  ['logs:CreateLogGroup', LOG_GROUP[fn]],
  ['logs:PutLogEvents', stream(fn === 'record' ? LOG_GROUP.thumbnail : LOG_GROUP.record)],
  ['logs:PutLogEvents', stream(LOG_GROUP.stateMachine)],
  ['logs:PutLogEvents', stream(LOG_GROUP.apiAccess)],
  ['s3:GetObject', ACCESS_LOG],
  ['s3:ListBucket', BUCKET],
  ['s3:PutBucketPolicy', BUCKET],
  ['dynamodb:DeleteTable', MEDIA_TABLE],
  ['states:StartExecution', STATE_MACHINE],
  ['lambda:InvokeFunction', FUNCTION.record],
  ['lambda:UpdateFunctionCode', FUNCTION[fn]],
  ['secretsmanager:GetSecretValue', PAGE_TOKEN_SECRET],
  ['sqs:SendMessage', DEAD_LETTER_QUEUE],
  ['iam:PassRole', 'role:PipelineStateMachineRole'],
];

const MATRIX: Record<ProjectRole, { allow: Request[]; deny: Request[] }> = {
  thumbnail: {
    allow: [['s3:GetObject', UPLOAD], ['s3:PutObject', DERIVED], ['s3:PutObject', ANALYSIS], ...functionBasics('thumbnail')],
    deny: [
      ['rekognition:DetectLabels', '*'],
      ['rekognition:DetectModerationLabels', '*'],
      ['dynamodb:GetItem', MEDIA_TABLE],
      ['dynamodb:PutItem', MEDIA_TABLE],
      ['dynamodb:UpdateItem', MEDIA_TABLE],
      ['s3:GetObject', DERIVED],
      ['s3:PutObject', UPLOAD],
      ['s3:PutObject', OTHER_PREFIX],
      ['s3:DeleteObject', UPLOAD],
      ['s3:DeleteObject', DERIVED],
      ['s3:PutObjectAcl', DERIVED],
      ...functionForbidden('thumbnail'),
    ],
  },
  labels: {
    allow: [['rekognition:DetectLabels', '*'], ['s3:GetObject', ANALYSIS], ...functionBasics('labels')],
    deny: [
      ['rekognition:DetectModerationLabels', '*'],
      ['rekognition:IndexFaces', 'arn:aws:rekognition:eu-west-1:123456789012:collection/faces'],
      ['s3:GetObject', UPLOAD],
      ['s3:PutObject', DERIVED],
      ['s3:PutObject', UPLOAD],
      ['s3:DeleteObject', ANALYSIS],
      ['dynamodb:PutItem', MEDIA_TABLE],
      ['dynamodb:GetItem', MEDIA_TABLE],
      ...functionForbidden('labels'),
    ],
  },
  moderation: {
    allow: [['rekognition:DetectModerationLabels', '*'], ['s3:GetObject', ANALYSIS], ...functionBasics('moderation')],
    deny: [
      ['rekognition:DetectLabels', '*'],
      ['s3:GetObject', UPLOAD],
      ['s3:PutObject', DERIVED],
      ['s3:PutObject', UPLOAD],
      ['s3:DeleteObject', ANALYSIS],
      ['dynamodb:PutItem', MEDIA_TABLE],
      ['dynamodb:UpdateItem', MEDIA_TABLE],
      ...functionForbidden('moderation'),
    ],
  },
  record: {
    allow: [['dynamodb:PutItem', MEDIA_TABLE], ['dynamodb:UpdateItem', MEDIA_TABLE], ...functionBasics('record')],
    deny: [
      ['dynamodb:DeleteItem', MEDIA_TABLE],
      ['dynamodb:Scan', MEDIA_TABLE],
      ['dynamodb:Query', MEDIA_TABLE],
      ['dynamodb:BatchWriteItem', MEDIA_TABLE],
      ['dynamodb:PutItem', ARTICLES_TABLE],
      ['dynamodb:UpdateItem', ARTICLES_TABLE],
      ['s3:GetObject', UPLOAD],
      ['s3:GetObject', ANALYSIS],
      ['s3:PutObject', DERIVED],
      ['rekognition:DetectLabels', '*'],
      ...functionForbidden('record'),
    ],
  },
  articles: {
    allow: [
      ['dynamodb:GetItem', ARTICLES_TABLE],
      ['dynamodb:PutItem', ARTICLES_TABLE],
      ['dynamodb:UpdateItem', ARTICLES_TABLE],
      ['dynamodb:DeleteItem', ARTICLES_TABLE],
      ['dynamodb:Query', BY_NEWEST],
      ['dynamodb:GetItem', MEDIA_TABLE],
      ['dynamodb:PutItem', MEDIA_TABLE],
      ['s3:PutObject', UPLOAD],
      ['s3:GetObject', DERIVED],
      ...functionBasics('articles'),
    ],
    deny: [
      ['s3:PutObject', DERIVED],
      ['s3:GetObject', UPLOAD],
      ['s3:DeleteObject', UPLOAD],
      ['s3:DeleteObject', DERIVED],
      ['s3:PutObject', OTHER_PREFIX],
      ['dynamodb:Scan', ARTICLES_TABLE],
      ['dynamodb:Scan', BY_NEWEST],
      ['dynamodb:Scan', MEDIA_TABLE],
      ['dynamodb:Query', ARTICLES_TABLE],
      ['dynamodb:BatchWriteItem', ARTICLES_TABLE],
      ['dynamodb:UpdateItem', MEDIA_TABLE],
      ['dynamodb:DeleteItem', MEDIA_TABLE],
      ['dynamodb:Query', MEDIA_TABLE],
      ['rekognition:DetectLabels', '*'],
      ...functionForbidden('articles'),
    ],
  },
  stateMachine: {
    allow: [
      ['lambda:InvokeFunction', FUNCTION.thumbnail],
      ['lambda:InvokeFunction', FUNCTION.labels],
      ['lambda:InvokeFunction', FUNCTION.moderation],
      ['lambda:InvokeFunction', FUNCTION.record],
      ['logs:CreateLogDelivery', '*'],
      ['xray:PutTraceSegments', '*'],
    ],
    deny: [
      ['lambda:InvokeFunction', FUNCTION.articles],
      ['lambda:InvokeFunction', `${FUNCTION.thumbnail}:live`],
      ['lambda:UpdateFunctionCode', FUNCTION.thumbnail],
      ['states:StartExecution', STATE_MACHINE],
      ['s3:GetObject', UPLOAD],
      ['dynamodb:PutItem', MEDIA_TABLE],
      ['logs:PutLogEvents', stream(LOG_GROUP.record)],
      ['iam:PassRole', 'role:PipelineThumbnailRole'],
    ],
  },
  ruleTarget: {
    allow: [['states:StartExecution', STATE_MACHINE]],
    deny: [
      ['states:StartExecution', 'arn:aws:states:eu-west-1:123456789012:stateMachine:SomeOtherMachine'],
      ['states:StartSyncExecution', STATE_MACHINE],
      ['states:StopExecution', 'arn:aws:states:eu-west-1:123456789012:execution:PipelineStateMachine:run-1'],
      ['lambda:InvokeFunction', FUNCTION.thumbnail],
      ['sqs:SendMessage', DEAD_LETTER_QUEUE],
      ['s3:GetObject', UPLOAD],
    ],
  },
};

// ---------------------------------------------------------------------------------------------
// The approved sets: everything each role may do, nothing more. Widening needs a change here.
// ---------------------------------------------------------------------------------------------
const functionBasicsApproved = (logGroup: string): string[] => [
  `logs:CreateLogStream ${logGroup}:*`,
  `logs:PutLogEvents ${logGroup}:*`,
  'xray:PutTelemetryRecords *',
  'xray:PutTraceSegments *',
];

const APPROVED: Record<ProjectRole, string[]> = {
  thumbnail: [
    `s3:GetObject ${BUCKET}/uploads/*`,
    `s3:PutObject ${BUCKET}/derived/*`,
    ...functionBasicsApproved(LOG_GROUP.thumbnail),
  ],
  labels: ['rekognition:DetectLabels *', `s3:GetObject ${BUCKET}/derived/*`, ...functionBasicsApproved(LOG_GROUP.labels)],
  moderation: [
    'rekognition:DetectModerationLabels *',
    `s3:GetObject ${BUCKET}/derived/*`,
    ...functionBasicsApproved(LOG_GROUP.moderation),
  ],
  record: [`dynamodb:PutItem ${MEDIA_TABLE}`, `dynamodb:UpdateItem ${MEDIA_TABLE}`, ...functionBasicsApproved(LOG_GROUP.record)],
  articles: [
    `dynamodb:DeleteItem ${ARTICLES_TABLE}`,
    `dynamodb:GetItem ${ARTICLES_TABLE}`,
    `dynamodb:PutItem ${ARTICLES_TABLE}`,
    `dynamodb:UpdateItem ${ARTICLES_TABLE}`,
    `dynamodb:Query ${BY_NEWEST}`,
    `dynamodb:GetItem ${MEDIA_TABLE}`,
    `dynamodb:PutItem ${MEDIA_TABLE}`,
    `s3:GetObject ${BUCKET}/derived/*`,
    `s3:PutObject ${BUCKET}/uploads/*`,
    ...functionBasicsApproved(LOG_GROUP.articles),
  ],
  stateMachine: [
    `lambda:InvokeFunction ${FUNCTION.thumbnail}`,
    `lambda:InvokeFunction ${FUNCTION.labels}`,
    `lambda:InvokeFunction ${FUNCTION.moderation}`,
    `lambda:InvokeFunction ${FUNCTION.record}`,
    // Log delivery to the state machine's log group (level ALL); no resource-level permissions.
    'logs:CreateLogDelivery *',
    'logs:DeleteLogDelivery *',
    'logs:DescribeLogGroups *',
    'logs:DescribeResourcePolicies *',
    'logs:GetLogDelivery *',
    'logs:ListLogDeliveries *',
    'logs:PutResourcePolicy *',
    'logs:UpdateLogDelivery *',
    'xray:GetSamplingRules *',
    'xray:GetSamplingTargets *',
    'xray:PutTelemetryRecords *',
    'xray:PutTraceSegments *',
  ],
  ruleTarget: [`states:StartExecution ${STATE_MACHINE}`],
};

/** The service each role trusts, and nothing else. */
const TRUSTED_SERVICE: Record<ProjectRole, string> = {
  thumbnail: 'lambda.amazonaws.com',
  labels: 'lambda.amazonaws.com',
  moderation: 'lambda.amazonaws.com',
  record: 'lambda.amazonaws.com',
  articles: 'lambda.amazonaws.com',
  stateMachine: 'states.amazonaws.com',
  ruleTarget: 'events.amazonaws.com',
};

/** Managed policy ARNs a role may carry. None: AWS managed policies cannot be reviewed offline. */
const APPROVED_MANAGED_POLICIES: ReadonlySet<string> = new Set();

/** Roles outside the DESIGN.md table (CDK custom-resource providers). None today; each needs a reason. */
const APPROVED_OTHER_ROLES: readonly string[] = [];

// ---------------------------------------------------------------------------------------------

let app: AppUnderTest;

beforeAll(() => {
  app = appUnderTest();
});

const matrixCases = PROJECT_ROLES.flatMap((role) => [
  ...MATRIX[role].allow.map(([action, resource]) => [role, 'may', action, resource] as const),
  ...MATRIX[role].deny.map(([action, resource]) => [role, 'may not', action, resource] as const),
]);

describe('permission matrix (offline IAM simulation)', () => {
  it.each(matrixCases)('%s %s call %s on %s', async (role, verdict, action, resource) => {
    // Arrange
    const principal = projectRole(app, role);
    const arn = app.names.arn(resource);

    // Act
    const decision = await simulate(principal, action, arn);

    // Assert
    expect(decision).toBe(verdict === 'may' ? 'Allowed' : 'ImplicitlyDenied');
  });
});

describe('exact set of allowed (action, resource) pairs', () => {
  it.each(PROJECT_ROLES)('the %s role holds exactly its approved pairs', (role) => {
    // Arrange
    const approved = [...APPROVED[role]].sort();

    // Act
    const actual = readablePairs(projectRole(app, role), app.names);

    // Assert: "extra" is a widening to review, "missing" a permission the code may need.
    expect(diffSets(actual, approved)).toEqual({ extra: [], missing: [] });
  });

  it('gives each function, the state machine and the rule a role of its own', () => {
    // Arrange
    const roles = PROJECT_ROLES.map((role) => projectRole(app, role).arn);

    // Act
    const distinct = new Set(roles);

    // Assert
    expect(distinct.size).toBe(PROJECT_ROLES.length);
  });

  it('has no roles beyond the DESIGN.md table except approved CDK-internal ones', () => {
    // Act
    const others = app.roles.other.map((role) => role.name).sort();

    // Assert
    expect(others).toEqual([...APPROVED_OTHER_ROLES].sort());
  });
});

describe('no wildcards, narrow trust, scoped invocation', () => {
  it.each(PROJECT_ROLES)('the %s role has no wildcard action and Resource "*" only where IAM has no resource type', (role) => {
    // Act
    const findings = wildcardFindings(projectRole(app, role));

    // Assert
    expect(findings).toEqual([]);
  });

  it.each(PROJECT_ROLES)('the %s role carries no unreviewed managed policy', (role) => {
    // Act
    const findings = managedPolicyFindings(projectRole(app, role), APPROVED_MANAGED_POLICIES);

    // Assert
    expect(findings).toEqual([]);
  });

  it.each(PROJECT_ROLES)('the %s role trusts exactly one service principal', (role) => {
    // Act
    const findings = trustFindings(projectRole(app, role), TRUSTED_SERVICE[role]);

    // Assert
    expect(findings).toEqual([]);
  });

  it.each(FUNCTION_ROLES)('the %s function writes logs only to the log group it is configured with', (role) => {
    // Arrange: the log group named in the function's LoggingConfig.
    const fn = app.resolver.resources().find((r) => r.type === 'AWS::Lambda::Function' && `function:${r.name}` === FUNCTION[role]);
    if (fn === undefined) throw new Error(`No function ${FUNCTION[role]} in the app`);
    const loggingConfig = app.resolver.resource(fn.stackName, fn.logicalId).Properties?.LoggingConfig as
      | { LogGroup?: unknown }
      | undefined;
    const ownGroupName = app.resolver.resolveString(loggingConfig?.LogGroup, fn.stackName);
    const ownGroupArnPrefix = `arn:aws:logs:eu-west-1:123456789012:log-group:${ownGroupName}:`;

    // Act: every resource of every logs: action in the role.
    const logResources = projectRole(app, role).policies.flatMap(({ document }) =>
      document.Statement.filter((s) => statementActions(s).some((a) => a.startsWith('logs:'))).flatMap(statementResources),
    );

    // Assert
    expect(logResources.length).toBeGreaterThan(0);
    expect(logResources.filter((arn) => !arn.startsWith(ownGroupArnPrefix))).toEqual([]);
  });

  it('scopes every Lambda invoke permission with a SourceArn naming the API, stage and method', () => {
    // Arrange
    const permissions = app.resolver.resources().filter((r) => r.type === 'AWS::Lambda::Permission');

    // Act
    const findings = lambdaPermissionFindings(app.resolver);

    // Assert
    expect(permissions.length).toBeGreaterThan(0);
    expect(findings).toEqual([]);
  });
});

describe('sensitivity', () => {
  it('notices one statement added to a role of the real template, in the exact set and in the matrix', async () => {
    // Arrange: the synthesized template with s3:DeleteObject on uploads/* added to the thumbnail role.
    const widened = structuredClone(app.stacks);
    const resources = widened[0]?.template.Resources ?? {};
    const policyId = Object.keys(resources).find((id) => id.startsWith('PipelineThumbnailRoleDefaultPolicy'));
    const policy = policyId === undefined ? undefined : resources[policyId]?.Properties?.PolicyDocument;
    if (policy === undefined) throw new Error('no default policy on the thumbnail role');
    const bucketId = Object.keys(resources).find((id) => /^MediaBucket[0-9A-F]{8}$/.test(id));
    (policy as { Statement: unknown[] }).Statement.push({
      Effect: 'Allow',
      Action: 's3:DeleteObject',
      Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/uploads/*']] },
    });
    const wider = appUnderTest(widened);

    // Act
    const diff = diffSets(readablePairs(projectRole(wider, 'thumbnail'), wider.names), [...APPROVED.thumbnail].sort());
    const decision = await simulate(projectRole(wider, 'thumbnail'), 's3:DeleteObject', wider.names.arn(UPLOAD));

    // Assert
    expect(diff).toEqual({ extra: [`s3:DeleteObject ${BUCKET}/uploads/*`], missing: [] });
    expect(decision).toBe('Allowed');
  });
});

describe('prod stage', () => {
  // The tables above are written against dev; prod (access analyzer, versioning, Cognito PLUS)
  // must not grant anything more or different.
  let prod: AppUnderTest;

  beforeAll(() => {
    prod = appUnderTest(synthApp('prod'));
  });

  it.each(PROJECT_ROLES)('the %s role holds the same pairs in prod as in dev', (role) => {
    // Act
    const inProd = readablePairs(projectRole(prod, role), prod.names);

    // Assert
    expect(inProd).toEqual(readablePairs(projectRole(app, role), app.names));
  });

  it('has no roles beyond the DESIGN.md table in prod either', () => {
    // Act
    const others = prod.roles.other.map((role) => role.name).sort();

    // Assert
    expect(others).toEqual([...APPROVED_OTHER_ROLES].sort());
  });
});

describe('docs/permissions.md', () => {
  it('has a reviewed reason for every action a role holds', () => {
    // Act
    const unreviewed = unreviewedPairs(app.stacks);

    // Assert
    expect(unreviewed).toEqual([]);
  });

  it('is what the generator makes of the synthesized app', () => {
    // Arrange
    const committed = readFileSync(DOC_PATH, 'utf8');

    // Act
    const generated = renderPermissionsDoc(app.stacks);

    // Assert: on a mismatch the failure says how to fix it rather than printing both documents.
    expect(committed === generated ? 'up to date' : REGENERATE_HINT).toBe('up to date');
  });
});
