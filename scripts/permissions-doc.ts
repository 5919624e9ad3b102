/**
 * Generates docs/permissions.md from the synthesized app: for every role of the docs/design.md roles
 * table and of the optional account-level stacks (the CI deploy role), who may assume it and each
 * (action, resource) it is allowed, with the reason; then the policies of IAM groups (the
 * optional Developers group). The app is synthesized with the optional stacks on, so the
 * document shows every permission a deploy can create.
 *
 *   npx tsx scripts/permissions-doc.ts          rewrite docs/permissions.md
 *   npx tsx scripts/permissions-doc.ts --check  exit 1 when the committed file is out of date
 *
 * The reasons live in WHY below, keyed by role and action. A pair without a reason renders as
 * UNREVIEWED, which fails the permission tests: a new permission needs a written reason.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { NOT_EXERCISED_BY_THE_TWIN, readRecordedUsage } from '../local/iam/usage';
import { CfnResolver, FAKE_ACCOUNT, FAKE_REGION, type StackTemplate } from '../test/iam/support/cfn-resolver';
import { bucketGrants, collectBucketPolicies } from '../test/iam/support/bucket-policies';
import { collectGroups, type GroupView } from '../test/iam/support/groups';
import {
  OPTIONAL_ROLES,
  PROJECT_ROLES,
  identifyRoles,
  type OptionalRole,
  type ProjectRole,
} from '../test/iam/support/project-roles';
import {
  ResourceNames,
  allowedPairs,
  statementActions,
  statementResources,
  type PolicyStatement,
  type RoleView,
} from '../test/iam/support/roles';

export const DOC_PATH = path.resolve(__dirname, '..', 'docs', 'permissions.md');

/**
 * The "Exercised by" cell: the ASL states, routes and presigned requests whose calls used the
 * grant in the recorded e2e run; for a grant only AWS itself uses, who (the first clause of its
 * reviewed reason in local/iam/usage.ts); else "nothing" (which the unused-grant check refuses).
 */
function exercisedCell(vias: readonly string[] | undefined, action: string): string {
  if (vias !== undefined) return vias.map((via) => `\`${via}\``).join(', ');
  const awsOnly = NOT_EXERCISED_BY_THE_TWIN[action];
  return awsOnly === undefined ? 'nothing' : `AWS only: ${awsOnly.split(/[;.]/)[0] ?? awsOnly}`;
}
export const UNREVIEWED = 'UNREVIEWED';
export const REGENERATE_HINT = 'run `npx tsx scripts/permissions-doc.ts` to update docs/permissions.md';

const LOGS = 'Writes its own log stream and events; no other log group.';
const XRAY = 'Sends X-Ray trace segments (tracing is active); X-Ray has no resource-level permissions.';
const LOG_DELIVERY =
  'Step Functions logging: CloudWatch Logs log delivery has no resource-level permissions (AWS documents "*").';
const OWN_MFA = "Registers and manages the member's own MFA device (resource named with aws:username).";

