import { Aws, CfnOutput, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';

/**
 * The actions a member may call before signing in with MFA: enough to see the password policy,
 * change their own password and register their own MFA device, and nothing else.
 * `iam:DeleteVirtualMFADevice` is here so that a device created but never enabled (an abandoned
 * console wizard) can be removed and the set-up retried; IAM refuses to delete a device that is
 * still enabled, and deactivating one needs MFA.
 */
export const MFA_SELF_SERVICE_ACTIONS = [
  'iam:ChangePassword',
  'iam:CreateVirtualMFADevice',
  'iam:DeleteVirtualMFADevice',
  'iam:EnableMFADevice',
  'iam:GetAccountPasswordPolicy',
  'iam:GetMFADevice',
  'iam:GetUser',
  'iam:ListMFADevices',
  'iam:ListVirtualMFADevices',
  'iam:ResyncMFADevice',
  'sts:GetSessionToken',
] as const;

/** Properties of a {@link DeveloperAccessStack}. */
export type DeveloperAccessStackProps = StackProps;

/**
 * Account-level access for the people who work on the travel guide: a `Developers` IAM group
 * that holds the MFA guard, following AWS's "manage own credentials with MFA" pattern.
 *
 * Members may change their own password and manage their own virtual MFA device (named after
 * their user name, `mfa/<user name>`). Every other action of every service is denied until the
 * session was signed in with MFA, whatever other policy allows it. The group grants no work
 * permissions itself: those come from policies an administrator attaches for the job, and the
 * guard here keeps all of them behind MFA. Deploys go through the CI role or the CDK bootstrap
 * roles, not through this group.
 */
export class DeveloperAccessStack extends Stack {
  /** The group to add developers' IAM users to. */
  public readonly developers: iam.Group;
  /** The MFA guard and credential self-service, attached to {@link developers}. */
  public readonly policy: iam.Policy;

  constructor(scope: Construct, id: string, props: DeveloperAccessStackProps = {}) {
    super(scope, id, props);

    // No group name: the generated one lets a second copy of the app share the account.
    this.developers = new iam.Group(this, 'Developers');

    const ownUser = `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:user/\${aws:username}`;
    const ownMfaDevice = `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:mfa/\${aws:username}`;

    this.policy = new iam.Policy(this, 'SelfManageCredentialsWithMfa', {
      groups: [this.developers],
      statements: [
        new iam.PolicyStatement({
          sid: 'AllowViewAccountInfo',
          // Neither action has a resource type: IAM accepts only "*" for them.
          actions: ['iam:GetAccountPasswordPolicy', 'iam:ListVirtualMFADevices'],
          resources: ['*'],
        }),
        new iam.PolicyStatement({
          sid: 'AllowManageOwnPassword',
          actions: ['iam:ChangePassword', 'iam:GetUser'],
          resources: [ownUser],
        }),
        new iam.PolicyStatement({
          sid: 'AllowManageOwnVirtualMFADevice',
          actions: ['iam:CreateVirtualMFADevice', 'iam:DeleteVirtualMFADevice'],
          resources: [ownMfaDevice],
        }),
        new iam.PolicyStatement({
          sid: 'AllowManageOwnUserMFA',
          actions: ['iam:EnableMFADevice', 'iam:GetMFADevice', 'iam:ListMFADevices', 'iam:ResyncMFADevice'],
          resources: [ownUser],
        }),
        new iam.PolicyStatement({
          sid: 'AllowDeactivateOwnMFAOnlyWithMFA',
          // A stolen password alone must not be enough to remove the second factor.
          actions: ['iam:DeactivateMFADevice'],
          resources: [ownUser],
          conditions: { Bool: { 'aws:MultiFactorAuthPresent': 'true' } },
        }),
        new iam.PolicyStatement({
          sid: 'DenyAllExceptListedIfNoMFA',
          effect: iam.Effect.DENY,
          notActions: [...MFA_SELF_SERVICE_ACTIONS],
          resources: ['*'],
          // BoolIfExists: long-term access keys carry no MFA key at all, and must be denied too.
          conditions: { BoolIfExists: { 'aws:MultiFactorAuthPresent': 'false' } },
        }),
      ],
    });

    Validations.of(this.policy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Only iam:GetAccountPasswordPolicy and iam:ListVirtualMFADevices are allowed on "*": IAM defines no resource type for either, and members need them to pick a valid password and see their device. Every other allowed action is on the member\'s own user or MFA device, named through the aws:username policy variable (not a wildcard, so no finding).',
    });

    new CfnOutput(this, 'DevelopersGroupName', {
      description: 'IAM group to add developers to (aws iam add-user-to-group)',
      value: this.developers.groupName,
    });
  }
}
