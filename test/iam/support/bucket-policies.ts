/**
 * Reads the S3 bucket policies of synthesized stacks: what each grants, and to whom. A bucket
 * policy is a resource-based policy: in the same account, a statement that names a role grants it
 * the actions without any identity policy of the role saying so, so the permission tests read
 * these alongside the roles (CDK's auto-delete provider, for one, holds its S3 rights only here).
 */
import type { CfnResolver } from './cfn-resolver';
import { statementActions, statementResources, type PolicyDocument, type PolicyStatement } from './roles';

export interface BucketPolicyView {
  stackName: string;
  logicalId: string;
  /** The bucket's ARN. */
  bucketArn: string;
  document: PolicyDocument;
}

/** One allowed (principal, action, resource) of a bucket policy, with its condition as JSON. */
export interface BucketGrant {
  /** `AWS:<arn>` or `Service:<service>`, as the statement's Principal names it. */
  principal: string;
  action: string;
  resource: string;
  condition?: string;
}

/** Every AWS::S3::BucketPolicy of the stacks, resolved. */
export function collectBucketPolicies(resolver: CfnResolver): BucketPolicyView[] {
  return resolver
    .resources()
    .filter((r) => r.type === 'AWS::S3::BucketPolicy')
    .map(({ stackName, logicalId }) => {
      const properties = resolver.resource(stackName, logicalId).Properties ?? {};
      const bucketName = resolver.resolveString(properties.Bucket, stackName);
      const document = resolver.resolveDeep(properties.PolicyDocument, stackName) as PolicyDocument;
      const statements = [document.Statement].flat() as PolicyStatement[];
      return {
        stackName,
        logicalId,
        bucketArn: `arn:aws:s3:::${bucketName}`,
        document: { ...document, Statement: statements },
      };
    });
}

/** The principals a statement names, as `AWS:<arn>` / `Service:<name>` (`AWS:*` for everyone). */
function principalsOf(statement: PolicyStatement): string[] {
  const principal = statement.Principal;
  if (principal === '*') return ['AWS:*'];
  if (typeof principal !== 'object' || principal === null) return [];
  return Object.entries(principal as Record<string, unknown>).flatMap(([kind, value]) =>
    [value].flat().map((who) => `${kind}:${String(who)}`),
  );
}

/** Every Allow of the bucket policies, one row per principal, action and resource. */
export function bucketGrants(policies: readonly BucketPolicyView[]): BucketGrant[] {
  return policies.flatMap(({ document, logicalId }) =>
    document.Statement.flatMap((statement) => {
      if (statement.Effect !== 'Allow') return [];
      if (statement.NotAction !== undefined || statement.NotResource !== undefined || statement.NotPrincipal) {
        throw new Error(
          `${logicalId}: NotAction/NotResource/NotPrincipal in an Allow statement grants everything else`,
        );
      }
      const condition = statement.Condition === undefined ? undefined : JSON.stringify(statement.Condition);
      return principalsOf(statement).flatMap((principal) =>
        statementActions(statement).flatMap((action) =>
          statementResources(statement).map((resource) =>
            condition === undefined ? { principal, action, resource } : { principal, action, resource, condition },
          ),
        ),
      );
    }),
  );
}