/** Why each role holds each action. Keyed `role action`. */
export const WHY: Readonly<Record<string, string>> = {
  'thumbnail s3:GetObject': 'Reads the original upload to check its real type and decode it.',
  'thumbnail s3:PutObject': 'Writes the renditions and the analysis JPEG under derived/.',
  'thumbnail logs:CreateLogStream': LOGS,
  'thumbnail logs:PutLogEvents': LOGS,
  'thumbnail xray:PutTraceSegments': XRAY,
  'thumbnail xray:PutTelemetryRecords': XRAY,

  'labels rekognition:DetectLabels': 'Detects labels on the analysis JPEG; the action has no resource type.',
  'labels s3:GetObject': "Rekognition reads the analysis JPEG from S3 with the caller's permissions.",
  'labels logs:CreateLogStream': LOGS,
  'labels logs:PutLogEvents': LOGS,
  'labels xray:PutTraceSegments': XRAY,
  'labels xray:PutTelemetryRecords': XRAY,

  'moderation rekognition:DetectModerationLabels': 'Moderates the analysis JPEG; the action has no resource type.',
  'moderation s3:GetObject': "Rekognition reads the analysis JPEG from S3 with the caller's permissions.",
  'moderation logs:CreateLogStream': LOGS,
  'moderation logs:PutLogEvents': LOGS,
  'moderation xray:PutTraceSegments': XRAY,
  'moderation xray:PutTelemetryRecords': XRAY,

  'record dynamodb:UpdateItem': 'Claims an upload (PROCESSING) and writes READY, REJECTED or FAILED, conditionally.',
  'record logs:CreateLogStream': LOGS,
  'record logs:PutLogEvents': LOGS,
  'record xray:PutTraceSegments': XRAY,
  'record xray:PutTelemetryRecords': XRAY,

  'takedown s3:ListBucket':
    "Lists the keys of one media after a REJECTED or FAILED run: the original's exact key (so a missing original is told from a refused one) and everything under derived/{mediaId}/; only for prefixes under uploads/ and derived/ (s3:prefix condition).",
  'takedown s3:GetObject': 'Reads the original as the source of the copy that moves it out of uploads/.',
  'takedown s3:PutObject':
    'Writes the moved original: REJECTED media to quarantine/ (kept for review or appeal, no API role may read it), FAILED media to failed/; lifecycle rules expire both.',
  'takedown s3:DeleteObject':
    'Deletes the original from uploads/ once copied, and every derived object of REJECTED or FAILED media, so nothing of it stays servable.',
  'takedown s3:DeleteObjectVersion':
    'Deletes the one version of uploads/{ownerId}/{mediaId} that an upload form posted again after its ticket was used wrote (RemoveReusedUpload, the version the event names), so the version before it is current again; under uploads/ only.',
  'takedown logs:CreateLogStream': LOGS,
  'takedown logs:PutLogEvents': LOGS,
  'takedown xray:PutTraceSegments': XRAY,
  'takedown xray:PutTelemetryRecords': XRAY,

  'articles dynamodb:GetItem':
    'Reads one article (GET /articles/{id}, and before PUT), and after a refused author-only write to tell 404 from 403.',
  'articles dynamodb:PutItem': 'Creates articles (POST /articles), never overwriting an id.',
  'articles dynamodb:UpdateItem': 'Updates an article (PUT /articles/{id}), conditional on its author.',
  'articles dynamodb:DeleteItem': 'Deletes an article (DELETE /articles/{id}), conditional on its author.',
  'articles dynamodb:Query': 'Lists articles newest first through the byNewest index.',
  'articles secretsmanager:GetSecretValue':
    'Reads the page-token HMAC key at run time (GET /articles signs and checks `nextToken`): the AWSCURRENT version, and AWSPREVIOUS for a token signed before a rotation; cached for PAGE_TOKEN_SECRET_MAX_AGE. This one secret only; no DescribeSecret, no write.',
  'articles logs:CreateLogStream': LOGS,
  'articles logs:PutLogEvents': LOGS,
  'articles xray:PutTraceSegments': XRAY,
  'articles xray:PutTelemetryRecords': XRAY,

  'media dynamodb:GetItem':
    'Reads a media record for GET /media/{id}, and before DELETE /media/{id} to check the owner.',
  'media dynamodb:PutItem':
    'Writes the PENDING media record for POST /media/uploads, never overwriting one; marks a record DELETING for DELETE /media/{id} (a conditional put of the record as read, so a pipeline write in between is never lost).',
  'media dynamodb:DeleteItem':
    'Deletes a media record for DELETE /media/{id}, only once it is DELETING and its objects are erased; no other role may delete media records.',
  'media dynamodb:Query':
    "Lists the caller's own media newest first (GET /media?owner=me) through the byOwner index; never a Scan.",
  'media s3:ListBucketVersions':
    "Finds every version and delete marker of one media's objects for DELETE /media/{id} (real erasure in a versioned bucket); only for prefixes under uploads/, derived/ and failed/ (s3:prefix condition), the keys taken from the record.",
  'media s3:DeleteObjectVersion':
    "Erases each version of the media's original (in uploads/, or in failed/ for a bad upload) and derived objects for DELETE /media/{id}, so nothing stays recoverable; no other role may delete object versions but the takedown, the one version a re-posted upload form wrote.",
  'media secretsmanager:GetSecretValue':
    'Reads the page-token HMAC key at run time (GET /media?owner=me signs and checks `nextToken`, under a context of its own, so a token of the articles listing never verifies here): AWSCURRENT, and AWSPREVIOUS for a token signed before a rotation; cached for PAGE_TOKEN_SECRET_MAX_AGE. This one secret only; no DescribeSecret, no write.',
  'media dynamodb:UpdateItem':
    "Counts an upload against its owner's daily quota (POST /media/uploads): one conditional ADD on the owner's counter for the UTC day, refused at the limit. UpdateItem is the role's only right on this table (no GetItem, PutItem, DeleteItem, Query or Scan); the code only ever increments a counter.",
  'media s3:PutObject': "Signs presigned POST uploads under uploads/: the signature carries the signer's s3:PutObject.",
  'media s3:GetObject': 'Signs short-lived GET URLs for renditions of READY media under derived/.',
  'media logs:CreateLogStream': LOGS,
  'media logs:PutLogEvents': LOGS,
  'media xray:PutTraceSegments': XRAY,
  'media xray:PutTelemetryRecords': XRAY,

  'stateMachine lambda:InvokeFunction': 'Runs the five step functions of the ASL, and only those.',
  'stateMachine logs:CreateLogDelivery': LOG_DELIVERY,
  'stateMachine logs:GetLogDelivery': LOG_DELIVERY,
  'stateMachine logs:UpdateLogDelivery': LOG_DELIVERY,
  'stateMachine logs:DeleteLogDelivery': LOG_DELIVERY,
  'stateMachine logs:ListLogDeliveries': LOG_DELIVERY,
  'stateMachine logs:PutResourcePolicy': LOG_DELIVERY,
  'stateMachine logs:DescribeResourcePolicies': LOG_DELIVERY,
  'stateMachine logs:DescribeLogGroups': LOG_DELIVERY,
  'stateMachine xray:PutTraceSegments': XRAY,
  'stateMachine xray:PutTelemetryRecords': XRAY,
  'stateMachine xray:GetSamplingRules':
    'Reads X-Ray sampling rules for traced executions; no resource-level permissions.',
  'stateMachine xray:GetSamplingTargets':
    'Reads X-Ray sampling targets for traced executions; no resource-level permissions.',

  'watcher dynamodb:UpdateItem':
    'Marks FAILED the media of an execution that ended FAILED, TIMED_OUT or ABORTED, with one conditional UpdateItem that holds only while that execution still holds the claim.',
  'watcher sqs:SendMessage':
    "Lambda puts a status-change event the watcher could not handle after its retries into the watcher's own dead-letter queue.",
  'watcher logs:CreateLogStream': LOGS,
  'watcher logs:PutLogEvents': LOGS,
  'watcher xray:PutTraceSegments': XRAY,
  'watcher xray:PutTelemetryRecords': XRAY,

  'sweeper dynamodb:Query':
    'Finds media whose claim is older than the state machine timeout plus a margin: one Query per shard of the sparse byClaimAge index (only PROCESSING media are in it), never a Scan, never another index.',
  'sweeper dynamodb:UpdateItem':
    'Settles each stranded media FAILED PIPELINE_STRANDED with one conditional UpdateItem that holds only while that very claim (execution and claim time) still holds it, so a late or concurrent settle and a newer claim are never overwritten.',
  'sweeper logs:CreateLogStream': LOGS,
  'sweeper logs:PutLogEvents': LOGS,
  'sweeper xray:PutTraceSegments': XRAY,
  'sweeper xray:PutTelemetryRecords': XRAY,

  'ruleTarget states:StartExecution': 'Starts one execution of the media pipeline per uploaded object.',

  'sweeperSchedule lambda:InvokeFunction':
    "Runs the sweeper on its schedule: the function's unqualified ARN only, no version or alias, no other function.",
  'sweeperSchedule sqs:SendMessage':
    "Puts an invocation EventBridge Scheduler could not deliver after its retries into the schedule's own dead-letter queue.",

  'apiGatewayLogging logs:CreateLogGroup':
    "Creates each API stage's execution log group (API-Gateway-Execution-Logs_{apiId}/{stage}) on first use.",
  'apiGatewayLogging logs:CreateLogStream': 'Creates the log streams API Gateway writes access and execution logs to.',
  'apiGatewayLogging logs:DescribeLogGroups': "Finds whether a stage's log group exists before creating it.",
  'apiGatewayLogging logs:DescribeLogStreams': 'Finds the log stream to write to.',
  'apiGatewayLogging logs:PutLogEvents': "Writes access and execution log events of the account's API stages.",

  'ciDeploy sts:AssumeRole':
    'Runs `cdk deploy` by stepping into the CDK bootstrap roles of this account and region (deploy, file and image publishing, lookup), which hold the deploy permissions; the CloudFormation execution role is left to CloudFormation.',

  'group:Developers iam:GetAccountPasswordPolicy':
    'Shows the password rules when a member changes their password; no resource type.',
  'group:Developers iam:ListVirtualMFADevices':
    'Lets the console list MFA devices while a member sets theirs up; no resource type.',
  'group:Developers iam:ChangePassword':
    'A member changes their own password (first sign-in, rotation) before MFA is set up.',
  'group:Developers iam:GetUser': 'A member reads their own user, which the console needs for the credentials page.',
  'group:Developers iam:CreateVirtualMFADevice': OWN_MFA,
  'group:Developers iam:DeleteVirtualMFADevice': `${OWN_MFA} Removes a device created but never enabled, so set-up can be retried.`,
  'group:Developers iam:EnableMFADevice': OWN_MFA,
  'group:Developers iam:GetMFADevice': OWN_MFA,
  'group:Developers iam:ListMFADevices': OWN_MFA,
  'group:Developers iam:ResyncMFADevice': OWN_MFA,
  'group:Developers iam:DeactivateMFADevice':
    'A member removes their own MFA device only from a session signed in with MFA: a stolen password alone cannot drop the second factor.',
  'group:Developers Deny DenyAllExceptListedIfNoMFA':
    'The MFA guard: until the session was signed in with MFA (and always for long-term keys, which carry no MFA key), every action but credential self-service is denied, whatever other policy allows it.',
};

