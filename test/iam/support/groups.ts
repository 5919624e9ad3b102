/**
 * Reads the IAM groups of synthesized stacks: the policies attached to each group, and what else
 * each of those policies is attached to (a guard meant for people must not land on a role).
 */
import type { CfnResolver } from './cfn-resolver';
import type { NamedPolicy, PolicyDocument } from './roles';

export interface GroupPolicy extends NamedPolicy {
  /** Roles and users the same policy resource is attached to besides groups, by resolved name. */
  alsoAttachedTo: string[];
  /** Every group the policy is attached to, by resolved name. */
  groups: string[];
}

export interface GroupView {
  stackName: string;
  logicalId: string;
  name: string;
  /** The physical name (the generated one is the logical name without its hash). */
  groupName: string;
  policies: GroupPolicy[];
  /** Managed policy ARNs on the group (ManagedPolicyArns), which cannot be read offline. */
  managedPolicyArns: string[];
}

function asArray<T>(value: T | T[] | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** Every AWS::IAM::Group of the stacks with the policies attached to it. */
export function collectGroups(resolver: CfnResolver): GroupView[] {
  const resources = resolver.resources();
  const groups = resources
    .filter((r) => r.type === 'AWS::IAM::Group')
    .map(({ stackName, logicalId, name }): GroupView => {
      const properties = resolver.resource(stackName, logicalId).Properties ?? {};
      const groupName = resolver.physicalName(stackName, logicalId);
      const inline = asArray(properties.Policies as { PolicyName: unknown; PolicyDocument: unknown }[] | undefined).map(
        (p): GroupPolicy => ({
          source: `inline:${resolver.resolveString(p.PolicyName, stackName)}`,
          document: resolver.resolveDeep(p.PolicyDocument, stackName) as PolicyDocument,
          alsoAttachedTo: [],
          groups: [groupName],
        }),
      );
      const managedPolicyArns = asArray(properties.ManagedPolicyArns as unknown[] | undefined).map((arn) =>
        resolver.resolveString(arn, stackName),
      );
      return { stackName, logicalId, name, groupName, policies: inline, managedPolicyArns };
    });

  for (const { stackName, logicalId, type, name } of resources) {
    if (type !== 'AWS::IAM::Policy' && type !== 'AWS::IAM::ManagedPolicy') continue;
    const properties = resolver.resource(stackName, logicalId).Properties ?? {};
    const names = (key: string): string[] =>
      asArray(properties[key] as unknown[] | undefined).map((ref) => resolver.resolveString(ref, stackName));
    const attachedGroups = names('Groups');
    if (attachedGroups.length === 0) continue;
    const policy: GroupPolicy = {
      source: `${type === 'AWS::IAM::Policy' ? 'policy' : 'managed'}:${name}`,
      document: resolver.resolveDeep(properties.PolicyDocument, stackName) as PolicyDocument,
      alsoAttachedTo: [
        ...names('Roles').map((role) => `role:${role}`),
        ...names('Users').map((user) => `user:${user}`),
      ],
      groups: attachedGroups,
    };
    for (const groupName of attachedGroups) {
      const group = groups.find((candidate) => candidate.groupName === groupName);
      if (group === undefined)
        throw new Error(`${stackName}/${logicalId} is attached to group ${groupName}, which is not in the app`);
      group.policies.push(policy);
    }
  }
  return groups;
}
