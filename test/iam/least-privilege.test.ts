/**
 * Least privilege, proven on the synthesized app (docs/design.md "Roles"):
 *  - the permission matrix: requests each role must be allowed and must be denied, evaluated by
 *    an offline IAM simulator against the role's effective identity policy;
 *  - the exact set: every (action, resource) a role is allowed, compared with the approved set;
 *  - no wildcards, one trusted principal per role, own log group only, scoped invoke permissions;
 *  - the optional account-level stacks: the CI deploy role like every other role, and the
 *    Developers group's MFA guard attached to the group alone;
 *  - docs/permissions.md is what the generator makes of this template.
 *
 * The app is synthesized with the optional stacks on, so every role that can exist is checked;
 * the default dev stage and prod are synthesized too, to show the optional stacks change nothing
 * else. One synth per configuration for the whole file. Resources are written readably and resolved to the fake ARNs
 * the simulator sees: `bucket:MediaBucket/uploads/...`, `table:MediaTable`, `logGroup:<construct>`.
 */
import { readFileSync } from 'node:fs';
import type { Stage } from '../../infra/config';
import { DOC_PATH, REGENERATE_HINT, renderPermissionsDoc, unreviewedPairs } from '../../scripts/permissions-doc';
import { appUnderTest, projectRole, type AppUnderTest } from './support/app-under-test';
import { bucketGrants, collectBucketPolicies, type BucketPolicyView } from './support/bucket-policies';
import { FAKE_ACCOUNT, FAKE_REGION } from './support/cfn-resolver';
import {
  diffSets,
  lambdaPermissionFindings,
  managedPolicyFindings,
  readablePairs,
  trustFindings,
  wildcardFindings,
  type TrustExpectation,
} from './support/checks';
import { collectGroups, type GroupView } from './support/groups';
import { CORE_ROLES, FUNCTION_ROLES, PROJECT_ROLES, type CoreRole, type ProjectRole } from './support/project-roles';
import { statementActions, statementResources, type RoleView } from './support/roles';
import { simulate, simulateAssumeRole, simulateCaller, type Caller } from './support/simulate';
import { synthApp, TEST_GITHUB_DEPLOY, withOptionalStacks } from './support/synth';

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
const BY_OWNER = `${MEDIA_TABLE}/index/byOwner`;
const QUARANTINED = `${BUCKET}/quarantine/owner-1/media-1`;
const FAILED_ORIGINAL = `${BUCKET}/failed/owner-1/media-1`;
const UPLOAD_QUOTA_TABLE = 'table:ArticlesUploadQuotaTable';
const PAGE_TOKEN_SECRET = 'secret:ArticlesPageTokenSecret';
/** A secret of someone else in the same account. */
const OTHER_SECRET = `arn:aws:secretsmanager:${FAKE_REGION}:${FAKE_ACCOUNT}:secret:another-app-key-AbCdEf`;
const STATE_MACHINE = 'stateMachine:PipelineStateMachine';
const UPLOAD_RULE = 'rule:PipelineMediaUploadedRule';
const DEAD_LETTER_QUEUE = 'queue:PipelineUploadEventsDeadLetterQueue';
const WATCHER_DEAD_LETTER_QUEUE = 'queue:PipelineWatcherDeadLetterQueue';
const SWEEPER_DEAD_LETTER_QUEUE = 'queue:PipelineSweeperScheduleDeadLetterQueue';
const BY_CLAIM_AGE = `${MEDIA_TABLE}/index/byClaimAge`;
const SWEEPER_SCHEDULE_GROUP = 'scheduleGroup:PipelineSweeperScheduleGroup';
/** A bucket of someone else in the same account. */
const OTHER_BUCKET = 'arn:aws:s3:::another-app-bucket';

type FunctionRole = (typeof FUNCTION_ROLES)[number];

const FUNCTION: Record<FunctionRole, string> = {
  thumbnail: 'function:PipelineThumbnailFunction',
  labels: 'function:PipelineLabelsFunction',
  moderation: 'function:PipelineModerationFunction',
  record: 'function:PipelineRecordFunction',
  watcher: 'function:PipelineWatcherFunction',
  sweeper: 'function:PipelineSweeperFunction',
  takedown: 'function:PipelineTakedownFunction',
  articles: 'function:ArticlesFunction',
  media: 'function:ArticlesMediaFunction',
};

const LOG_GROUP = {
  thumbnail: 'logGroup:PipelineThumbnailLogGroup',
  labels: 'logGroup:PipelineLabelsLogGroup',
  moderation: 'logGroup:PipelineModerationLogGroup',
  record: 'logGroup:PipelineRecordLogGroup',
  watcher: 'logGroup:PipelineWatcherLogGroup',
  sweeper: 'logGroup:PipelineSweeperFunctionLogGroup',
  takedown: 'logGroup:PipelineTakedownLogGroup',
  articles: 'logGroup:ArticlesLogGroup',
  media: 'logGroup:ArticlesMediaLogGroup',
  stateMachine: 'logGroup:PipelineStateMachineLogGroup',
  apiAccess: 'logGroup:ArticlesAccessLogs',
} as const;

/**
 * The roles `cdk bootstrap` creates with the default qualifier, in the app's (fake) account and
 * region: the CI deploy role steps into these and nothing else. Written out rather than read from
 * the stack, so the test is a second opinion on the names.
 */
const bootstrapRole = (kind: string, account = FAKE_ACCOUNT, region = FAKE_REGION, qualifier = 'hnb659fds'): string =>
  `arn:aws:iam::${account}:role/cdk-${qualifier}-${kind}-role-${account}-${region}`;
const BOOTSTRAP_ROLES = ['deploy', 'file-publishing', 'image-publishing', 'lookup'].map((kind) => bootstrapRole(kind));
const ANOTHER_ACCOUNT = '210987654321';
const CDK_ASSETS_BUCKET = `arn:aws:s3:::cdk-hnb659fds-assets-${FAKE_ACCOUNT}-${FAKE_REGION}`;
const STAGE_STACK = `arn:aws:cloudformation:${FAKE_REGION}:${FAKE_ACCOUNT}:stack/TravelGuide-dev/0a1b2c3d-4e5f-6789-abcd-ef0123456789`;

/** A log stream of a group, as Lambda names them. */
const stream = (logGroup: string): string => `${logGroup}:log-stream:2026/11/28/[$LATEST]0123456789abcdef`;

// ---------------------------------------------------------------------------------------------
// The permission matrix: [action, resource] each role must be allowed / must be denied
// ---------------------------------------------------------------------------------------------
/** An action on a resource, with request context keys (e.g. `s3:prefix` of a listing) where the policy conditions on them. */
type Request = readonly [action: string, resource: string, context?: Readonly<Record<string, string>>];

/** A bucket listing of the keys under a prefix. */
const listing = (action: 's3:ListBucket' | 's3:ListBucketVersions', prefix: string): Request => [
  action,
  BUCKET,
  { 's3:prefix': prefix },
];

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
  ['dynamodb:DeleteTable', UPLOAD_QUOTA_TABLE],
  ['dynamodb:UpdateTimeToLive', UPLOAD_QUOTA_TABLE],
  ['states:StartExecution', STATE_MACHINE],
  ['lambda:InvokeFunction', FUNCTION.record],
  ['lambda:UpdateFunctionCode', FUNCTION[fn]],
  // The page-token key is read by the two listing functions only (GET /articles, GET
  // /media?owner=me); nobody may change it or its rotation.
  ...(fn === 'articles' || fn === 'media' ? [] : ([['secretsmanager:GetSecretValue', PAGE_TOKEN_SECRET]] as Request[])),
  ['secretsmanager:PutSecretValue', PAGE_TOKEN_SECRET],
  ['secretsmanager:UpdateSecretVersionStage', PAGE_TOKEN_SECRET],
  ['secretsmanager:DescribeSecret', PAGE_TOKEN_SECRET],
  ['secretsmanager:GetSecretValue', OTHER_SECRET],
  ['sqs:SendMessage', DEAD_LETTER_QUEUE],
  ['iam:PassRole', 'role:PipelineStateMachineRole'],
];