/**
 * Where one action means different things on different resources, the reason for one resource,
 * keyed `role action resource` (the readable resource name). Falls back to {@link WHY}.
 */
const WHY_ON_RESOURCE: Readonly<Record<string, string>> = {
  'articles dynamodb:GetItem table:MediaTable':
    "Reads the media record an article names as its cover (POST and PUT /articles) to check it is the author's own and not REJECTED, FAILED or EXPIRED; the only media-table right of this role.",
};

/** Optional roles: which stack holds them and what turns that stack on. */
const OPTIONAL_ROLE_NOTES: Readonly<Record<OptionalRole, string>> = {
  ciDeploy:
    'Created only when `githubDeploy` is configured (`-c githubRepo=owner/name -c githubBranch=main`). This document is generated for `acme/travel-guide` on `main`; a deploy names the configured repository and branch in the trust condition.',
};

const ROLE_TITLES: Readonly<Record<ProjectRole, string>> = {
  thumbnail: 'Thumbnail function',
  labels: 'Labels function',
  moderation: 'Moderation function',
  record: 'Record function',
  watcher: 'Execution watcher function',
  sweeper: 'Sweeper function (stranded claims)',
  takedown: 'Takedown function',
  articles: 'Articles function',
  media: 'Media function',
  stateMachine: 'Media pipeline state machine',
  ruleTarget: 'EventBridge rule target (media uploaded)',
  sweeperSchedule: "EventBridge Scheduler's role for the sweeper's schedule",
  apiGatewayLogging: "API Gateway's account-wide CloudWatch role (account stack)",
  ciDeploy: 'CI deploy role for GitHub Actions',
};

