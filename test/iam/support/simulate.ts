/**
 * Evaluates one request against a role's identity policy with an offline IAM simulator
 * (@cloud-copilot/iam-simulate; AGPL, used by tests only and never shipped).
 */
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { FAKE_ACCOUNT } from './cfn-resolver';
import type { NamedPolicy, PolicyDocument, RoleView } from './roles';

export type Decision = 'Allowed' | 'ImplicitlyDenied' | 'ExplicitlyDenied';

/** Who asks, with which identity policies, and the request context (aws:username, MFA...). */
export interface Caller {
  principal: string;
  policies: readonly NamedPolicy[];
  contextVariables?: Record<string, string>;
  /** The resource's own policy (a bucket policy), evaluated with the identity policies as AWS does. */
  resourcePolicy?: PolicyDocument;
}

export async function simulateCaller(caller: Caller, action: string, resourceArn: string): Promise<Decision> {
  const response = await runSimulation(
    {
      request: {
        principal: caller.principal,
        action,
        resource: { resource: resourceArn, accountId: FAKE_ACCOUNT },
        contextVariables: caller.contextVariables ?? {},
      },
      identityPolicies: caller.policies.map((policy, index) => ({
        name: `${index}-${policy.source}`,
        policy: policy.document,
      })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      ...(caller.resourcePolicy !== undefined ? { resourcePolicy: caller.resourcePolicy } : {}),
    },
    {},
  );
  if (response.resultType === 'error') {
    // An invalid action, a malformed policy or an ARN of the wrong type: the request table or the
    // template is wrong, and a "deny" must never pass because the request could not be evaluated.
    throw new Error(
      `Cannot simulate ${action} on ${resourceArn} for ${caller.principal}: ${JSON.stringify(response.errors)}`,
    );
  }
  // "*" is how a call without a resource is authorized (e.g. DetectModerationLabels without a
  // custom adapter, whose resource type is optional); any other pattern would be ambiguous.
  if (response.resultType === 'wildcard' && resourceArn !== '*') {
    throw new Error(`Request resources must be concrete, got ${resourceArn}`);
  }
  return response.overallResult;
}

export async function simulate(
  role: RoleView,
  action: string,
  resourceArn: string,
  contextVariables?: Readonly<Record<string, string>>,
  resourcePolicy?: PolicyDocument,
): Promise<Decision> {
  return simulateCaller(
    {
      principal: role.arn,
      policies: role.policies,
      ...(contextVariables !== undefined ? { contextVariables: { ...contextVariables } } : {}),
      ...(resourcePolicy !== undefined ? { resourcePolicy } : {}),
    },
    action,
    resourceArn,
  );
}

/**
 * Evaluates a service's sts:AssumeRole against a role's trust policy (the role's resource
 * policy), with the request context the service sends: `aws:SourceArn` and `aws:SourceAccount`
 * name the resource it acts for (omitted keys are absent from the request).
 */
export async function simulateAssumeRole(
  role: RoleView,
  service: string,
  source: { arn?: string; account?: string },
): Promise<Decision> {
  const response = await runSimulation(
    {
      request: {
        principal: service,
        action: 'sts:AssumeRole',
        resource: { resource: role.arn, accountId: FAKE_ACCOUNT },
        contextVariables: {
          ...(source.arn !== undefined ? { 'aws:SourceArn': source.arn } : {}),
          ...(source.account !== undefined ? { 'aws:SourceAccount': source.account } : {}),
        },
      },
      identityPolicies: [],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: role.trust,
    },
    {},
  );
  if (response.resultType === 'error') {
    throw new Error(`Cannot simulate sts:AssumeRole of ${role.arn} by ${service}: ${JSON.stringify(response.errors)}`);
  }
  return response.overallResult;
}
