import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import type { GitHubDeployConfig } from '../config';

/** Issuer of GitHub Actions' OIDC tokens; also the prefix of the condition keys it sets. */
export const GITHUB_OIDC_ISSUER = 'token.actions.githubusercontent.com';
/** Audience `aws-actions/configure-aws-credentials` requests for AWS STS. */
export const GITHUB_OIDC_AUDIENCE = 'sts.amazonaws.com';

/** The roles `cdk bootstrap` creates, by the infix of their names; a deploy uses all four. */
export const BOOTSTRAP_ROLE_KINDS = ['deploy', 'file-publishing', 'image-publishing', 'lookup'] as const;

/** Properties of a {@link CiDeployStack}. */
export interface CiDeployStackProps extends StackProps {
  /** Repository, branch and, when the account already has one, the GitHub OIDC provider. */
  readonly github: GitHubDeployConfig;
  /** Qualifier of the CDK bootstrap stack whose roles the CI role may assume. */
  readonly bootstrapQualifier: string;
}

/**
 * The role a GitHub Actions workflow assumes to run `cdk deploy`, and nothing more.
 *
 *   workflow on <repo>@<branch> ── OIDC token ──► sts:AssumeRoleWithWebIdentity ──► this role
 *       ──► sts:AssumeRole ──► cdk-<qualifier>-{deploy,file-publishing,image-publishing,lookup}-role
 *
 * No long-lived key exists to leak. The token must be for STS and its subject must name exactly
 * this repository and branch (a pull request, a tag, another branch or an environment-scoped job
 * has another subject). The role itself can do nothing but step into the bootstrap roles of this
 * account and region, which hold the deploy permissions and the CloudFormation execution role:
 * what CI may change stays defined by `cdk bootstrap`, in one place.
 */
export class CiDeployStack extends Stack {
  /** The account's GitHub OIDC provider, created here or imported. */
  public readonly provider: iam.IOidcProvider;
  /** The role the workflow assumes. */
  public readonly deployRole: iam.Role;

  constructor(scope: Construct, id: string, props: CiDeployStackProps) {
    super(scope, id, props);
    const { github, bootstrapQualifier } = props;

    // An account holds one provider per issuer URL, so an existing one is imported. The native
    // AWS::IAM::OIDCProvider needs no custom resource (and no Lambda); without thumbprints IAM
    // trusts the issuer's certificate through its own CA library.
    this.provider =
      github.oidcProviderArn !== undefined
        ? iam.OidcProviderNative.fromOidcProviderArn(this, 'GitHubOidcProvider', github.oidcProviderArn)
        : new iam.OidcProviderNative(this, 'GitHubOidcProvider', {
            url: `https://${GITHUB_OIDC_ISSUER}`,
            clientIds: [GITHUB_OIDC_AUDIENCE],
          });

    this.deployRole = new iam.Role(this, 'DeployRole', {
      description: `Assumed by GitHub Actions of ${github.repository} on ${github.branch} to run cdk deploy`,
      assumedBy: new iam.OpenIdConnectPrincipal(this.provider, {
        // StringEquals, not StringLike: no pattern can widen the trust to other refs or forks.
        StringEquals: {
          [`${GITHUB_OIDC_ISSUER}:aud`]: GITHUB_OIDC_AUDIENCE,
          [`${GITHUB_OIDC_ISSUER}:sub`]: `repo:${github.repository}:ref:refs/heads/${github.branch}`,
        },
      }),
      maxSessionDuration: Duration.hours(1),
    });

    const { partition, account, region } = this;
    this.deployRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'AssumeCdkBootstrapRoles',
        actions: ['sts:AssumeRole'],
        resources: BOOTSTRAP_ROLE_KINDS.map(
          (kind) => `arn:${partition}:iam::${account}:role/cdk-${bootstrapQualifier}-${kind}-role-${account}-${region}`,
        ),
      }),
    );

    new CfnOutput(this, 'DeployRoleArn', {
      description: 'role-to-assume for aws-actions/configure-aws-credentials',
      value: this.deployRole.roleArn,
    });
  }
}
