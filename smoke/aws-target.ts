import { randomBytes } from 'node:crypto';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import {
  AdminCreateUserCommand,
  AdminDeleteUserCommand,
  AdminSetUserPasswordCommand,
  CognitoIdentityProviderClient,
  InitiateAuthCommand,
  RespondToAuthChallengeCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { createSrpSession, signSrpSession, wrapAuthChallenge, wrapInitiateAuth } from 'cognito-srp-helper';
import { STACK_OUTPUTS, type StackOutputName, type StackOutputs } from '../infra/definitions/stack-outputs';
import { CLEANUP_PHASE } from './journeys';
import type { SmokeRun } from './run';

/**
 * What the smoke command does with the operator's AWS credentials on a deployed stage: read the
 * stack's outputs, create a throw-away Cognito user (admin API) and sign it in with SRP, the only
 * flow the web client allows, exactly as the browser app would.
 */

export interface AwsClients {
  cloudFormation: CloudFormationClient;
  cognito: CognitoIdentityProviderClient;
  cloudWatch: CloudWatchClient;
  sns: SNSClient;
  sqs: SQSClient;
}

/** One client per service, from the SDK's default credential chain and region (or `region`). */
export function createAwsClients(region?: string): AwsClients {
  const config = region !== undefined ? { region } : {};
  return {
    cloudFormation: new CloudFormationClient(config),
    cognito: new CognitoIdentityProviderClient(config),
    cloudWatch: new CloudWatchClient(config),
    sns: new SNSClient(config),
    sqs: new SQSClient(config),
  };
}

export function destroyAwsClients(clients: AwsClients): void {
  for (const client of Object.values(clients)) client.destroy();
}

/** The stack's outputs by the keys in infra/definitions/stack-outputs.ts; a missing one is named. */
export async function readStackOutputs(cloudFormation: CloudFormationClient, stackName: string): Promise<StackOutputs> {
  const { Stacks } = await cloudFormation.send(new DescribeStacksCommand({ StackName: stackName }));
  const stack = Stacks?.[0];
  if (!stack) throw new Error(`stack ${stackName} not found`);
  const byKey = new Map((stack.Outputs ?? []).map((output) => [output.OutputKey, output.OutputValue]));
  const entries = Object.entries(STACK_OUTPUTS) as [StackOutputName, string][];
  const missing = entries.filter(([, key]) => !byKey.get(key)).map(([, key]) => key);
  if (missing.length > 0)
    throw new Error(
      `stack ${stackName} (${stack.StackStatus ?? 'unknown status'}) has no output ${missing.join(', ')}: deploy this version first`,
    );
  return Object.fromEntries(entries.map(([name, key]) => [name, byKey.get(key) ?? ''])) as StackOutputs;
}

export interface ThrowAwayUser {
  username: string;
  password: string;
}

/** An e-mail username (the pool signs in by e-mail) on a reserved domain, and a password that meets the pool's policy. */
export function throwAwayUser(runId: string): ThrowAwayUser {
  return {
    username: `smoke-${runId}@example.com`,
    // 24 random characters, plus one of each class the policy requires.
    password: `${randomBytes(18).toString('base64url')}Aa1!`,
  };
}

/** AdminCreateUser (no invitation e-mail, address marked verified), then a permanent password. */
export async function createUser(
  cognito: CognitoIdentityProviderClient,
  userPoolId: string,
  user: ThrowAwayUser,
): Promise<void> {
  await cognito.send(
    new AdminCreateUserCommand({
      UserPoolId: userPoolId,
      Username: user.username,
      MessageAction: 'SUPPRESS',
      UserAttributes: [
        { Name: 'email', Value: user.username },
        { Name: 'email_verified', Value: 'true' },
      ],
    }),
  );
  await cognito.send(
    new AdminSetUserPasswordCommand({
      UserPoolId: userPoolId,
      Username: user.username,
      Password: user.password,
      Permanent: true,
    }),
  );
}

/** AdminDeleteUser; a user that is already gone (or was never created) is fine. */
export async function deleteUser(
  cognito: CognitoIdentityProviderClient,
  userPoolId: string,
  username: string,
): Promise<'deleted' | 'absent'> {
  try {
    await cognito.send(new AdminDeleteUserCommand({ UserPoolId: userPoolId, Username: username }));
    return 'deleted';
  } catch (error: unknown) {
    if (error instanceof Error && error.name === 'UserNotFoundException') return 'absent';
    throw error;
  }
}

/**
 * USER_SRP_AUTH then PASSWORD_VERIFIER with the SRP values computed by cognito-srp-helper: the
 * password never leaves this process. Returns the ID token the API's authorizer checks.
 */
export async function signInWithSrp(
  cognito: CognitoIdentityProviderClient,
  pool: { userPoolId: string; clientId: string },
  user: ThrowAwayUser,
): Promise<string> {
  const session = createSrpSession(user.username, user.password, pool.userPoolId, false);
  const initiated = await cognito.send(
    new InitiateAuthCommand(
      wrapInitiateAuth(session, {
        ClientId: pool.clientId,
        AuthFlow: 'USER_SRP_AUTH',
        AuthParameters: { USERNAME: user.username },
      }),
    ),
  );
  if (initiated.ChallengeName !== 'PASSWORD_VERIFIER')
    throw new Error(
      `Cognito answered USER_SRP_AUTH with ${initiated.ChallengeName ?? 'no challenge'}, not PASSWORD_VERIFIER`,
    );
  const signed = signSrpSession(session, initiated);
  const answered = await cognito.send(
    new RespondToAuthChallengeCommand(
      wrapAuthChallenge(signed, {
        ClientId: pool.clientId,
        ChallengeName: 'PASSWORD_VERIFIER',
        // Cognito identifies the user by USER_ID_FOR_SRP from here on (the pool signs in by e-mail alias).
        ChallengeResponses: { USERNAME: initiated.ChallengeParameters?.USER_ID_FOR_SRP ?? user.username },
        Session: initiated.Session,
      }),
    ),
  );
  const idToken = answered.AuthenticationResult?.IdToken;
  if (!idToken)
    throw new Error(
      `Cognito answered the password verifier with ${answered.ChallengeName ?? 'no tokens'} instead of tokens`,
    );
  return idToken;
}

/**
 * The steps before the journeys on a deployed stage. The user's deletion is registered before
 * the user is created, so it runs whatever fails afterwards (a user never created is "absent").
 */
export async function prepareStage(
  run: SmokeRun,
  clients: AwsClients,
  stackName: string,
  runId: string,
): Promise<{ outputs: StackOutputs; token: string }> {
  const outputs = await run.step(`read the outputs of stack ${stackName}`, async (note) => {
    const read = await readStackOutputs(clients.cloudFormation, stackName);
    note(`API ${read.apiUrl}, user pool ${read.userPoolId}`);
    return read;
  });
  const user = throwAwayUser(runId);
  run.onCleanUp(
    'delete the throw-away user',
    async (note) => note(`${user.username}: ${await deleteUser(clients.cognito, outputs.userPoolId, user.username)}`),
    CLEANUP_PHASE.user,
  );
  await run.step('create a throw-away user (admin API)', async (note) => {
    await createUser(clients.cognito, outputs.userPoolId, user);
    note(user.username);
  });
  const token = await run.step('sign in with SRP (Cognito)', async (note) => {
    const idToken = await signInWithSrp(
      clients.cognito,
      { userPoolId: outputs.userPoolId, clientId: outputs.userPoolClientId },
      user,
    );
    note(`ID token, ${idToken.length} characters`);
    return idToken;
  });
  return { outputs, token };
}
