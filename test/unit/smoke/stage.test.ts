import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import {
  AdminCreateUserCommand,
  AdminDeleteUserCommand,
  AdminSetUserPasswordCommand,
  InitiateAuthCommand,
  RespondToAuthChallengeCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { SubscribeCommand, UnsubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, DeleteQueueCommand, SetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import 'aws-sdk-client-mock-jest';
import { STACK_OUTPUTS } from '../../../infra/definitions/stack-outputs';
import { runSmoke } from '../../../smoke/cli';
import { OPERATOR_PERMISSIONS, UNSIGNED_COGNITO_ACTIONS } from '../../../smoke/operator-permissions';
import {
  FAKE_ALARM,
  FAKE_OUTPUTS,
  FAKE_QUEUE_ARN,
  FAKE_QUEUE_URL,
  FAKE_SUBSCRIPTION_ARN,
  mockStage,
  SRP_SESSION,
  USER_ID_FOR_SRP,
  type MockedStage,
} from '../../fixtures/smoke-aws';

/**
 * `npm run smoke -- --stage dev` with the AWS clients mocked (no account is reachable here). The
 * API URL points at a port nothing listens on, so every journey fails at its first API call:
 * what matters here is what is created, what is always removed, and what is sent to AWS.
 */

const UNREACHABLE_API = 'http://127.0.0.1:9/v1/';

let stage: MockedStage;
let output: string;

async function smoke(...args: string[]): Promise<number> {
  output = '';
  return runSmoke(['--stage', 'dev', ...args], {
    write: (text) => {
      output += text;
    },
    runId: 'run1',
    alarmCheck: { waitMs: 50, settleMs: 0, pollSeconds: 0 },
  });
}

describe('the --stage path', () => {
  let code: number;

  beforeAll(async () => {
    stage = mockStage({ apiUrl: UNREACHABLE_API, idToken: () => 'id-token' });
    code = await smoke();
  });

  afterAll(() => {
    stage.restore();
  });

  it('reads the outputs of stack TravelGuide-dev by their keys', () => {
    expect(stage.cloudFormation).toHaveReceivedCommandWith(DescribeStacksCommand, { StackName: 'TravelGuide-dev' });
    expect(output).toContain(`API ${UNREACHABLE_API}, user pool ${FAKE_OUTPUTS.userPoolId}`);
  });

  it("creates a throw-away user in the stack's pool without an invitation, with a permanent password", () => {
    expect(stage.cognito).toHaveReceivedCommandWith(AdminCreateUserCommand, {
      UserPoolId: FAKE_OUTPUTS.userPoolId,
      Username: 'smoke-run1@example.com',
      MessageAction: 'SUPPRESS',
    });
    expect(stage.cognito).toHaveReceivedCommandWith(AdminSetUserPasswordCommand, {
      UserPoolId: FAKE_OUTPUTS.userPoolId,
      Username: 'smoke-run1@example.com',
      Permanent: true,
    });
  });

  it('signs in with SRP through the web client: SRP_A first, then the password claim signed for USER_ID_FOR_SRP', async () => {
    expect(stage.cognito).toHaveReceivedCommandWith(InitiateAuthCommand, {
      ClientId: FAKE_OUTPUTS.userPoolClientId,
      AuthFlow: 'USER_SRP_AUTH',
      AuthParameters: { USERNAME: 'smoke-run1@example.com', SRP_A: expect.stringMatching(/^[0-9a-f]{256,}$/) },
    });
    const challenge = await stage.cognito.commandCalls(InitiateAuthCommand)[0]?.returnValue;
    const secretBlock = challenge?.ChallengeParameters?.SECRET_BLOCK;
    expect(stage.cognito).toHaveReceivedCommandWith(RespondToAuthChallengeCommand, {
      ClientId: FAKE_OUTPUTS.userPoolClientId,
      ChallengeName: 'PASSWORD_VERIFIER',
      Session: SRP_SESSION,
      ChallengeResponses: expect.objectContaining({
        USERNAME: USER_ID_FOR_SRP,
        PASSWORD_CLAIM_SECRET_BLOCK: secretBlock,
        PASSWORD_CLAIM_SIGNATURE: expect.stringMatching(/^[A-Za-z0-9+/]{43}=$/),
        TIMESTAMP: expect.stringMatching(/^[A-Z][a-z]{2} [A-Z][a-z]{2} \d{1,2} \d{2}:\d{2}:\d{2} UTC \d{4}$/),
      }),
    });
  });

  it('never sends the password in the sign-in exchange', () => {
    const password = stage.cognito.commandCalls(AdminSetUserPasswordCommand)[0]?.args[0].input.Password ?? '';
    const signIn = [
      ...stage.cognito.commandCalls(InitiateAuthCommand),
      ...stage.cognito.commandCalls(RespondToAuthChallengeCommand),
    ];
    expect(password).toMatch(/^.{24}Aa1!$/);
    expect(signIn).toHaveLength(2);
    expect(JSON.stringify(signIn.map((call) => call.args[0].input))).not.toContain(password);
  });

  it('deletes the user after a journey failed, and says which step failed and why', () => {
    expect(code).toBe(1);
    expect(stage.cognito).toHaveReceivedCommandWith(AdminDeleteUserCommand, {
      UserPoolId: FAKE_OUTPUTS.userPoolId,
      Username: 'smoke-run1@example.com',
    });
    expect(output).toMatch(/^FAILED: create an article: .*ECONNREFUSED/m);
    expect(output).toMatch(/^delete the throw-away user +ok .*smoke-run1@example.com: deleted$/m);
  });
});

describe('the --stage path when something fails', () => {
  beforeEach(() => {
    stage = mockStage({ apiUrl: UNREACHABLE_API, idToken: () => 'id-token' });
  });

  afterEach(() => {
    stage.restore();
  });

  it('deletes the user when the SRP sign-in is refused', async () => {
    stage.cognito
      .on(RespondToAuthChallengeCommand)
      .rejects(Object.assign(new Error('Incorrect username or password.'), { name: 'NotAuthorizedException' }));

    const code = await smoke();

    expect(code).toBe(1);
    expect(output).toMatch(
      /^FAILED: sign in with SRP \(Cognito\): NotAuthorizedException: Incorrect username or password\.$/m,
    );
    expect(stage.cognito).toHaveReceivedCommandTimes(AdminDeleteUserCommand, 1);
    expect(output).not.toContain('create an article');
  });

  it('deletes the user when setting its password fails after it was created', async () => {
    stage.cognito
      .on(AdminSetUserPasswordCommand)
      .rejects(Object.assign(new Error('Password does not conform to policy'), { name: 'InvalidPasswordException' }));

    expect(await smoke()).toBe(1);
    expect(stage.cognito).toHaveReceivedCommandTimes(AdminDeleteUserCommand, 1);
    expect(stage.cognito).not.toHaveReceivedCommand(InitiateAuthCommand);
  });

  it('names a missing output and creates no user when the stack is older than the smoke command', async () => {
    stage.cloudFormation.on(DescribeStacksCommand).resolves({
      Stacks: [
        {
          StackName: 'TravelGuide-dev',
          StackStatus: 'UPDATE_COMPLETE',
          CreationTime: new Date(),
          Outputs: [{ OutputKey: STACK_OUTPUTS.userPoolId, OutputValue: 'x' }],
        },
      ],
    });

    expect(await smoke()).toBe(1);
    expect(output).toMatch(
      /^FAILED: read the outputs of stack TravelGuide-dev: stack TravelGuide-dev \(UPDATE_COMPLETE\) has no output ApiUrl, UserPoolClientId, .*: deploy this version first$/m,
    );
    expect(stage.cognito).not.toHaveReceivedCommand(AdminCreateUserCommand);
  });

  it('reads another stack and region when told to, and stops when it is not there', async () => {
    stage.cloudFormation
      .on(DescribeStacksCommand)
      .rejects(
        Object.assign(new Error('Stack with id TravelGuide-dev-eu does not exist'), { name: 'ValidationError' }),
      );

    expect(await smoke('--stack', 'TravelGuide-dev-eu', '--region', 'eu-central-1')).toBe(1);
    expect(stage.cloudFormation).toHaveReceivedCommandWith(DescribeStacksCommand, { StackName: 'TravelGuide-dev-eu' });
    expect(output).toMatch(/^Smoke test against stack TravelGuide-dev-eu in eu-central-1$/m);
    expect(output).toMatch(
      /^FAILED: read the outputs of stack TravelGuide-dev-eu: ValidationError: Stack with id TravelGuide-dev-eu does not exist$/m,
    );
    expect(stage.cognito).not.toHaveReceivedCommand(AdminCreateUserCommand);
  });

  it('refuses a stage the CDK app does not know, before any AWS call', async () => {
    expect(await smoke('--stage', 'qa')).toBe(2);
    expect(output).toContain('--stage: Context stage must be "dev" or "prod", got "qa"');
    expect(stage.actionsSent()).toEqual([]);
  });
});

describe('--check-alarms', () => {
  beforeAll(async () => {
    stage = mockStage({ apiUrl: UNREACHABLE_API, idToken: () => 'id-token' });
    await smoke('--check-alarms');
  });

  afterAll(() => {
    stage.restore();
  });

  it('subscribes a temporary queue that only the alarm topic may send to', () => {
    expect(stage.sqs).toHaveReceivedCommandWith(CreateQueueCommand, { QueueName: 'travel-guide-smoke-run1' });
    const policy = JSON.parse(
      String(stage.sqs.commandCalls(SetQueueAttributesCommand)[0]?.args[0].input.Attributes?.Policy),
    ) as { Statement: unknown[] };
    expect(policy.Statement).toEqual([
      expect.objectContaining({
        Effect: 'Allow',
        Principal: { Service: 'sns.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: FAKE_QUEUE_ARN,
        Condition: { ArnEquals: { 'aws:SourceArn': FAKE_OUTPUTS.alarmTopicArn } },
      }),
    ]);
    expect(stage.sns).toHaveReceivedCommandWith(SubscribeCommand, {
      TopicArn: FAKE_OUTPUTS.alarmTopicArn,
      Protocol: 'sqs',
      Endpoint: FAKE_QUEUE_ARN,
    });
  });

  it('sets an alarm that is not already in ALARM to ALARM, sees its notification, and sets it back', () => {
    const states = stage.cloudWatch
      .commandCalls(SetAlarmStateCommand)
      .map((call) => [call.args[0].input.AlarmName, call.args[0].input.StateValue]);
    expect(states).toEqual([
      [FAKE_ALARM, 'ALARM'],
      [FAKE_ALARM, 'OK'],
    ]);
    expect(output).toMatch(/^see the notification arrive on the queue +ok /m);
  });

  it('sends exactly the requests whose IAM actions README lists for the operator, plus the unsigned sign-in', () => {
    const sent = new Set(stage.actionsSent());
    const listed = OPERATOR_PERMISSIONS.map((permission) => permission.action);
    expect([...sent].sort()).toEqual([...listed, ...UNSIGNED_COGNITO_ACTIONS].sort());
  });
});

describe('--check-alarms when nothing arrives', () => {
  it('removes the subscription and the queue, and restores the alarm, when no notification arrives', async () => {
    stage = mockStage({ apiUrl: UNREACHABLE_API, idToken: () => 'id-token', alarmDelivered: false });

    expect(await smoke('--check-alarms')).toBe(1);
    expect(output).toMatch(
      /^FAILED: see the notification arrive on the queue: no notification of .* reached the queue within 0 s .*cloudwatch\.amazonaws\.com/m,
    );
    expect(stage.sns).toHaveReceivedCommandWith(UnsubscribeCommand, { SubscriptionArn: FAKE_SUBSCRIPTION_ARN });
    expect(stage.sqs).toHaveReceivedCommandWith(DeleteQueueCommand, { QueueUrl: FAKE_QUEUE_URL });
    expect(stage.cloudWatch.commandCalls(SetAlarmStateCommand).map((call) => call.args[0].input.StateValue)).toEqual([
      'ALARM',
      'OK',
    ]);
    stage.restore();
  });
});