/**
 * The upload-quota counters belong to the media function alone: no other role may read, reset or
 * bump them (a reset would lift a user's quota, a bump would lock someone out).
 */
const quotaTableForbidden: Request[] = [
  ['dynamodb:GetItem', UPLOAD_QUOTA_TABLE],
  ['dynamodb:PutItem', UPLOAD_QUOTA_TABLE],
  ['dynamodb:UpdateItem', UPLOAD_QUOTA_TABLE],
  ['dynamodb:DeleteItem', UPLOAD_QUOTA_TABLE],
  ['dynamodb:Query', UPLOAD_QUOTA_TABLE],
  ['dynamodb:Scan', UPLOAD_QUOTA_TABLE],
];

const MATRIX: Record<ProjectRole, { allow: Request[]; deny: Request[] }> = {
  thumbnail: {
    allow: [
      ['s3:GetObject', UPLOAD],
      ['s3:PutObject', DERIVED],
      ['s3:PutObject', ANALYSIS],
      ...functionBasics('thumbnail'),
    ],
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
      ['s3:DeleteObjectVersion', UPLOAD],
      ['s3:DeleteObjectVersion', DERIVED],
      listing('s3:ListBucketVersions', 'uploads/'),
      ['s3:PutObjectAcl', DERIVED],
      ...quotaTableForbidden,
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
      ...quotaTableForbidden,
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
      ...quotaTableForbidden,
      ...functionForbidden('moderation'),
    ],
  },
  watcher: {
    // One conditional UpdateItem per status-change event; failed async invocations go to its own DLQ.
    allow: [
      ['dynamodb:UpdateItem', MEDIA_TABLE],
      ['sqs:SendMessage', WATCHER_DEAD_LETTER_QUEUE],
      ...functionBasics('watcher'),
    ],
    deny: [
      ['dynamodb:PutItem', MEDIA_TABLE],
      ['dynamodb:GetItem', MEDIA_TABLE],
      ['dynamodb:DeleteItem', MEDIA_TABLE],
      ['dynamodb:Query', MEDIA_TABLE],
      ['dynamodb:UpdateItem', ARTICLES_TABLE],
      ['sqs:ReceiveMessage', WATCHER_DEAD_LETTER_QUEUE],
      [
        'states:DescribeExecution',
        'arn:aws:states:eu-west-1:123456789012:execution:TravelGuide-dev-MediaPipeline:run-1',
      ],
      ['s3:GetObject', UPLOAD],
      ...quotaTableForbidden,
      ...functionForbidden('watcher'),
      // No S3 right at all (the takedown's moves and the owner's erasure belong to other roles).
      ['s3:DeleteObject', UPLOAD],
      ['s3:DeleteObjectVersion', UPLOAD],
      listing('s3:ListBucketVersions', 'uploads/'),
    ],
  },
  sweeper: {
    // One Query per shard of the held-claim index, one conditional UpdateItem per stranded claim.
    allow: [['dynamodb:Query', BY_CLAIM_AGE], ['dynamodb:UpdateItem', MEDIA_TABLE], ...functionBasics('sweeper')],
    deny: [
      // Never reads the whole table or another index, never writes whole items or deletes.
      ['dynamodb:Scan', MEDIA_TABLE],
      ['dynamodb:Scan', BY_CLAIM_AGE],
      ['dynamodb:Query', MEDIA_TABLE],
      ['dynamodb:Query', BY_OWNER],
      ['dynamodb:GetItem', MEDIA_TABLE],
      ['dynamodb:PutItem', MEDIA_TABLE],
      ['dynamodb:DeleteItem', MEDIA_TABLE],
      ['dynamodb:BatchWriteItem', MEDIA_TABLE],
      ['dynamodb:UpdateItem', ARTICLES_TABLE],
      ['sqs:SendMessage', SWEEPER_DEAD_LETTER_QUEUE],
      ['sqs:SendMessage', WATCHER_DEAD_LETTER_QUEUE],
      ['s3:GetObject', UPLOAD],
      ['s3:DeleteObject', UPLOAD],
      ...quotaTableForbidden,
      ...functionForbidden('sweeper'),
    ],
  },
  takedown: {
    // After REJECTED or FAILED: lists the media's keys, deletes its derived objects, copies the
    // original to quarantine/ or failed/ and deletes it from uploads/.
    allow: [
      listing('s3:ListBucket', 'uploads/owner-1/media-1'),
      listing('s3:ListBucket', 'derived/media-1/'),
      ['s3:GetObject', UPLOAD],
      ['s3:DeleteObject', UPLOAD],
      // RemoveReusedUpload: the version a re-posted upload form wrote, and no other prefix's.
      ['s3:DeleteObjectVersion', UPLOAD],
      ['s3:DeleteObject', DERIVED],
      ['s3:DeleteObject', ANALYSIS],
      ['s3:PutObject', QUARANTINED],
      ['s3:PutObject', FAILED_ORIGINAL],
      ...functionBasics('takedown'),
    ],
    deny: [
      // Never reads what it moved, never erases versions outside uploads/ (that is the owner's
      // DELETE), never lists versions or elsewhere, writes nothing servable, touches no record.
      ['s3:GetObject', QUARANTINED],
      ['s3:GetObject', DERIVED],
      ['s3:DeleteObject', QUARANTINED],
      ['s3:DeleteObject', FAILED_ORIGINAL],
      ['s3:DeleteObjectVersion', DERIVED],
      ['s3:DeleteObjectVersion', ANALYSIS],
      ['s3:DeleteObjectVersion', QUARANTINED],
      ['s3:DeleteObjectVersion', FAILED_ORIGINAL],
      ['s3:PutObject', UPLOAD],
      ['s3:PutObject', DERIVED],
      ['s3:PutObject', OTHER_PREFIX],
      ['s3:ListBucket', BUCKET],
      listing('s3:ListBucket', ''),
      listing('s3:ListBucket', 'quarantine/'),
      listing('s3:ListBucketVersions', 'uploads/'),
      ['s3:PutBucketVersioning', BUCKET],
      ['s3:PutLifecycleConfiguration', BUCKET],
      ['dynamodb:GetItem', MEDIA_TABLE],
      ['dynamodb:UpdateItem', MEDIA_TABLE],
      ['dynamodb:DeleteItem', MEDIA_TABLE],
      ['rekognition:DetectLabels', '*'],
      ...quotaTableForbidden,
      ...functionForbidden('takedown'),
    ],
  },
  record: {
    // Every write is an UpdateItem (conditional claims and outcomes); nothing puts whole items.
    allow: [['dynamodb:UpdateItem', MEDIA_TABLE], ...functionBasics('record')],
    deny: [
      ['dynamodb:PutItem', MEDIA_TABLE],
      ['dynamodb:DeleteItem', MEDIA_TABLE],
      ['dynamodb:Scan', MEDIA_TABLE],
      ['dynamodb:Query', MEDIA_TABLE],
      ['dynamodb:BatchWriteItem', MEDIA_TABLE],
      ['dynamodb:Query', BY_OWNER],
      ['s3:DeleteObjectVersion', UPLOAD],
      ['dynamodb:PutItem', ARTICLES_TABLE],
      ['dynamodb:UpdateItem', ARTICLES_TABLE],
      ['s3:GetObject', UPLOAD],
      ['s3:GetObject', ANALYSIS],
      ['s3:PutObject', DERIVED],
      ['rekognition:DetectLabels', '*'],
      ...quotaTableForbidden,
      ...functionForbidden('record'),
    ],
  },
  articles: {
    // Article CRUD, and one read of the media table: a cover must be the author's own usable media.
    allow: [
      ['dynamodb:GetItem', ARTICLES_TABLE],
      ['dynamodb:PutItem', ARTICLES_TABLE],
      ['dynamodb:UpdateItem', ARTICLES_TABLE],
      ['dynamodb:DeleteItem', ARTICLES_TABLE],
      ['dynamodb:Query', BY_NEWEST],
      ['dynamodb:GetItem', MEDIA_TABLE],
      // The page-token key, read at run time (any version stage: current and previous).
      ['secretsmanager:GetSecretValue', PAGE_TOKEN_SECRET],
      ...functionBasics('articles'),
    ],
    // The media routes are the media function's: no signing for the bucket, no media record writes.
    deny: [
      ['s3:PutObject', UPLOAD],
      ['s3:GetObject', DERIVED],
      ['s3:GetObject', ANALYSIS],
      ['s3:PutObject', DERIVED],
      ['s3:GetObject', UPLOAD],
      ['s3:DeleteObject', UPLOAD],
      ['s3:DeleteObject', DERIVED],
      ['s3:PutObject', OTHER_PREFIX],
      ['dynamodb:PutItem', MEDIA_TABLE],
      ['dynamodb:UpdateItem', MEDIA_TABLE],
      ['dynamodb:DeleteItem', MEDIA_TABLE],
      ['dynamodb:Query', MEDIA_TABLE],
      ['dynamodb:Scan', MEDIA_TABLE],
      ['dynamodb:Scan', ARTICLES_TABLE],
      ['dynamodb:Scan', BY_NEWEST],
      ['dynamodb:Query', ARTICLES_TABLE],
      ['dynamodb:Query', BY_OWNER],
      ['dynamodb:BatchWriteItem', ARTICLES_TABLE],
      ['s3:DeleteObjectVersion', UPLOAD],
      ['s3:DeleteObjectVersion', DERIVED],
      listing('s3:ListBucketVersions', 'uploads/'),
      ['s3:GetObject', QUARANTINED],
      ['lambda:InvokeFunction', FUNCTION.media],
      ['rekognition:DetectLabels', '*'],
      ...quotaTableForbidden,
      ...functionForbidden('articles'),
    ],
  },
  media: {
    // POST /media/uploads: UpdateItem (the day's upload counter) + PutItem (PENDING) + signs a POST
    // under uploads/; GET /media/{id}: GetItem + signs GETs under derived/; GET /media?owner=me:
    // Query on byOwner; DELETE /media/{id}: PutItem (DELETING), ListBucketVersions +
    // DeleteObjectVersion under the media's keys, DeleteItem.
    allow: [
      ['dynamodb:GetItem', MEDIA_TABLE],
      ['dynamodb:PutItem', MEDIA_TABLE],
      ['dynamodb:DeleteItem', MEDIA_TABLE],
      ['dynamodb:Query', BY_OWNER],
      ['dynamodb:UpdateItem', UPLOAD_QUOTA_TABLE],
      ['s3:PutObject', UPLOAD],
      ['s3:GetObject', DERIVED],
      ['s3:GetObject', ANALYSIS],
      listing('s3:ListBucketVersions', 'uploads/owner-1/media-1'),
      listing('s3:ListBucketVersions', 'derived/media-1/'),
      ['s3:DeleteObjectVersion', UPLOAD],
      ['s3:DeleteObjectVersion', DERIVED],
      ['s3:DeleteObjectVersion', ANALYSIS],
      // A bad upload's original, moved to failed/: the owner's erasure reaches it too.
      listing('s3:ListBucketVersions', 'failed/owner-1/media-1'),
      ['s3:DeleteObjectVersion', FAILED_ORIGINAL],
      // The page-token key of GET /media?owner=me, read at run time (any version stage).
      ['secretsmanager:GetSecretValue', PAGE_TOKEN_SECRET],
      ...functionBasics('media'),
    ],
    deny: [
      // Erasure reaches only uploads/, derived/ and failed/: no listing of the whole bucket or
      // another prefix, nothing in quarantine (no API role may read or touch a quarantined original),
      // no reading of a failed original.
      ['s3:ListBucketVersions', BUCKET],
      listing('s3:ListBucketVersions', ''),
      listing('s3:ListBucketVersions', 'quarantine/'),
      listing('s3:ListBucket', 'uploads/'),
      ['s3:DeleteObjectVersion', QUARANTINED],
      ['s3:DeleteObjectVersion', OTHER_PREFIX],
      ['s3:DeleteObjectVersion', ACCESS_LOG],
      ['s3:GetObject', QUARANTINED],
      ['s3:GetObject', FAILED_ORIGINAL],
      ['s3:PutObject', FAILED_ORIGINAL],
      ['s3:GetObjectVersion', UPLOAD],
      ['s3:GetObjectVersion', DERIVED],
      ['s3:PutBucketVersioning', BUCKET],
      ['s3:PutLifecycleConfiguration', BUCKET],
      ['dynamodb:Query', BY_NEWEST],
      ['dynamodb:Scan', BY_OWNER],
      ['dynamodb:GetItem', ARTICLES_TABLE],
      ['dynamodb:PutItem', ARTICLES_TABLE],
      ['dynamodb:UpdateItem', ARTICLES_TABLE],
      ['dynamodb:DeleteItem', ARTICLES_TABLE],
      ['dynamodb:Query', BY_NEWEST],
      ['dynamodb:UpdateItem', MEDIA_TABLE],
      ['dynamodb:Query', MEDIA_TABLE],
      ['dynamodb:Scan', MEDIA_TABLE],
      ['dynamodb:BatchWriteItem', MEDIA_TABLE],
      // The quota: one counting write, no reading, resetting or listing of counters.
      ['dynamodb:GetItem', UPLOAD_QUOTA_TABLE],
      ['dynamodb:PutItem', UPLOAD_QUOTA_TABLE],
      ['dynamodb:DeleteItem', UPLOAD_QUOTA_TABLE],
      ['dynamodb:Query', UPLOAD_QUOTA_TABLE],
      ['dynamodb:Scan', UPLOAD_QUOTA_TABLE],
      ['dynamodb:BatchWriteItem', UPLOAD_QUOTA_TABLE],
      ['s3:GetObject', UPLOAD],
      ['s3:PutObject', DERIVED],
      ['s3:PutObject', OTHER_PREFIX],
      ['s3:GetObject', OTHER_PREFIX],
      ['s3:DeleteObject', UPLOAD],
      ['s3:DeleteObject', DERIVED],
      ['s3:PutObjectAcl', UPLOAD],
      ['lambda:InvokeFunction', FUNCTION.articles],
      ['rekognition:DetectLabels', '*'],
      ...functionForbidden('media'),
    ],
  },
  stateMachine: {
    allow: [
      ['lambda:InvokeFunction', FUNCTION.thumbnail],
      ['lambda:InvokeFunction', FUNCTION.labels],
      ['lambda:InvokeFunction', FUNCTION.moderation],
      ['lambda:InvokeFunction', FUNCTION.record],
      ['lambda:InvokeFunction', FUNCTION.takedown],
      ['logs:CreateLogDelivery', '*'],
      ['xray:PutTraceSegments', '*'],
    ],
    deny: [
      ['lambda:InvokeFunction', FUNCTION.articles],
      ['lambda:InvokeFunction', FUNCTION.media],
      ['lambda:InvokeFunction', `${FUNCTION.thumbnail}:live`],
      ['lambda:UpdateFunctionCode', FUNCTION.thumbnail],
      ['states:StartExecution', STATE_MACHINE],
      ['s3:GetObject', UPLOAD],
      ['dynamodb:PutItem', MEDIA_TABLE],
      ['dynamodb:UpdateItem', UPLOAD_QUOTA_TABLE],
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
      ['dynamodb:UpdateItem', UPLOAD_QUOTA_TABLE],
    ],
  },
  sweeperSchedule: {
    // EventBridge Scheduler invokes the sweeper, and puts an invocation it could not deliver into the schedule's DLQ.
    allow: [
      ['lambda:InvokeFunction', FUNCTION.sweeper],
      ['sqs:SendMessage', SWEEPER_DEAD_LETTER_QUEUE],
    ],
    deny: [
      ['lambda:InvokeFunction', `${FUNCTION.sweeper}:live`],
      ['lambda:InvokeFunction', FUNCTION.watcher],
      ['lambda:InvokeFunction', FUNCTION.record],
      ['lambda:UpdateFunctionCode', FUNCTION.sweeper],
      ['sqs:SendMessage', WATCHER_DEAD_LETTER_QUEUE],
      ['sqs:SendMessage', DEAD_LETTER_QUEUE],
      ['sqs:ReceiveMessage', SWEEPER_DEAD_LETTER_QUEUE],
      ['states:StartExecution', STATE_MACHINE],
      ['dynamodb:UpdateItem', MEDIA_TABLE],
      ['dynamodb:Query', BY_CLAIM_AGE],
      ['s3:GetObject', UPLOAD],
    ],
  },
  apiGatewayLogging: {
    allow: [
      [
        'logs:CreateLogGroup',
        `arn:aws:logs:${FAKE_REGION}:${FAKE_ACCOUNT}:log-group:API-Gateway-Execution-Logs_abc123/v1`,
      ],
      ['logs:PutLogEvents', stream(LOG_GROUP.apiAccess)],
      ['logs:CreateLogStream', stream(LOG_GROUP.apiAccess)],
    ],
    deny: [
      ['logs:PutLogEvents', `arn:aws:logs:us-east-1:${FAKE_ACCOUNT}:log-group:elsewhere:log-stream:one`],
      ['logs:PutLogEvents', `arn:aws:logs:${FAKE_REGION}:${ANOTHER_ACCOUNT}:log-group:theirs:log-stream:one`],
      ['logs:DeleteLogGroup', LOG_GROUP.apiAccess],
      ['logs:GetLogEvents', stream(LOG_GROUP.apiAccess)],
      ['logs:PutRetentionPolicy', LOG_GROUP.apiAccess],
      ['s3:GetObject', UPLOAD],
      ['dynamodb:GetItem', MEDIA_TABLE],
    ],
  },
  ciDeploy: {
    allow: BOOTSTRAP_ROLES.map((arn) => ['sts:AssumeRole', arn] as const),
    deny: [
      // The CloudFormation execution role holds the deploy-time power; only CloudFormation,
      // passed it by the deploy role, may use it.
      ['sts:AssumeRole', bootstrapRole('cfn-exec')],
      ['iam:PassRole', bootstrapRole('cfn-exec')],
      ['sts:AssumeRole', 'role:PipelineThumbnailRole'],
      ['sts:AssumeRole', `arn:aws:iam::${FAKE_ACCOUNT}:role/OrganizationAccountAccessRole`],
      ['sts:AssumeRole', bootstrapRole('deploy', ANOTHER_ACCOUNT)],
      ['sts:AssumeRole', bootstrapRole('deploy', FAKE_ACCOUNT, 'us-east-1')],
      ['sts:AssumeRole', bootstrapRole('deploy', FAKE_ACCOUNT, FAKE_REGION, 'other')],
      ['iam:CreateRole', `arn:aws:iam::${FAKE_ACCOUNT}:role/ci-made-role`],
      ['iam:AttachRolePolicy', 'role:DeployRole'],
      ['iam:PutRolePolicy', 'role:DeployRole'],
      ['iam:UpdateAssumeRolePolicy', 'role:DeployRole'],
      ['iam:CreateAccessKey', `arn:aws:iam::${FAKE_ACCOUNT}:user/deployer`],
      ['s3:PutObject', `${CDK_ASSETS_BUCKET}/0123abcd.zip`],
      ['s3:GetObject', UPLOAD],
      ['s3:DeleteBucket', BUCKET],
      ['cloudformation:CreateChangeSet', STAGE_STACK],
      ['cloudformation:ExecuteChangeSet', STAGE_STACK],
      ['cloudformation:DeleteStack', STAGE_STACK],
      ['ssm:GetParameter', `arn:aws:ssm:${FAKE_REGION}:${FAKE_ACCOUNT}:parameter/cdk-bootstrap/hnb659fds/version`],
      ['lambda:UpdateFunctionCode', FUNCTION.thumbnail],
      ['states:StartExecution', STATE_MACHINE],
      ['dynamodb:Scan', MEDIA_TABLE],
      ['dynamodb:UpdateItem', UPLOAD_QUOTA_TABLE],
      ['dynamodb:DeleteItem', UPLOAD_QUOTA_TABLE],
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
  labels: [
    'rekognition:DetectLabels *',
    `s3:GetObject ${BUCKET}/derived/*`,
    ...functionBasicsApproved(LOG_GROUP.labels),
  ],
  moderation: [
    'rekognition:DetectModerationLabels *',
    `s3:GetObject ${BUCKET}/derived/*`,
    ...functionBasicsApproved(LOG_GROUP.moderation),
  ],
  record: [`dynamodb:UpdateItem ${MEDIA_TABLE}`, ...functionBasicsApproved(LOG_GROUP.record)],
  watcher: [
    `dynamodb:UpdateItem ${MEDIA_TABLE}`,
    `sqs:SendMessage ${WATCHER_DEAD_LETTER_QUEUE}`,
    ...functionBasicsApproved(LOG_GROUP.watcher),
  ],
  sweeper: [
    `dynamodb:Query ${BY_CLAIM_AGE}`,
    `dynamodb:UpdateItem ${MEDIA_TABLE}`,
    ...functionBasicsApproved(LOG_GROUP.sweeper),
  ],
  takedown: [
    `s3:DeleteObject ${BUCKET}/derived/*`,
    `s3:DeleteObject ${BUCKET}/uploads/*`,
    `s3:DeleteObjectVersion ${BUCKET}/uploads/*`,
    `s3:GetObject ${BUCKET}/uploads/*`,
    `s3:ListBucket ${BUCKET} if {"StringLike":{"s3:prefix":["uploads/*","derived/*"]}}`,
    `s3:PutObject ${BUCKET}/failed/*`,
    `s3:PutObject ${BUCKET}/quarantine/*`,
    ...functionBasicsApproved(LOG_GROUP.takedown),
  ],
  articles: [
    `dynamodb:DeleteItem ${ARTICLES_TABLE}`,
    `dynamodb:GetItem ${ARTICLES_TABLE}`,
    `dynamodb:PutItem ${ARTICLES_TABLE}`,
    `dynamodb:UpdateItem ${ARTICLES_TABLE}`,
    `dynamodb:Query ${BY_NEWEST}`,
    `dynamodb:GetItem ${MEDIA_TABLE}`,
    `secretsmanager:GetSecretValue ${PAGE_TOKEN_SECRET}`,
    ...functionBasicsApproved(LOG_GROUP.articles),
  ],
  media: [
    `dynamodb:DeleteItem ${MEDIA_TABLE}`,
    `dynamodb:GetItem ${MEDIA_TABLE}`,
    `dynamodb:PutItem ${MEDIA_TABLE}`,
    `dynamodb:Query ${BY_OWNER}`,
    `dynamodb:UpdateItem ${UPLOAD_QUOTA_TABLE}`,
    `s3:DeleteObjectVersion ${BUCKET}/derived/*`,
    `s3:DeleteObjectVersion ${BUCKET}/failed/*`,
    `s3:DeleteObjectVersion ${BUCKET}/uploads/*`,
    `s3:GetObject ${BUCKET}/derived/*`,
    `s3:ListBucketVersions ${BUCKET} if {"StringLike":{"s3:prefix":["uploads/*","derived/*","failed/*"]}}`,
    `s3:PutObject ${BUCKET}/uploads/*`,
    `secretsmanager:GetSecretValue ${PAGE_TOKEN_SECRET}`,
    ...functionBasicsApproved(LOG_GROUP.media),
  ],
  stateMachine: [
    `lambda:InvokeFunction ${FUNCTION.thumbnail}`,
    `lambda:InvokeFunction ${FUNCTION.labels}`,
    `lambda:InvokeFunction ${FUNCTION.moderation}`,
    `lambda:InvokeFunction ${FUNCTION.record}`,
    `lambda:InvokeFunction ${FUNCTION.takedown}`,
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
  sweeperSchedule: [`lambda:InvokeFunction ${FUNCTION.sweeper}`, `sqs:SendMessage ${SWEEPER_DEAD_LETTER_QUEUE}`],
  apiGatewayLogging: [
    'CreateLogGroup',
    'CreateLogStream',
    'DescribeLogGroups',
    'DescribeLogStreams',
    'PutLogEvents',
  ].map((action) => `logs:${action} arn:aws:logs:${FAKE_REGION}:${FAKE_ACCOUNT}:log-group:*`),
  ciDeploy: BOOTSTRAP_ROLES.map((arn) => `sts:AssumeRole ${arn}`),
};

/**
 * The confused-deputy conditions of a service role's trust: the service may assume it only for
 * these resources (readable names, resolved by the test) of this account.
 */
const actingFor = (...resources: string[]): Record<string, Record<string, string | string[]>> => ({
  ArnLike: { 'aws:SourceArn': resources.length === 1 ? (resources[0] ?? '') : resources },
  StringEquals: { 'aws:SourceAccount': FAKE_ACCOUNT },
});

/**
 * The one principal each role trusts, and nothing else: a service for the roles AWS services
 * assume (Step Functions and EventBridge only for this state machine and this rule, as AWS
 * documents against the confused deputy; Lambda documents no source key for execution roles);
 * for the CI role, GitHub Actions' tokens for STS whose subject is exactly the configured
 * repository and branch (StringEquals: no pattern, no other ref, no pull request, no fork).
 */
const TRUST: Record<ProjectRole, TrustExpectation> = {
  thumbnail: { service: 'lambda.amazonaws.com' },
  labels: { service: 'lambda.amazonaws.com' },
  moderation: { service: 'lambda.amazonaws.com' },
  record: { service: 'lambda.amazonaws.com' },
  watcher: { service: 'lambda.amazonaws.com' },
  sweeper: { service: 'lambda.amazonaws.com' },
  takedown: { service: 'lambda.amazonaws.com' },
  articles: { service: 'lambda.amazonaws.com' },
  media: { service: 'lambda.amazonaws.com' },
  // The machine's ARN, or a version or alias of it.
  stateMachine: { service: 'states.amazonaws.com', condition: actingFor(STATE_MACHINE, `${STATE_MACHINE}:*`) },
  ruleTarget: { service: 'events.amazonaws.com', condition: actingFor(UPLOAD_RULE) },
  // AWS documents the schedule group, not the schedule, as the Scheduler's source.
  sweeperSchedule: { service: 'scheduler.amazonaws.com', condition: actingFor(SWEEPER_SCHEDULE_GROUP) },
  // API Gateway's account setting serves every API of the account: no single resource to name.
  apiGatewayLogging: {
    service: 'apigateway.amazonaws.com',
    condition: { StringEquals: { 'aws:SourceAccount': FAKE_ACCOUNT } },
  },
  ciDeploy: {
    federated: 'oidcProvider:GitHubOidcProvider',
    action: 'sts:AssumeRoleWithWebIdentity',
    condition: {
      StringEquals: {
        'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com',
        'token.actions.githubusercontent.com:sub': `repo:${TEST_GITHUB_DEPLOY.repository}:ref:refs/heads/${TEST_GITHUB_DEPLOY.branch}`,
      },
    },
  },
};

/** Readable resource names in a trust expectation's conditions, resolved to the ARNs of `under`. */
function resolvedTrust(under: AppUnderTest, expected: TrustExpectation): TrustExpectation {
  if (!('service' in expected) || expected.condition === undefined) return expected;
  const resolve = (value: string | string[]): string | string[] =>
    Array.isArray(value)
      ? value.map((item) => under.names.arn(item))
      : value === FAKE_ACCOUNT
        ? value
        : under.names.arn(value);
  const condition = Object.fromEntries(
    Object.entries(expected.condition).map(([operator, keys]) => [
      operator,
      Object.fromEntries(
        Object.entries(keys).map(([key, value]) => [key, key === 'aws:SourceArn' ? resolve(value) : value]),
      ),
    ]),
  );
  return { ...expected, condition };
}

const OTHER_STATE_MACHINE = `arn:aws:states:${FAKE_REGION}:${FAKE_ACCOUNT}:stateMachine:SomeOtherMachine`;
const OTHER_RULE = `arn:aws:events:${FAKE_REGION}:${FAKE_ACCOUNT}:rule/SomeOtherRule`;
const DEFAULT_SCHEDULE_GROUP = `arn:aws:scheduler:${FAKE_REGION}:${FAKE_ACCOUNT}:schedule-group/default`;

/**
 * The trust policies, simulated: the service acting for this state machine or rule may assume its
 * role; acting for another resource of the account, for a resource of the same name in another
 * account, or without saying for what, it may not.
 */
const TRUST_MATRIX: readonly (readonly [CoreRole, string, 'may' | 'may not', string, string])[] = [
  ['stateMachine', 'states.amazonaws.com', 'may', STATE_MACHINE, FAKE_ACCOUNT],
  ['stateMachine', 'states.amazonaws.com', 'may', `${STATE_MACHINE}:live`, FAKE_ACCOUNT],
  ['stateMachine', 'states.amazonaws.com', 'may not', OTHER_STATE_MACHINE, FAKE_ACCOUNT],
  ['stateMachine', 'states.amazonaws.com', 'may not', STATE_MACHINE, ANOTHER_ACCOUNT],
  ['stateMachine', 'states.amazonaws.com', 'may not', '(none)', FAKE_ACCOUNT],
  ['stateMachine', 'events.amazonaws.com', 'may not', UPLOAD_RULE, FAKE_ACCOUNT],
  ['ruleTarget', 'events.amazonaws.com', 'may', UPLOAD_RULE, FAKE_ACCOUNT],
  ['ruleTarget', 'events.amazonaws.com', 'may not', OTHER_RULE, FAKE_ACCOUNT],
  ['ruleTarget', 'events.amazonaws.com', 'may not', UPLOAD_RULE, ANOTHER_ACCOUNT],
  ['ruleTarget', 'events.amazonaws.com', 'may not', '(none)', FAKE_ACCOUNT],
  ['ruleTarget', 'states.amazonaws.com', 'may not', STATE_MACHINE, FAKE_ACCOUNT],
  ['sweeperSchedule', 'scheduler.amazonaws.com', 'may', SWEEPER_SCHEDULE_GROUP, FAKE_ACCOUNT],
  ['sweeperSchedule', 'scheduler.amazonaws.com', 'may not', DEFAULT_SCHEDULE_GROUP, FAKE_ACCOUNT],
  ['sweeperSchedule', 'scheduler.amazonaws.com', 'may not', SWEEPER_SCHEDULE_GROUP, ANOTHER_ACCOUNT],
  ['sweeperSchedule', 'scheduler.amazonaws.com', 'may not', '(none)', FAKE_ACCOUNT],
  ['sweeperSchedule', 'events.amazonaws.com', 'may not', UPLOAD_RULE, FAKE_ACCOUNT],
];

/** Managed policy ARNs a role may carry. None: AWS managed policies cannot be reviewed offline. */
const APPROVED_MANAGED_POLICIES: ReadonlySet<string> = new Set();

/**
 * The role of CDK's `Custom::S3AutoDeleteObjects` provider: a stage whose buckets are destroyed
 * with the stack (dev) has both buckets emptied of every object version on stack delete, which
 * CloudFormation cannot do itself. Reviewed below ("CDK's auto-delete provider"), its reasons in
 * OTHER_ROLES of scripts/permissions-doc.ts.
 */
const AUTO_DELETE_ROLE = 'CustomS3AutoDeleteObjectsCustomResourceProviderRole';

/** Roles outside the project's roles (CDK custom-resource providers), per stage; each needs a reason. */
const APPROVED_OTHER_ROLES: Readonly<Record<Stage, readonly string[]>> = {
  dev: [AUTO_DELETE_ROLE],
  // Prod retains its buckets: no auto-delete, no provider.
  prod: [],
};

// ---------------------------------------------------------------------------------------------

let app: AppUnderTest;

beforeAll(() => {
  app = appUnderTest(synthApp(withOptionalStacks()));
});

const withContext = (resource: string, context?: Readonly<Record<string, string>>): string =>
  context === undefined
    ? resource
    : `${resource} (${Object.entries(context)
        .map(([key, value]) => `${key}=${JSON.stringify(value)}`)
        .join(', ')})`;

const matrixCases = PROJECT_ROLES.flatMap((role) => [
  ...MATRIX[role].allow.map(
    ([action, resource, context]) => [role, 'may', action, withContext(resource, context), resource, context] as const,
  ),
  ...MATRIX[role].deny.map(
    ([action, resource, context]) =>
      [role, 'may not', action, withContext(resource, context), resource, context] as const,
  ),
]);

describe('permission matrix (offline IAM simulation)', () => {
  it.each(matrixCases)('%s %s call %s on %s', async (role, verdict, action, _title, resource, context) => {
    // Arrange
    const principal = projectRole(app, role);
    const arn = app.names.arn(resource);

    // Act
    const decision = await simulate(principal, action, arn, context);

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

  it('gives each function, the state machine, the rule and the CI deploy role a role of its own', () => {
    // Arrange
    const roles = PROJECT_ROLES.map((role) => projectRole(app, role).arn);

    // Act
    const distinct = new Set(roles);

    // Assert
    expect(distinct.size).toBe(PROJECT_ROLES.length);
  });

  it('reads every stack of the app with the optional stacks on', () => {
    // Act
    const stackNames = app.stacks.map((stack) => stack.stackName);

    // Assert
    expect(stackNames).toEqual([
      'TravelGuide-dev',
      'TravelGuide-Account',
      'TravelGuide-DeveloperAccess',
      'TravelGuide-CiDeploy',
    ]);
  });

  it("has no roles beyond the project's roles except approved CDK-internal ones", () => {
    // Act
    const others = app.roles.other.map((role) => role.name).sort();

    // Assert
    expect(others).toEqual([...APPROVED_OTHER_ROLES.dev].sort());
  });
});

describe('no wildcards, narrow trust, scoped invocation', () => {
  it.each(PROJECT_ROLES)(
    'the %s role has no wildcard action and Resource "*" only where IAM has no resource type',
    (role) => {
      // Act
      const findings = wildcardFindings(projectRole(app, role));

      // Assert
      expect(findings).toEqual([]);
    },
  );

  it.each(PROJECT_ROLES)('the %s role carries no unreviewed managed policy', (role) => {
    // Act
    const findings = managedPolicyFindings(projectRole(app, role), APPROVED_MANAGED_POLICIES);

    // Assert
    expect(findings).toEqual([]);
  });

  it.each(CORE_ROLES)('the %s role trusts exactly one service principal, under exactly its conditions', (role) => {
    // Arrange
    const expected = resolvedTrust(app, TRUST[role]);

    // Act
    const findings = trustFindings(projectRole(app, role), expected);

    // Assert
    expect('service' in expected).toBe(true);
    expect(findings).toEqual([]);
  });

  it.each(TRUST_MATRIX)(
    '%s: %s %s assume the role acting for %s (account %s)',
    async (role, service, verdict, sourceArn, account) => {
      // Arrange: a resource "of the same name in another account" is its ARN with that account.
      const arn =
        sourceArn === '(none)' ? undefined : app.names.arn(sourceArn).replace(`:${FAKE_ACCOUNT}:`, `:${account}:`);
      const source = { arn, account };

      // Act
      const decision = await simulateAssumeRole(projectRole(app, role), service, source);

      // Assert
      expect(decision).toBe(verdict === 'may' ? 'Allowed' : 'ImplicitlyDenied');
    },
  );

  it('the ciDeploy role trusts exactly one federated principal, the GitHub OIDC provider, for this repository and branch', () => {
    // Arrange: the provider of the app, by its ARN.
    const expected = TRUST.ciDeploy;
    if ('service' in expected) throw new Error('the CI deploy role is not assumed by a service');
    const provider = app.names.arn(expected.federated);

    // Act
    const findings = trustFindings(projectRole(app, 'ciDeploy'), { ...expected, federated: provider });

    // Assert
    expect(provider).toBe(`arn:aws:iam::${FAKE_ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`);
    expect(findings).toEqual([]);
  });

  it.each(FUNCTION_ROLES)('the %s function writes logs only to the log group it is configured with', (role) => {
    // Arrange: the log group named in the function's LoggingConfig.
    const fn = app.resolver
      .resources()
      .find((r) => r.type === 'AWS::Lambda::Function' && `function:${r.name}` === FUNCTION[role]);
    if (fn === undefined) throw new Error(`No function ${FUNCTION[role]} in the app`);
    const loggingConfig = app.resolver.resource(fn.stackName, fn.logicalId).Properties?.LoggingConfig as
      { LogGroup?: unknown } | undefined;
    const ownGroupName = app.resolver.resolveString(loggingConfig?.LogGroup, fn.stackName);
    const ownGroupArnPrefix = `arn:aws:logs:eu-west-1:123456789012:log-group:${ownGroupName}:`;

    // Act: every resource of every logs: action in the role.
    const logResources = projectRole(app, role).policies.flatMap(({ document }) =>
      document.Statement.filter((s) => statementActions(s).some((a) => a.startsWith('logs:'))).flatMap(
        statementResources,
      ),
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

describe("CDK's auto-delete provider (dev: buckets destroyed with the stack)", () => {
  // Its role is made by CDK's CustomResourceProvider as a plain CfnResource: no inline policy, the
  // AWSLambdaBasicExecutionRole managed policy, and its S3 rights in the two bucket policies
  // alone. A bucket policy is evaluated with the caller's identity policy, so the simulations
  // below pass it as the resource policy.
  const LAMBDA_BASIC_EXECUTION = 'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole';
  const LOGS_BUCKET = 'bucket:MediaAccessLogsBucket';
  const LOGGING_SERVICE = 'Service:logging.s3.amazonaws.com';
  /** What the provider needs on each bucket and its objects: read the tag, deny writes, list and delete versions. */
  const PROVIDER_ACTIONS = ['s3:DeleteObject*', 's3:GetBucket*', 's3:List*', 's3:PutBucketPolicy'];
  const APPROVED_PROVIDER_GRANTS = [BUCKET, LOGS_BUCKET].flatMap((bucket) =>
    PROVIDER_ACTIONS.flatMap((action) => [`${action} ${bucket}`, `${action} ${bucket}/*`]),
  );

  let provider: RoleView;
  let policies: BucketPolicyView[];
  const policyOf = (bucket: string): BucketPolicyView => {
    const arn = app.names.arn(bucket);
    const policy = policies.find((p) => p.bucketArn === arn);
    if (policy === undefined) throw new Error(`no bucket policy on ${bucket}`);
    return policy;
  };

  beforeAll(() => {
    const found = app.roles.other.find((role) => role.name === AUTO_DELETE_ROLE);
    if (found === undefined) throw new Error(`no ${AUTO_DELETE_ROLE} in the dev stage`);
    provider = found;
    policies = collectBucketPolicies(app.resolver);
  });

  it('is assumed by Lambda alone', () => {
    // Act
    const findings = trustFindings(provider, 'lambda.amazonaws.com');

    // Assert
    expect(findings).toEqual([]);
  });

  it('holds no identity statement, only the managed policy CDK attaches for its logs', () => {
    // Act
    const identity = { policies: provider.policies, managed: provider.externalManagedPolicyArns };

    // Assert
    expect(identity).toEqual({ policies: [], managed: [LAMBDA_BASIC_EXECUTION] });
  });

  it('is granted exactly the approved S3 actions, by the policies of the two buckets', () => {
    // Act
    const granted = bucketGrants(policies)
      .filter((grant) => grant.principal === `AWS:${provider.arn}`)
      .map((grant) => `${grant.action} ${app.names.readable(grant.resource)}${grant.condition ?? ''}`)
      .sort();

    // Assert
    expect(diffSets(granted, [...APPROVED_PROVIDER_GRANTS].sort())).toEqual({ extra: [], missing: [] });
  });

  it('is the only role a bucket policy grants anything; the log delivery service writes media/ logs only', () => {
    // Act: every principal the bucket policies allow something, and what the service may do.
    const principals = [...new Set(bucketGrants(policies).map((grant) => grant.principal))].sort();
    const logDelivery = bucketGrants(policies)
      .filter((grant) => grant.principal === LOGGING_SERVICE)
      .map((grant) => `${grant.action} ${app.names.readable(grant.resource)}`);

    // Assert
    expect(principals).toEqual([`AWS:${provider.arn}`, LOGGING_SERVICE].sort());
    expect(logDelivery).toEqual([`s3:PutObject ${LOGS_BUCKET}/media/*`]);
  });

  const MEDIA_OBJECT = UPLOAD;
  const LOG_OBJECT = ACCESS_LOG;
  const PROVIDER_MATRIX: readonly [verdict: 'may' | 'may not', action: string, resource: string][] = [
    ['may', 's3:GetBucketTagging', BUCKET],
    ['may', 's3:PutBucketPolicy', BUCKET],
    ['may', 's3:ListBucketVersions', BUCKET],
    ['may', 's3:DeleteObjectVersion', MEDIA_OBJECT],
    ['may', 's3:DeleteObject', DERIVED],
    ['may', 's3:GetBucketTagging', LOGS_BUCKET],
    ['may', 's3:ListBucketVersions', LOGS_BUCKET],
    ['may', 's3:DeleteObjectVersion', LOG_OBJECT],
    // Never reads or writes content, never changes the bucket otherwise, never deletes it.
    ['may not', 's3:GetObject', MEDIA_OBJECT],
    ['may not', 's3:GetObjectVersion', MEDIA_OBJECT],
    ['may not', 's3:GetObject', LOG_OBJECT],
    ['may not', 's3:PutObject', MEDIA_OBJECT],
    ['may not', 's3:PutBucketVersioning', BUCKET],
    ['may not', 's3:PutLifecycleConfiguration', BUCKET],
    ['may not', 's3:PutBucketTagging', BUCKET],
    ['may not', 's3:DeleteBucket', BUCKET],
    ['may not', 's3:DeleteBucketPolicy', BUCKET],
    ['may not', 'dynamodb:DeleteItem', MEDIA_TABLE],
  ];

  it.each(PROVIDER_MATRIX)('%s call %s on %s (with the bucket policy)', async (verdict, action, resource) => {
    // Arrange
    const bucket = resource.startsWith(LOGS_BUCKET) ? LOGS_BUCKET : BUCKET;

    // Act
    const decision = await simulate(provider, action, app.names.arn(resource), undefined, policyOf(bucket).document);

    // Assert
    expect(decision).toBe(verdict === 'may' ? 'Allowed' : 'ImplicitlyDenied');
  });

  it('may not touch a bucket of someone else in the account', async () => {
    // Act: that bucket's policy is not the app's; the role's identity allows no S3 action.
    const decisions = await Promise.all(
      ['s3:DeleteObjectVersion', 's3:ListBucketVersions'].map((action) =>
        simulate(provider, action, action === 's3:ListBucketVersions' ? OTHER_BUCKET : `${OTHER_BUCKET}/key`),
      ),
    );

    // Assert
    expect(decisions).toEqual(['ImplicitlyDenied', 'ImplicitlyDenied']);
  });

  it.each(FUNCTION_ROLES)(
    'changes no decision for the %s role: the bucket policies widen no project role',
    async (role) => {
      // Act: each request the provider is allowed, for the function's role with and without the bucket's policy.
      const changed = await Promise.all(
        PROVIDER_MATRIX.filter(([verdict, action]) => verdict === 'may' && action.startsWith('s3:')).map(
          async ([, action, resource]) => {
            const bucket = resource.startsWith(LOGS_BUCKET) ? LOGS_BUCKET : BUCKET;
            const principal = projectRole(app, role);
            const arn = app.names.arn(resource);
            const [alone, withPolicy] = await Promise.all([
              simulate(principal, action, arn),
              simulate(principal, action, arn, undefined, policyOf(bucket).document),
            ]);
            return alone === withPolicy ? undefined : `${action} ${resource}: ${alone} → ${withPolicy}`;
          },
        ),
      );

      // Assert
      expect(changed.filter((line) => line !== undefined)).toEqual([]);
    },
  );
});

describe('sensitivity', () => {
  it('notices one statement added to a role of the real template, in the exact set and in the matrix', async () => {
    // Arrange: the synthesized template with s3:DeleteObject on uploads/* added to the thumbnail role.
    const widened = structuredClone(app.stacks);
    const resources = widened.find((stack) => stack.stackName === 'TravelGuide-dev')?.template.Resources ?? {};
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

describe('sensitivity of the trust checks', () => {
  it('notices a state machine role that trusts every state machine of the account (aws:SourceAccount alone)', async () => {
    // Arrange: the trust as it was before aws:SourceArn
    const widened = structuredClone(app.stacks);
    const resources = widened.find((stack) => stack.stackName === 'TravelGuide-dev')?.template.Resources ?? {};
    const roleId = Object.keys(resources).find((id) => /^PipelineStateMachineRole[0-9A-F]{8}$/.test(id));
    const trust = (roleId === undefined ? undefined : resources[roleId]?.Properties?.AssumeRolePolicyDocument) as
      { Statement: { Condition?: unknown }[] } | undefined;
    const [statement] = trust?.Statement ?? [];
    if (statement === undefined) throw new Error('no trust statement on the state machine role');
    statement.Condition = { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } };
    const wider = appUnderTest(widened);

    // Act
    const findings = trustFindings(projectRole(wider, 'stateMachine'), resolvedTrust(wider, TRUST.stateMachine));
    const decision = await simulateAssumeRole(projectRole(wider, 'stateMachine'), 'states.amazonaws.com', {
      arn: OTHER_STATE_MACHINE,
      account: FAKE_ACCOUNT,
    });

    // Assert
    expect(findings).toHaveLength(1);
    expect(decision).toBe('Allowed');
  });
});

describe('sensitivity of the CI deploy role checks', () => {
  /** The CI stack's template, cloned, with `change` applied to its role or default policy. */
  function widenedCi(
    change: (resources: Record<string, { Properties?: Record<string, unknown> }>) => void,
  ): AppUnderTest {
    const widened = structuredClone(app.stacks);
    const resources = widened.find((stack) => stack.stackName === 'TravelGuide-CiDeploy')?.template.Resources;
    if (resources === undefined) throw new Error('no CI deploy stack');
    change(resources);
    return appUnderTest(widened);
  }

  it('notices the CloudFormation execution role added to what the CI role may assume', async () => {
    // Arrange
    const wider = widenedCi((resources) => {
      const policyId = Object.keys(resources).find((id) => id.startsWith('DeployRoleDefaultPolicy'));
      const document = (policyId === undefined ? undefined : resources[policyId]?.Properties?.PolicyDocument) as
        { Statement: unknown[] } | undefined;
      if (document === undefined) throw new Error('no default policy on the CI deploy role');
      document.Statement.push({ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: bootstrapRole('cfn-exec') });
    });

    // Act
    const diff = diffSets(readablePairs(projectRole(wider, 'ciDeploy'), wider.names), [...APPROVED.ciDeploy].sort());
    const decision = await simulate(projectRole(wider, 'ciDeploy'), 'sts:AssumeRole', bootstrapRole('cfn-exec'));

    // Assert
    expect(diff).toEqual({ extra: [`sts:AssumeRole ${bootstrapRole('cfn-exec')}`], missing: [] });
    expect(decision).toBe('Allowed');
  });

  it('notices a trust that lets any ref of the repository in', () => {
    // Arrange: StringLike with a pattern on the subject, as often copied from examples.
    const wider = widenedCi((resources) => {
      const roleId = Object.keys(resources).find((id) => /^DeployRole[0-9A-F]{8}$/.test(id));
      const trust = (roleId === undefined ? undefined : resources[roleId]?.Properties?.AssumeRolePolicyDocument) as
        { Statement: { Condition?: unknown }[] } | undefined;
      const [statement] = trust?.Statement ?? [];
      if (statement === undefined) throw new Error('no trust statement on the CI deploy role');
      statement.Condition = {
        StringEquals: { 'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com' },
        StringLike: { 'token.actions.githubusercontent.com:sub': `repo:${TEST_GITHUB_DEPLOY.repository}:*` },
      };
    });
    const expected = TRUST.ciDeploy;
    if ('service' in expected) throw new Error('the CI deploy role is not assumed by a service');

    // Act
    const findings = trustFindings(projectRole(wider, 'ciDeploy'), {
      ...expected,
      federated: wider.names.arn(expected.federated),
    });

    // Assert
    expect(findings).toHaveLength(1);
  });
});

describe('prod stage', () => {
  // The tables above are written against dev; prod (access analyzer, versioning, Cognito PLUS)
  // must not grant anything more or different.
  let prod: AppUnderTest;

  beforeAll(() => {
    prod = appUnderTest(synthApp('prod'));
  });

  it.each(CORE_ROLES)('the %s role holds the same pairs in prod as in dev', (role) => {
    // Act
    const inProd = readablePairs(projectRole(prod, role), prod.names);

    // Assert
    expect(inProd).toEqual(readablePairs(projectRole(app, role), app.names));
  });

  it.each(CORE_ROLES)(
    'the %s role trusts its service in prod under the same conditions, naming the prod resources',
    (role) => {
      // Act
      const findings = trustFindings(projectRole(prod, role), resolvedTrust(prod, TRUST[role]));

      // Assert
      expect(findings).toEqual([]);
    },
  );

  it('names the prod state machine, not the dev one, in the prod state machine role trust', async () => {
    // Act
    const decisions = await Promise.all(
      [prod.names.arn(STATE_MACHINE), app.names.arn(STATE_MACHINE)].map((arn) =>
        simulateAssumeRole(projectRole(prod, 'stateMachine'), 'states.amazonaws.com', { arn, account: FAKE_ACCOUNT }),
      ),
    );

    // Assert
    expect(prod.names.arn(STATE_MACHINE)).not.toBe(app.names.arn(STATE_MACHINE));
    expect(decisions).toEqual(['Allowed', 'ImplicitlyDenied']);
  });

  it("has no roles beyond the project's roles in prod either", () => {
    // Act
    const others = prod.roles.other.map((role) => role.name).sort();

    // Assert
    expect(others).toEqual([...APPROVED_OTHER_ROLES.prod].sort());
  });

  it('grants no role anything in a bucket policy: prod keeps its buckets, with no auto-delete provider', () => {
    // Act
    const principals = [...new Set(bucketGrants(collectBucketPolicies(prod.resolver)).map((g) => g.principal))];

    // Assert
    expect(principals).toEqual(['Service:logging.s3.amazonaws.com']);
  });
});

describe('default dev stage (optional stacks off)', () => {
  // The stacks of the flags add roles and a group; they must not change the stage's roles, and
  // without the flags they must leave nothing behind.
  let plain: AppUnderTest;

  beforeAll(() => {
    plain = appUnderTest(synthApp('dev'));
  });

  it.each(CORE_ROLES)('the %s role holds the same pairs with and without the optional stacks', (role) => {
    // Act
    const withoutFlags = readablePairs(projectRole(plain, role), plain.names);

    // Assert
    expect(withoutFlags).toEqual(readablePairs(projectRole(app, role), app.names));
  });

  it('has no CI deploy role', () => {
    // Act
    const ciDeploy = plain.roles.project.ciDeploy;

    // Assert
    expect(ciDeploy).toBeUndefined();
    expect(plain.roles.missing.ciDeploy).toMatch(/found 0/);
  });

  it('has no IAM group', () => {
    // Act
    const groups = collectGroups(plain.resolver);

    // Assert
    expect(groups).toEqual([]);
  });

  it("has no roles beyond the project's roles", () => {
    // Act
    const others = plain.roles.other.map((role) => role.name).sort();

    // Assert
    expect(others).toEqual([...APPROVED_OTHER_ROLES.dev].sort());
  });
});

describe('Developers group (optional developer access stack)', () => {
  // test/infra/developer-access.test.ts reads each statement and simulates a member's own
  // credentials; here, the guard's placement and its reach over what this app's roles can do.
  let developers: GroupView;
  const ALICE = `arn:aws:iam::${FAKE_ACCOUNT}:user/alice`;
  const ALICE_MFA = `arn:aws:iam::${FAKE_ACCOUNT}:mfa/alice`;

  /** A member signed in without MFA (long-term keys carry no MFA key), with "*" on "*" attached for the job. */
  const memberWithoutMfa = (): Caller => ({
    principal: ALICE,
    policies: [
      ...developers.policies,
      {
        source: 'inline:administrator',
        document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] },
      },
    ],
    contextVariables: { 'aws:username': 'alice' },
  });

  /** The credential self-service a member needs before MFA, on her own user and device. */
  const SELF_SERVICE: Request[] = [
    ['iam:ChangePassword', ALICE],
    ['iam:GetUser', ALICE],
    ['iam:CreateVirtualMFADevice', ALICE_MFA],
    ['iam:DeleteVirtualMFADevice', ALICE_MFA],
    ['iam:EnableMFADevice', ALICE],
    ['iam:GetMFADevice', ALICE],
    ['iam:ListMFADevices', ALICE],
    ['iam:ResyncMFADevice', ALICE],
    ['iam:GetAccountPasswordPolicy', '*'],
    ['iam:ListVirtualMFADevices', '*'],
    ['sts:GetSessionToken', '*'],
  ];

  beforeAll(() => {
    const [group, ...more] = collectGroups(app.resolver);
    if (group === undefined || more.length > 0) throw new Error('Expected exactly one IAM group in the app');
    developers = group;
  });

  it('is the Developers group, and the app creates no IAM users', () => {
    // Act
    const users = app.resolver.resources().filter((r) => r.type === 'AWS::IAM::User');

    // Assert
    expect(developers.name).toBe('Developers');
    expect(users).toEqual([]);
  });

  it('carries its policy on the group alone: no role or user has it, and no managed policy rides along', () => {
    // Act
    const attachments = developers.policies.map((policy) => ({
      groups: policy.groups,
      alsoAttachedTo: policy.alsoAttachedTo,
    }));

    // Assert
    expect(attachments).toEqual([{ groups: [developers.groupName], alsoAttachedTo: [] }]);
    expect(developers.managedPolicyArns).toEqual([]);
  });

  it.each(SELF_SERVICE.map(([action, resource]) => [action, resource] as const))(
    'lets a member without MFA through the guard for %s on %s',
    async (action, resource) => {
      // Act
      const decision = await simulateCaller(memberWithoutMfa(), action, resource);

      // Assert
      expect(decision).toBe('Allowed');
    },
  );

  it("denies a member without MFA everything this app's roles may do, however wide her other policies", async () => {
    // Arrange: every request the matrix says some role must be allowed, and the member's own escalations.
    const requests: Request[] = [
      ...PROJECT_ROLES.flatMap((role) => MATRIX[role].allow).map(
        ([action, resource]) => [action, app.names.arn(resource)] as const,
      ),
      ['iam:DeactivateMFADevice', ALICE],
      ['iam:CreateAccessKey', ALICE],
      ['iam:AttachUserPolicy', ALICE],
      ['iam:AddUserToGroup', app.names.arn('group:Developers')],
      ['sts:AssumeRole', app.names.arn('role:DeployRole')],
    ];

    // Act
    const decisions = await Promise.all(
      requests.map(
        async ([action, resource]) =>
          `${action} ${resource}: ${await simulateCaller(memberWithoutMfa(), action, resource)}`,
      ),
    );

    // Assert
    expect(decisions.filter((line) => !line.endsWith(': ExplicitlyDenied'))).toEqual([]);
    expect(decisions.length).toBeGreaterThan(40);
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
