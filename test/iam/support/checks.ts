/**
 * The least-privilege rules as pure functions over resolved roles: each returns the list of
 * violations (empty when the rule holds), so a failing test prints exactly what is wrong.
 */
import type { CfnResolver } from './cfn-resolver';
import { allowedPairs, statementActions, statementResources, type ResourceNames, type RoleView } from './roles';

/**
 * Actions that have no resource-level permissions in IAM, so `Resource: "*"` is the narrowest
 * possible: the Rekognition detect actions, X-Ray segment and sampling calls, and the CloudWatch
 * Logs log-delivery calls that Step Functions logging needs.
 */
export const STAR_RESOURCE_ACTIONS: ReadonlySet<string> = new Set([
  'rekognition:DetectLabels',
  'rekognition:DetectModerationLabels',
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
  'xray:GetSamplingRules',
  'xray:GetSamplingTargets',
  'logs:CreateLogDelivery',
  'logs:GetLogDelivery',
  'logs:UpdateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:ListLogDeliveries',
  'logs:PutResourcePolicy',
  'logs:DescribeResourcePolicies',
  'logs:DescribeLogGroups',
]);

/** Wildcard actions anywhere, `Resource: "*"` outside the list above, NotAction / NotResource. */
export function wildcardFindings(role: RoleView): string[] {
  const findings: string[] = [];
  for (const { source, document } of role.policies) {
    for (const statement of document.Statement) {
      const where = `${role.name} (${source})`;
      if (statement.NotAction !== undefined)
        findings.push(`${where}: NotAction ${JSON.stringify(statement.NotAction)}`);
      if (statement.NotResource !== undefined)
        findings.push(`${where}: NotResource ${JSON.stringify(statement.NotResource)}`);
      if (statement.Effect !== 'Allow') continue;
      const actions = statementActions(statement);
      for (const action of actions) {
        if (action.includes('*')) findings.push(`${where}: wildcard action ${action}`);
      }
      if (statementResources(statement).includes('*')) {
        for (const action of actions) {
          if (!STAR_RESOURCE_ACTIONS.has(action)) findings.push(`${where}: ${action} on Resource "*"`);
        }
      }
    }
  }
  return findings;
}

/** Managed policy ARNs that are not on the approved list (AWS managed policies are unknown offline). */
export function managedPolicyFindings(role: RoleView, approved: ReadonlySet<string>): string[] {
  return role.externalManagedPolicyArns
    .filter((arn) => !approved.has(arn))
    .map((arn) => `${role.name}: managed policy ${arn} (contents unknown offline; write the statements inline)`);
}

/**
 * Who may assume a role: one AWS service, or the web identities of one OIDC provider under exact
 * conditions. A service acting for a resource of its own names it in `condition` (the
 * `aws:SourceArn` and `aws:SourceAccount` keys AWS documents against the confused deputy); a service
 * without one (Lambda's execution roles) has no condition at all.
 */
export type TrustExpectation =
  | { service: string; condition?: Record<string, Record<string, string | string[]>> }
  | { federated: string; action: 'sts:AssumeRoleWithWebIdentity'; condition: Record<string, Record<string, string>> };

/** JSON with object keys sorted, so two documents compare equal whatever order their keys were written in. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value !== 'object' || value === null) return JSON.stringify(value);
  const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([key, inner]) => `${JSON.stringify(key)}:${canonical(inner)}`).join(',')}}`;
}

/**
 * The trust policy has exactly one Allow statement and it names exactly the expected principal:
 * a service (with `sts:AssumeRole`), or a federated OIDC provider (with
 * `sts:AssumeRoleWithWebIdentity` and exactly the expected condition, so a StringLike, a missing
 * audience or a wider subject is a finding). A string is shorthand for `{ service }`.
 */
export function trustFindings(role: RoleView, expected: string | TrustExpectation): string[] {
  const expectation = typeof expected === 'string' ? { service: expected } : expected;
  const statements = role.trust.Statement.filter((s) => s.Effect === 'Allow');
  const [statement] = statements;
  const actions = statementActions(statement ?? { Effect: 'Allow' }).join();
  const holds =
    statements.length === 1 &&
    statement !== undefined &&
    ('service' in expectation
      ? canonical(statement.Principal) === canonical({ Service: expectation.service }) &&
        actions === 'sts:AssumeRole' &&
        canonical(statement.Condition) === canonical(expectation.condition)
      : canonical(statement.Principal) === canonical({ Federated: expectation.federated }) &&
        actions === expectation.action &&
        canonical(statement.Condition) === canonical(expectation.condition));
  if (holds) return [];
  const who =
    'service' in expectation
      ? `${expectation.service}${expectation.condition === undefined ? ' (no condition)' : ` under ${canonical(expectation.condition)}`}`
      : `web identities of ${expectation.federated} under ${canonical(expectation.condition)}`;
  return [`${role.name}: trust policy should let only ${who} assume it, has ${JSON.stringify(role.trust.Statement)}`];
}

/** Every AWS::Lambda::Permission is scoped with SourceArn (and SourceAccount when the ARN has no account). */
export function lambdaPermissionFindings(resolver: CfnResolver): string[] {
  const findings: string[] = [];
  for (const { stackName, logicalId, type, name } of resolver.resources()) {
    if (type !== 'AWS::Lambda::Permission') continue;
    const properties = resolver.resource(stackName, logicalId).Properties ?? {};
    if (properties.SourceArn === undefined) {
      findings.push(`${name}: ${String(properties.Principal)} may invoke without a SourceArn`);
      continue;
    }
    const sourceArn = resolver.resolveString(properties.SourceArn, stackName);
    const accountInArn = sourceArn.split(':')[4] ?? '';
    if (accountInArn === '' && properties.SourceAccount === undefined) {
      findings.push(`${name}: SourceArn ${sourceArn} names no account and there is no SourceAccount`);
    }
    if (sourceArn.startsWith('arn:aws:execute-api:')) {
      // apiId/stage/METHOD/path: a "*" in the api, stage or method lets other stages or methods in.
      const [apiId, stage, method] = (sourceArn.split(':')[5] ?? '').split('/');
      if ([apiId, stage, method].some((part) => part === undefined || part === '' || part.includes('*'))) {
        findings.push(`${name}: SourceArn ${sourceArn} is not scoped to one API, stage and method`);
      }
    }
  }
  return findings;
}

/** `action resource` lines, readable, sorted: the form the approved sets are written in. */
export function readablePairs(role: RoleView, names: ResourceNames): string[] {
  return allowedPairs(role)
    .map(
      (pair) =>
        `${pair.action} ${names.readable(pair.resource)}${pair.condition === undefined ? '' : ` if ${pair.condition}`}`,
    )
    .sort();
}

/** What a role has beyond its approved set (widening) and what it lacks (a broken function). */
export function diffSets(
  actual: readonly string[],
  approved: readonly string[],
): { extra: string[]; missing: string[] } {
  const approvedSet = new Set(approved);
  const actualSet = new Set(actual);
  return {
    extra: actual.filter((line) => !approvedSet.has(line)),
    missing: approved.filter((line) => !actualSet.has(line)),
  };
}