/** The ARN of the AWS managed policy CDK's custom-resource providers attach to their roles. */
const LAMBDA_BASIC_EXECUTION = 'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole';

/**
 * Roles the app does not write itself (CDK's custom-resource providers), by name: why the app
 * has each, and the reason for each AWS managed policy it carries. A role missing here renders as
 * UNREVIEWED.
 */
export const OTHER_ROLES: Readonly<
  Record<
    string,
    {
      readonly why: string;
      readonly managedPolicies: Readonly<Record<string, string>>;
      /** Why each action a bucket policy grants the role (on the bucket and its objects). */
      readonly bucketActions: Readonly<Record<string, string>>;
    }
  >
> = {
  CustomS3AutoDeleteObjectsCustomResourceProviderRole: {
    why: "The role of CDK's `Custom::S3AutoDeleteObjects` provider, in stages whose removal policy is DESTROY (dev) only: on stack delete its function deletes every object version of the media bucket and of its access-log bucket, which CloudFormation cannot delete while they hold any. Its S3 rights come from the two bucket policies alone (below); prod retains its buckets and has no such role.",
    managedPolicies: {
      [LAMBDA_BASIC_EXECUTION]:
        "Attached by CDK's provider and not configurable: lets the provider function create its own log group `/aws/lambda/<function name>` and write to it (logs:CreateLogGroup, logs:CreateLogStream, logs:PutLogEvents); it grants nothing on the app's data.",
    },
    bucketActions: {
      's3:GetBucket*':
        "Reads the bucket's tags (GetBucketTagging): it empties only a bucket still tagged `aws-cdk:auto-delete-objects=true`, so a bucket whose auto-delete was turned off is left alone.",
      's3:PutBucketPolicy':
        "Adds a Deny of s3:PutObject for everyone to the bucket's policy before emptying it, so no object lands while it deletes (GetBucketPolicy, under s3:GetBucket*, reads the policy first).",
      's3:List*': 'Lists every object version and delete marker (ListObjectVersions), page by page.',
      's3:DeleteObject*': 'Deletes each listed version and delete marker by version id (DeleteObjects).',
    },
  },
};

