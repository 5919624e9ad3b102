/**
 * Alarms must reach a person: every alarm action of the app is walked to its SNS topic and to that
 * topic's policy, and the offline IAM simulator decides whether CloudWatch, acting for that very
 * alarm, may publish. A topic policy replaces SNS's default policy, so a topic whose policy only
 * denies (CDK's `enforceSSL`) silently drops every alarm; this test fails instead.
 */
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { CfnResolver, FAKE_ACCOUNT, FAKE_PARTITION, FAKE_REGION } from './support/cfn-resolver';
import { synthApp } from './support/synth';

type Decision = 'Allowed' | 'ImplicitlyDenied' | 'ExplicitlyDenied';

interface PolicyDocument {
  Statement: Array<Record<string, unknown>>;
}

async function cloudWatchMayPublish(
  policy: PolicyDocument,
  topicArn: string,
  alarmArn: string,
  sourceAccount = FAKE_ACCOUNT,
): Promise<Decision> {
  const response = await runSimulation(
    {
      request: {
        principal: 'cloudwatch.amazonaws.com',
        action: 'sns:Publish',
        resource: { resource: topicArn, accountId: FAKE_ACCOUNT },
        // What CloudWatch sends when an alarm action fires: TLS, and the alarm as the source.
        contextVariables: {
          'aws:SourceArn': alarmArn,
          'aws:SourceAccount': sourceAccount,
          'aws:SecureTransport': 'true',
        },
      },
      identityPolicies: [],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: policy,
    },
    {},
  );
  if (response.resultType === 'error')
    throw new Error(`Cannot simulate sns:Publish on ${topicArn}: ${JSON.stringify(response.errors)}`);
  return response.overallResult;
}

const alarmArn = (name: string, account = FAKE_ACCOUNT): string =>
  `arn:${FAKE_PARTITION}:cloudwatch:${FAKE_REGION}:${account}:alarm:${name}`;

interface AlarmAction {
  stackName: string;
  alarm: string;
  alarmName: string;
  topicArn: string;
  policy: PolicyDocument;
}

/** Every (alarm, action) of the app, with the policy of the topic the action publishes to. */
function alarmActions(resolver: CfnResolver): AlarmAction[] {
  const resources = resolver.resources();
  return resources
    .filter((resource) => resource.type === 'AWS::CloudWatch::Alarm')
    .flatMap((alarm) => {
      const properties = resolver.resource(alarm.stackName, alarm.logicalId).Properties ?? {};
      const alarmName = resolver.resolveString(properties.AlarmName, alarm.stackName);
      const actions = [
        ...((properties.AlarmActions as unknown[]) ?? []),
        ...((properties.OKActions as unknown[]) ?? []),
      ];
      if (actions.length === 0) throw new Error(`Alarm ${alarm.name} notifies no one`);
      return actions.map((action) => {
        const ref = (action as { Ref?: string }).Ref;
        if (ref === undefined || resolver.resource(alarm.stackName, ref).Type !== 'AWS::SNS::Topic') {
          throw new Error(
            `Alarm ${alarm.name} has an action that is not a topic of its stack: ${JSON.stringify(action)}`,
          );
        }
        const policies = resources.filter(
          (candidate) =>
            candidate.type === 'AWS::SNS::TopicPolicy' &&
            candidate.stackName === alarm.stackName &&
            ((resolver.resource(candidate.stackName, candidate.logicalId).Properties?.Topics as unknown[]) ?? []).some(
              (topic) => (topic as { Ref?: string }).Ref === ref,
            ),
        );
        // No policy at all would leave SNS's default policy, which lets the account's own
        // principals publish but not CloudWatch's alarms either, unless the owner allows it.
        if (policies.length !== 1)
          throw new Error(`Topic ${ref} of alarm ${alarm.name} has ${policies.length} topic policies`);
        const [policyResource] = policies;
        const policy = resolver.resolveDeep(
          resolver.resource(alarm.stackName, policyResource?.logicalId ?? '').Properties?.PolicyDocument,
          alarm.stackName,
        ) as PolicyDocument;
        return {
          stackName: alarm.stackName,
          alarm: alarm.name,
          alarmName,
          topicArn: resolver.ref(alarm.stackName, ref),
          policy,
        };
      });
    });
}

describe.each(['dev', 'prod'] as const)('alarm delivery (%s)', (stage) => {
  let actions: AlarmAction[];
  beforeAll(() => {
    actions = alarmActions(new CfnResolver(synthApp(stage)));
  });

  it('finds the alarms of the stage, each with an action', () => {
    expect(actions.length).toBeGreaterThanOrEqual(10);
    expect(actions.map((action) => action.alarm)).toEqual(
      expect.arrayContaining([
        'ObservabilityExecutionsAbortedAlarm',
        'ObservabilityDeadLetterQueueAgeAlarm',
        'ObservabilitySweeperDeadLetterQueueAlarm',
        'ObservabilityStrandedMediaAlarm',
        'ObservabilitySweeperErrorsAlarm',
      ]),
    );
  });

  it('lets CloudWatch publish every alarm of the stack to the topic its action names', async () => {
    const refused: string[] = [];
    for (const action of actions) {
      const decision = await cloudWatchMayPublish(action.policy, action.topicArn, alarmArn(action.alarmName));
      if (decision !== 'Allowed') refused.push(`${action.alarm}: ${decision}`);
    }

    expect(refused).toEqual([]);
  });

  it("refuses CloudWatch acting for another stack's or another account's alarm", async () => {
    const [action] = actions;
    if (action === undefined) throw new Error('no alarm action');

    const otherStack = await cloudWatchMayPublish(
      action.policy,
      action.topicArn,
      alarmArn('SomeoneElse-ExecutionsFailedAlarm'),
    );
    const otherAccount = await cloudWatchMayPublish(
      action.policy,
      action.topicArn,
      alarmArn(action.alarmName, '999988887777'),
      '999988887777',
    );

    expect(otherStack).not.toBe('Allowed');
    expect(otherAccount).not.toBe('Allowed');
  });

  it('would catch a topic policy that holds only the TLS Deny (the default that drops every alarm)', async () => {
    const [action] = actions;
    if (action === undefined) throw new Error('no alarm action');
    const denyOnly = {
      ...action.policy,
      Statement: action.policy.Statement.filter((statement) => statement.Effect === 'Deny'),
    };

    const decision = await cloudWatchMayPublish(denyOnly, action.topicArn, alarmArn(action.alarmName));

    expect(decision).not.toBe('Allowed');
  });
});
