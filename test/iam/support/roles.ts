/**
 * Reads the IAM roles of synthesized stacks: each role's trust policy and its effective identity
 * policy (inline policies, AWS::IAM::Policy / AWS::IAM::ManagedPolicy attached to it, and managed
 * policy ARNs), with every intrinsic resolved to a concrete ARN.
 */
import type { CfnResolver } from './cfn-resolver';

export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Principal?: unknown;
  NotPrincipal?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

export interface PolicyDocument {
  Version?: string;
  Statement: PolicyStatement[];
}

export interface NamedPolicy {
  /** Where the statements come from: `inline:<name>`, `policy:<logical name>`, `managed:<logical name>`. */
  source: string;
  document: PolicyDocument;
}

export interface RoleView {
  stackName: string;
  logicalId: string;
  /** Fake physical name (logical id without its hash). */
  name: string;
  arn: string;
  trust: PolicyDocument;
  policies: NamedPolicy[];
  /** Managed policy ARNs that are not defined in the app (AWS managed, or another account's). */
  externalManagedPolicyArns: string[];
}

function asArray<T>(value: T | T[] | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

function toDocument(value: unknown, where: string): PolicyDocument {
  if (typeof value !== 'object' || value === null || !('Statement' in value)) {
    throw new Error(`${where}: not a policy document: ${JSON.stringify(value)}`);
  }
  const statement = (value as { Statement: unknown }).Statement;
  return { ...(value as object), Statement: asArray(statement as PolicyStatement | PolicyStatement[]) };
}

export function statementActions(statement: PolicyStatement): string[] {
  return asArray(statement.Action);
}

export function statementResources(statement: PolicyStatement): string[] {
  return asArray(statement.Resource);
}

/**
 * IAM resource types whose effect on roles is understood: the ones that grant a role something
 * are read below; the others grant roles nothing (users, groups and their policies, providers).
 */
const KNOWN_IAM_TYPES: ReadonlySet<string> = new Set([
  'AWS::IAM::Role',
  'AWS::IAM::Policy',
  'AWS::IAM::ManagedPolicy',
  'AWS::IAM::RolePolicy',
  'AWS::IAM::Group',
  'AWS::IAM::GroupPolicy',
  'AWS::IAM::User',
  'AWS::IAM::UserPolicy',
  'AWS::IAM::UserToGroupAddition',
  'AWS::IAM::OIDCProvider',
  'AWS::IAM::SAMLProvider',
  'AWS::IAM::InstanceProfile',
  'AWS::IAM::ServiceLinkedRole',
]);

/** Collects every AWS::IAM::Role of the stacks with its effective identity policy. */
export function collectRoles(resolver: CfnResolver): RoleView[] {
  const roles = new Map<string, RoleView>();
  const resources = resolver.resources();
  const managedPolicies = new Map<string, NamedPolicy>();

  for (const { stackName, logicalId, type, name } of resources) {
    if (type !== 'AWS::IAM::Role') continue;
    const properties = resolver.resource(stackName, logicalId).Properties ?? {};
    const where = `${stackName}/${logicalId}`;
    const physicalName = resolver.physicalName(stackName, logicalId);
    roles.set(physicalName, {
      stackName,
      logicalId,
      name,
      arn: resolver.arn(stackName, logicalId),
      trust: toDocument(resolver.resolveDeep(properties.AssumeRolePolicyDocument, stackName), `${where} trust`),
      policies: asArray(properties.Policies as { PolicyName: unknown; PolicyDocument: unknown }[] | undefined).map(
        (p) => ({
          source: `inline:${resolver.resolveString(p.PolicyName, stackName)}`,
          document: toDocument(resolver.resolveDeep(p.PolicyDocument, stackName), where),
        }),
      ),
      externalManagedPolicyArns: [],
    });
  }

  // Customer managed policies of the app, by ARN, so ManagedPolicyArns can refer to them.
  for (const { stackName, logicalId, type, name } of resources) {
    if (type !== 'AWS::IAM::ManagedPolicy') continue;
    const properties = resolver.resource(stackName, logicalId).Properties ?? {};
    managedPolicies.set(resolver.arn(stackName, logicalId), {
      source: `managed:${name}`,
      document: toDocument(resolver.resolveDeep(properties.PolicyDocument, stackName), `${stackName}/${logicalId}`),
    });
  }

  const roleByName = (roleName: string, where: string): RoleView => {
    const role = roles.get(roleName);
    if (role === undefined) throw new Error(`${where} is attached to role ${roleName}, which is not in the app`);
    return role;
  };

  for (const { stackName, logicalId, type, name } of resources) {
    const properties = resolver.resource(stackName, logicalId).Properties ?? {};
    const where = `${stackName}/${logicalId}`;
    if (type.startsWith('AWS::IAM::') && !KNOWN_IAM_TYPES.has(type)) {
      throw new Error(`${where}: ${type} is not read by the permission tests; teach collectRoles what it grants`);
    }
    if (type === 'AWS::IAM::RolePolicy') {
      const roleName = resolver.resolveString(properties.RoleName, stackName);
      roleByName(roleName, where).policies.push({
        source: `inline:${resolver.resolveString(properties.PolicyName, stackName)}`,
        document: toDocument(resolver.resolveDeep(properties.PolicyDocument, stackName), where),
      });
    }
    if (type === 'AWS::IAM::Policy' || type === 'AWS::IAM::ManagedPolicy') {
      const document = toDocument(resolver.resolveDeep(properties.PolicyDocument, stackName), where);
      for (const roleRef of asArray(properties.Roles as unknown[] | undefined)) {
        const roleName = resolver.resolveString(roleRef, stackName);
        roleByName(roleName, where).policies.push({
          source: `${type === 'AWS::IAM::Policy' ? 'policy' : 'managed'}:${name}`,
          document,
        });
      }
    }
  }

  for (const role of roles.values()) {
    const properties = resolver.resource(role.stackName, role.logicalId).Properties ?? {};
    for (const arnValue of asArray(properties.ManagedPolicyArns as unknown[] | undefined)) {
      const arn = resolver.resolveString(arnValue, role.stackName);
      const local = managedPolicies.get(arn);
      if (local === undefined) role.externalManagedPolicyArns.push(arn);
      else role.policies.push(local);
    }
  }
  return [...roles.values()];
}

/** One (action, resource) pair a role is allowed, with the condition it is allowed under. */
export interface AllowedPair {
  action: string;
  resource: string;
  condition?: string;
}

/** Expands every Allow statement of the role into (action, resource) pairs. */
export function allowedPairs(role: RoleView): AllowedPair[] {
  const pairs = new Map<string, AllowedPair>();
  for (const { document } of role.policies) {
    for (const statement of document.Statement) {
      if (statement.Effect !== 'Allow') continue;
      if (statement.NotAction !== undefined || statement.NotResource !== undefined) {
        throw new Error(`${role.name}: NotAction/NotResource in an Allow statement grants everything else`);
      }
      const condition = statement.Condition === undefined ? undefined : JSON.stringify(statement.Condition);
      for (const action of statementActions(statement)) {
        for (const resource of statementResources(statement)) {
          const pair: AllowedPair = condition === undefined ? { action, resource } : { action, resource, condition };
          pairs.set(`${action} ${resource} ${condition ?? ''}`, pair);
        }
      }
    }
  }
  // Code-point order, not localeCompare: the generated document must not depend on the machine's locale.
  const byCodePoint = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  return [...pairs.values()].sort((a, b) => byCodePoint(a.action, b.action) || byCodePoint(a.resource, b.resource));
}

/** Readable resource names such as `bucket:MediaBucket/uploads/*` and back. */
export class ResourceNames {
  private readonly entries: { readable: string; arn: string }[] = [];

  constructor(resolver: CfnResolver) {
    for (const { stackName, logicalId, type, name } of resolver.resources()) {
      const kind = READABLE_KIND[type];
      if (kind === undefined) continue;
      const arn = resolver.arn(stackName, logicalId);
      // Log group ARNs carry ":*"; name the group itself so ":*" and ":log-stream:x" read as suffixes.
      this.entries.push({ readable: `${kind}:${name}`, arn: arn.endsWith(':*') ? arn.slice(0, -2) : arn });
    }
    // Longest ARN first, so a prefix never shadows a longer resource.
    this.entries.sort((a, b) => b.arn.length - a.arn.length);
  }

  /** `arn:aws:s3:::MediaBucket/uploads/*` → `bucket:MediaBucket/uploads/*`. Unknown ARNs stay as they are. */
  readable(arn: string): string {
    for (const entry of this.entries) {
      if (arn === entry.arn || (arn.startsWith(entry.arn) && /^[/:]/.test(arn.slice(entry.arn.length)))) {
        return entry.readable + arn.slice(entry.arn.length);
      }
    }
    return arn;
  }

  /** `table:MediaTable` → its ARN; `*` and full ARNs pass through. */
  arn(readable: string): string {
    if (readable === '*' || readable.startsWith('arn:')) return readable;
    const match = [...this.entries]
      .sort((a, b) => b.readable.length - a.readable.length)
      .find(
        (entry) =>
          readable === entry.readable ||
          (readable.startsWith(entry.readable) && /^[/:]/.test(readable.slice(entry.readable.length))),
      );
    if (match === undefined) {
      throw new Error(
        `Unknown resource "${readable}"; known: ${this.entries
          .map((e) => e.readable)
          .sort()
          .join(', ')}`,
      );
    }
    return match.arn + readable.slice(match.readable.length);
  }
}

const READABLE_KIND: Readonly<Record<string, string>> = {
  'AWS::S3::Bucket': 'bucket',
  'AWS::DynamoDB::Table': 'table',
  'AWS::Lambda::Function': 'function',
  'AWS::StepFunctions::StateMachine': 'stateMachine',
  'AWS::Logs::LogGroup': 'logGroup',
  'AWS::SQS::Queue': 'queue',
  'AWS::SNS::Topic': 'topic',
  'AWS::KMS::Key': 'key',
  'AWS::IAM::Role': 'role',
  'AWS::IAM::Group': 'group',
  'AWS::IAM::OIDCProvider': 'oidcProvider',
  'AWS::SecretsManager::Secret': 'secret',
  'AWS::Events::Rule': 'rule',
  'AWS::Scheduler::ScheduleGroup': 'scheduleGroup',
};