/** Optional groups: what turns their stack on. */
const OPTIONAL_GROUP_NOTES: Readonly<Record<string, string>> = {
  Developers: 'Created only with `withDeveloperAccess` (`-c withDeveloperAccess=true`).',
};

function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

/**
 * Who may assume the role, one entry per trust statement: `service`, or the web identities of a
 * federated provider (by its construct name) with the action; then ` when condition`.
 */
function trustedBy(role: RoleView, names: ResourceNames): string {
  return role.trust.Statement.filter((s) => s.Effect === 'Allow')
    .map((statement) => {
      const principal = statement.Principal as { Service?: unknown; Federated?: unknown } | undefined;
      const who =
        typeof principal?.Service === 'string'
          ? `\`${principal.Service}\``
          : typeof principal?.Federated === 'string'
            ? `web identities of \`${names.readable(principal.Federated)}\` (\`${statementActions(statement).join('`, `')}\`)`
            : `\`${JSON.stringify(statement.Principal)}\``;
      const when = statement.Condition === undefined ? '' : ` when \`${cell(JSON.stringify(statement.Condition))}\``;
      return `${who}${when}`;
    })
    .join(', ');
}

/** One row of a group's table: an allowed action, or a whole statement (a Deny, a NotAction). */
interface GroupRow {
  statement: PolicyStatement;
  action: string;
  /** `group:<name> <action>` for an allowed action, `group:<name> <Effect> <Sid>` for a whole statement. */
  key: string;
}

