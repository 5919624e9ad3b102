import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import type { Construct } from 'constructs';
import type { AppConfig } from '../config';

/** Properties of {@link ApiUsers}. */
export interface ApiUsersProps {
  /** The stage's configuration (sign-up, Cognito plan, removal policy). */
  readonly config: AppConfig;
}

/**
 * The API's users: a Cognito user pool (e-mail sign-in, strong passwords, optional TOTP) and the
 * browser app client (SRP, no secret). The `sub` claim of its tokens is the owner id of articles
 * and uploads; the REST API's authorizer checks them.
 *
 * It adds its resources to the API construct's scope rather than a construct level of its own:
 * their logical ids stay the ones the stack was first deployed with
 * (test/infra/stateful-resources.test.ts), so no table, pool or log group is replaced.
 */
export class ApiUsers {
  /** Users of the API; the `sub` claim is the owner id of articles and uploads. */
  public readonly userPool: cognito.UserPool;
  /** The browser app client (SRP, no secret). */
  public readonly userPoolClient: cognito.UserPoolClient;

  constructor(scope: Construct, props: ApiUsersProps) {
    const { config } = props;
    const retained = config.removalPolicy === RemovalPolicy.RETAIN;
    const plus = config.userPoolPlan === 'PLUS';

    this.userPool = new cognito.UserPool(scope, 'UserPool', {
      selfSignUpEnabled: config.selfSignUp,
      signInAliases: { email: true },
      autoVerify: { email: true },
      standardAttributes: { email: { required: true, mutable: true } },
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
        passwordHistorySize: 5,
      },
      // TOTP only: SMS would need an SNS role and a sending budget.
      mfa: cognito.Mfa.OPTIONAL,
      mfaSecondFactor: { otp: true, sms: false },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      featurePlan: plus ? cognito.FeaturePlan.PLUS : cognito.FeaturePlan.ESSENTIALS,
      // Threat protection (compromised credentials, adaptive authentication) needs PLUS.
      ...(plus ? { standardThreatProtectionMode: cognito.StandardThreatProtectionMode.FULL_FUNCTION } : {}),
      deletionProtection: retained,
      removalPolicy: config.removalPolicy,
      // Cognito's own sender allows only a limited number of e-mails a day; with a sender verified
      // in SES (same region as the pool), the limits are the SES account's.
      ...(config.signUpEmailFrom !== undefined
        ? {
            email: cognito.UserPoolEmail.withSES({
              fromEmail: config.signUpEmailFrom,
              sesRegion: Stack.of(scope).region,
            }),
          }
        : {}),
    });
    Validations.of(this.userPool).acknowledge({
      id: 'AwsSolutions-COG2',
      reason:
        'MFA is offered (TOTP) but optional: authors are members of the public signing up themselves, and a mandatory second factor at sign-up would turn most of them away. Strong passwords, email verification and (in prod) threat protection stand in.',
    });
    if (!plus) {
      Validations.of(this.userPool).acknowledge({
        id: 'AwsSolutions-COG8',
        reason: `The ${config.stage} stage uses the Essentials plan to avoid the Plus per-user price; stages configured with userPoolPlan PLUS run threat protection in full-function mode.`,
      });
    }

    this.userPoolClient = this.userPool.addClient('WebClient', {
      // A browser client: SRP sign-in, no client secret (it could not be kept secret).
      generateSecret: false,
      authFlows: { userSrp: true },
      // OAuth off: the pool has no domain, so there is no hosted UI and no /oauth2 endpoint to
      // redirect to; the app signs in with SRP (InitiateAuth) and renews with the refresh token.
      // CDK's defaults would otherwise allow the implicit grant (tokens in URLs), every scope
      // including aws.cognito.signin.user.admin, and a placeholder callback nobody owns.
      disableOAuth: true,
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      accessTokenValidity: Duration.hours(1),
      idTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.days(30),
    });
  }
}