/** Allow statements read one row per action; a Deny or a NotAction reads as one rule, one row. */
function groupRows(group: GroupView): GroupRow[] {
  return group.policies.flatMap(({ document }) =>
    document.Statement.flatMap((statement): GroupRow[] => {
      if (statement.Effect === 'Deny' || statement.NotAction !== undefined) {
        const actions = [statement.NotAction ?? statement.Action ?? []]
          .flat()
          .map((a) => `\`${a}\``)
          .join(', ');
        return [
          {
            statement,
            action: statement.NotAction !== undefined ? `every action except ${actions}` : actions,
            key: `group:${group.name} ${statement.Effect} ${statement.Sid ?? '(no Sid)'}`,
          },
        ];
      }
      return statementActions(statement).map((action) => ({
        statement,
        action: `\`${action}\``,
        key: `group:${group.name} ${action}`,
      }));
    }),
  );
}

/**
 * Every `role action` and group row the app grants that has no entry in WHY, and every other role
 * (`other:<name>`) or managed policy of one (`other:<name> <arn>`) without an entry in OTHER_ROLES;
 * an identity-policy action of such a role (`other:<name> <action>`) is always unreviewed, and so
 * is an action a bucket policy grants it without an entry in its `bucketActions`.
 */
export function unreviewedPairs(stacks: readonly StackTemplate[]): string[] {
  const resolver = new CfnResolver(stacks);
  const { project, other } = identifyRoles(resolver);
  const otherKeys = other.flatMap((role) => {
    const reviewed = OTHER_ROLES[role.name];
    if (reviewed === undefined) return [`other:${role.name}`];
    // Such a role is reviewed as CDK makes it: a managed policy, and grants in resource policies.
    const granted = bucketGrants(collectBucketPolicies(resolver)).filter((g) => g.principal === `AWS:${role.arn}`);
    return [
      ...allowedPairs(role).map((pair) => `other:${role.name} ${pair.action}`),
      ...granted
        .filter((grant) => reviewed.bucketActions[grant.action] === undefined)
        .map((grant) => `other:${role.name} ${grant.action}`),
      ...role.externalManagedPolicyArns
        .filter((arn) => reviewed.managedPolicies[arn] === undefined)
        .map((arn) => `other:${role.name} ${arn}`),
    ];
  });
  const roleKeys = PROJECT_ROLES.flatMap((roleKey) => {
    const role = project[roleKey];
    if (role === undefined) return [];
    return allowedPairs(role).map((pair) => `${roleKey} ${pair.action}`);
  });
  const keys = [...roleKeys, ...collectGroups(resolver).flatMap((group) => groupRows(group).map((row) => row.key))];
  return [...[...new Set(keys)].filter((key) => WHY[key] === undefined), ...otherKeys];
}

/** The group's policies as a table, one row per {@link GroupRow}. */
function groupLines(group: GroupView, names: ResourceNames): string[] {
  const lines = ['| Effect | Action | Resource | Condition | Why |', '|---|---|---|---|---|'];
  for (const { statement, action, key } of groupRows(group)) {
    const resources = [
      ...statementResources(statement).map((r) => names.readable(r)),
      ...[statement.NotResource ?? []].flat().map((r) => `not ${names.readable(r)}`),
    ]
      .map((r) => `\`${cell(r)}\``)
      .join(', ');
    const condition = statement.Condition === undefined ? '' : `\`${cell(JSON.stringify(statement.Condition))}\``;
    lines.push(`| ${statement.Effect} | ${action} | ${resources} | ${condition} | ${cell(WHY[key] ?? UNREVIEWED)} |`);
  }
  for (const arn of group.managedPolicyArns) lines.push(`| managed policy | \`${arn}\` | | | ${UNREVIEWED} |`);
  return lines;
}

/** The whole document, deterministic for a given template. */
export function renderPermissionsDoc(
  stacks: readonly StackTemplate[],
  usage: Readonly<Record<string, readonly string[]>> = readRecordedUsage(),
): string {
  const resolver = new CfnResolver(stacks);
  const names = new ResourceNames(resolver);
  const { project, missing, other } = identifyRoles(resolver);
  const lines: string[] = [
    '# Permissions',
    '',
    '<!-- Generated from the synthesized app by scripts/permissions-doc.ts. Do not edit by hand. -->',
    '',
    'Every role of the app, what it may do and why. Resources are named by their construct:',
    "`bucket:MediaBucket/uploads/*` is the media bucket's `uploads/` prefix, and an API id is",
    'its construct name too. The tests in `test/iam/` simulate requests against these same',
    'policies, compare them with the approved sets, and fail when this file is out of date.',
    'The app is synthesized with its optional account-level stacks on (the CI deploy role and the',
    'Developers group); their sections say "optional stack" and what turns each on.',
    '"Exercised by" names the ASL states, API routes and presigned requests whose calls used each',
    'grant when the whole e2e suite ran in the local twin with IAM enforced (docs/iam-usage.json);',
    '"AWS only" marks what only AWS itself calls with the role, and roles the twin does not run',
    'have none.',
    '',
  ];
  for (const roleKey of PROJECT_ROLES) {
    const role = project[roleKey];
    const optional = (OPTIONAL_ROLES as readonly ProjectRole[]).includes(roleKey);
    lines.push(`## ${ROLE_TITLES[roleKey]}${optional ? ' (optional stack)' : ''}`, '');
    if (role === undefined) {
      lines.push(`Not in the app: ${missing[roleKey] ?? 'unknown reason'}.`, '');
      continue;
    }
    if (optional) lines.push(`Stack \`${role.stackName}\`. ${OPTIONAL_ROLE_NOTES[roleKey as OptionalRole]}`, '');
    lines.push(`Role \`${role.name}\`. Assumed only by ${trustedBy(role, names)}.`, '');
    const twinRuns = Object.keys(usage).some((key) => key.startsWith(`${roleKey} `));
    lines.push(
      twinRuns ? '| Action | Resource | Why | Exercised by |' : '| Action | Resource | Why |',
      twinRuns ? '|---|---|---|---|' : '|---|---|---|',
    );
    for (const pair of allowedPairs(role)) {
      const condition = pair.condition === undefined ? '' : ` (if \`${cell(pair.condition)}\`)`;
      const why =
        WHY_ON_RESOURCE[`${roleKey} ${pair.action} ${names.readable(pair.resource)}`] ??
        WHY[`${roleKey} ${pair.action}`] ??
        UNREVIEWED;
      const exercised = exercisedCell(usage[`${roleKey} ${pair.action} ${names.readable(pair.resource)}`], pair.action);
      lines.push(
        `| \`${pair.action}\` | \`${cell(names.readable(pair.resource))}\`${condition} | ${cell(why)} |${twinRuns ? ` ${cell(exercised)} |` : ''}`,
      );
    }
    lines.push('');
  }
  lines.push('## Who may invoke functions (resource-based permissions)', '');
  const permissions = resolver.resources().filter((r) => r.type === 'AWS::Lambda::Permission');
  if (permissions.length === 0) lines.push('None.', '');
  else {
    lines.push('| Function | Principal | Source ARN |', '|---|---|---|');
    const rows = permissions.map(({ stackName, logicalId }) => {
      const properties = resolver.resource(stackName, logicalId).Properties ?? {};
      const fn = names.readable(resolver.resolveString(properties.FunctionName, stackName));
      const principal = resolver.resolveString(properties.Principal, stackName);
      const source =
        properties.SourceArn === undefined
          ? `none (${UNREVIEWED})`
          : resolver.resolveString(properties.SourceArn, stackName);
      return `| \`${fn}\` | \`${principal}\` | \`${cell(source)}\` |`;
    });
    lines.push(...rows.sort(), '');
  }
  for (const group of collectGroups(resolver)) {
    const note = OPTIONAL_GROUP_NOTES[group.name];
    lines.push(`## Group \`${group.name}\`${note === undefined ? '' : ' (optional stack)'}`, '');
    const optionalNote = note === undefined ? '' : ` ${note}`;
    lines.push(
      `Stack \`${group.stackName}\`.${optionalNote} For people, not workloads: no role or user carries these policies.`,
      '',
    );
    lines.push(...groupLines(group, names), '');
  }
  lines.push('## Other roles', '');
  if (other.length === 0) {
    lines.push('None: the app has no roles beyond the ones above (no CDK custom-resource providers).', '');
  } else {
    const grants = bucketGrants(collectBucketPolicies(resolver));
    for (const role of other) {
      const reviewed = OTHER_ROLES[role.name];
      lines.push(`### \`${role.name}\`${reviewed === undefined ? ` (${UNREVIEWED})` : ''}`, '');
      if (reviewed !== undefined) lines.push(reviewed.why, '');
      lines.push(`Assumed by ${trustedBy(role, names)}.`, '');
      lines.push('| Granted by | Action | Resource | Why |', '|---|---|---|---|');
      for (const pair of allowedPairs(role))
        lines.push(
          `| identity policy | \`${pair.action}\` | \`${cell(names.readable(pair.resource))}\` | ${UNREVIEWED} |`,
        );
      for (const arn of role.externalManagedPolicyArns)
        lines.push(`| managed policy | \`${arn}\` | | ${cell(reviewed?.managedPolicies[arn] ?? UNREVIEWED)} |`);
      for (const grant of grants.filter((g) => g.principal === `AWS:${role.arn}`)) {
        const condition = grant.condition === undefined ? '' : ` (if \`${cell(grant.condition)}\`)`;
        lines.push(
          `| bucket policy | \`${grant.action}\` | \`${cell(names.readable(grant.resource))}\`${condition} | ${cell(reviewed?.bucketActions[grant.action] ?? UNREVIEWED)} |`,
        );
      }
      lines.push('');
    }
  }
  // The app is synthesized environment-agnostic: show account and region as the placeholders they are.
  return `${lines.join('\n').trimEnd()}\n`.replaceAll(FAKE_ACCOUNT, '<account>').replaceAll(FAKE_REGION, '<region>');
}

/** The committed document, or undefined when there is none yet. */
function readCommitted(): string | undefined {
  try {
    return readFileSync(DOC_PATH, 'utf8');
  } catch (e: unknown) {
    if (e instanceof Error && 'code' in e && e.code === 'ENOENT') return undefined;
    throw e;
  }
}

async function main(): Promise<void> {
  // Imported here, not at the top: the tests import this module's renderer without synthesizing twice.
  const { synthApp, withOptionalStacks } = await import('../test/iam/support/synth');
  const doc = renderPermissionsDoc(synthApp(withOptionalStacks()));
  if (process.argv.includes('--check')) {
    if (readCommitted() !== doc) {
      process.stderr.write(`docs/permissions.md is out of date: ${REGENERATE_HINT}\n`);
      process.exitCode = 1;
      return;
    }
    process.stdout.write('docs/permissions.md is up to date\n');
    return;
  }
  mkdirSync(path.dirname(DOC_PATH), { recursive: true });
  writeFileSync(DOC_PATH, doc);
  process.stdout.write(`wrote ${path.relative(process.cwd(), DOC_PATH)}\n`);
}

if (require.main === module) {
  main().catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  });
}
