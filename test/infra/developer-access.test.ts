import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { type App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { buildApp, type TravelGuideApp } from '../../infra/build-app';
import { type AppConfig, stageConfig } from '../../infra/config';
import { MFA_SELF_SERVICE_ACTIONS } from '../../infra/stacks/developer-access-stack';
import { logicalId, testApp } from './support';

const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';

function build(config: AppConfig): { app: App; built: TravelGuideApp } {
  const app = testApp();
  return { app, built: buildApp(app, config) };
}

function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`${what} is not in the app`);
  return value;
}

/** A template value with the pseudo parameters of one account and region filled in. */
function concrete(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(concrete);
  if (value === null || typeof value !== 'object') return value;
  const object = value as Record<string, unknown>;
  const pseudo: Record<string, string> = { 'AWS::Partition': 'aws', 'AWS::AccountId': ACCOUNT, 'AWS::Region': REGION };
  if (typeof object.Ref === 'string' && pseudo[object.Ref] !== undefined) return pseudo[object.Ref];
  const join = object['Fn::Join'] as [string, unknown[]] | undefined;
  if (join !== undefined) return join[1].map(concrete).join(join[0]);
  return Object.fromEntries(Object.entries(object).map(([key, inner]) => [key, concrete(inner)]));
}

interface Statement {
  Sid?: string;
  Effect: string;
  Action?: string | string[];
  NotAction?: string[];
  Resource?: unknown;
  Condition?: Record<string, Record<string, string>>;
  Principal?: unknown;
}

function policyStatements(template: Template, type: string): Statement[] {
  return Object.values(template.findResources(type)).flatMap(
    (resource) =>
      (resource as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument.Statement,
  );
}

function statementWithSid(statements: Statement[], sid: string): Statement {
  return required(
    statements.find((statement) => statement.Sid === sid),
    `Statement ${sid}`,
  );
}

describe('optional account-level stacks', () => {
  it('are absent from the app by default', () => {
    const { app } = build(stageConfig('dev'));

    const stackNames = app.node.children.filter((child) => child instanceof Stack).map((stack) => stack.node.id);

    expect(stackNames).toEqual(['TravelGuide-Account', 'TravelGuide-dev']);
  });

  it('are absent from the prod stage by default', () => {
    const { built } = build(stageConfig('prod'));

    expect(built.developerAccess).toBeUndefined();
    expect(built.ciDeploy).toBeUndefined();
  });
});

describe('developer access stack (withDeveloperAccess)', () => {
  let template: Template;
  let statements: Statement[];
  let groupId: string;
  const ownUser = `arn:aws:iam::${ACCOUNT}:user/\${aws:username}`;
  const ownMfaDevice = `arn:aws:iam::${ACCOUNT}:mfa/\${aws:username}`;

  beforeAll(() => {
    const { built } = build(stageConfig('dev', { withDeveloperAccess: true }));
    const stack = required(built.developerAccess, 'The developer access stack');
    template = Template.fromStack(stack);
    statements = concrete(policyStatements(template, 'AWS::IAM::Policy')) as Statement[];
    groupId = logicalId(stack.developers);
  });

  it('is named TravelGuide-DeveloperAccess, independent of the stage', () => {
    const { built } = build(stageConfig('prod', { withDeveloperAccess: true }));

    expect(built.developerAccess?.stackName).toBe('TravelGuide-DeveloperAccess');
  });

  it('creates one Developers group without a physical name', () => {
    template.resourceCountIs('AWS::IAM::Group', 1);
    expect(template.toJSON().Resources[groupId].Properties?.GroupName).toBeUndefined();
  });

  it('attaches the credentials policy to the group and to nothing else', () => {
    template.resourceCountIs('AWS::IAM::Policy', 1);
    template.hasResourceProperties('AWS::IAM::Policy', {
      Groups: [{ Ref: groupId }],
      Roles: Match.absent(),
      Users: Match.absent(),
    });
  });

  it.each([
    ['change only their own password', 'AllowManageOwnPassword', ['iam:ChangePassword', 'iam:GetUser'], ownUser],
    [
      'create and delete only the virtual MFA device named after them',
      'AllowManageOwnVirtualMFADevice',
      ['iam:CreateVirtualMFADevice', 'iam:DeleteVirtualMFADevice'],
      ownMfaDevice,
    ],
    [
      'enable, read and resync MFA only on their own user',
      'AllowManageOwnUserMFA',
      ['iam:EnableMFADevice', 'iam:GetMFADevice', 'iam:ListMFADevices', 'iam:ResyncMFADevice'],
      ownUser,
    ],
  ])('lets a member %s', (_case, sid, actions, resource) => {
    expect(statementWithSid(statements, sid)).toEqual({
      Sid: sid,
      Effect: 'Allow',
      Action: actions,
      Resource: resource,
    });
  });

  it('lets a member deactivate their own MFA device only in a session signed in with MFA', () => {
    expect(statementWithSid(statements, 'AllowDeactivateOwnMFAOnlyWithMFA')).toEqual({
      Sid: 'AllowDeactivateOwnMFAOnlyWithMFA',
      Effect: 'Allow',
      Action: 'iam:DeactivateMFADevice',
      Resource: ownUser,
      Condition: { Bool: { 'aws:MultiFactorAuthPresent': 'true' } },
    });
  });

  it('allows on "*" only the two account views that have no resource type', () => {
    const onAnything = statements.filter((statement) => statement.Effect === 'Allow' && statement.Resource === '*');

    expect(onAnything).toEqual([
      {
        Sid: 'AllowViewAccountInfo',
        Effect: 'Allow',
        Action: ['iam:GetAccountPasswordPolicy', 'iam:ListVirtualMFADevices'],
        Resource: '*',
      },
    ]);
  });

  it('denies every action but credential self-service unless the session was signed in with MFA', () => {
    expect(statementWithSid(statements, 'DenyAllExceptListedIfNoMFA')).toEqual({
      Sid: 'DenyAllExceptListedIfNoMFA',
      Effect: 'Deny',
      NotAction: [...MFA_SELF_SERVICE_ACTIONS],
      Resource: '*',
      Condition: { BoolIfExists: { 'aws:MultiFactorAuthPresent': 'false' } },
    });
  });

  it('allows without MFA no action that the guard would deny', () => {
    const allowedUnconditionally = statements
      .filter((statement) => statement.Effect === 'Allow' && statement.Condition === undefined)
      .flatMap((statement) => [statement.Action ?? []].flat());

    expect(
      allowedUnconditionally.filter((action) => !(MFA_SELF_SERVICE_ACTIONS as readonly string[]).includes(action)),
    ).toEqual([]);
  });

  it('outputs the generated group name', () => {
    template.hasOutput('DevelopersGroupName', { Value: { Ref: groupId } });
  });

  describe('evaluated for member alice by an IAM policy simulator', () => {
    /** What an administrator might attach for the job; the group's guard must still apply. */
    const workPolicy = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: ['s3:GetObject', 'dynamodb:GetItem'], Resource: '*' }],
    };

    async function decide(action: string, resource: string, mfa: 'true' | 'false' | 'absent'): Promise<string> {
      const document = concrete(template.findResources('AWS::IAM::Policy')) as Record<
        string,
        { Properties: { PolicyDocument: unknown } }
      >;
      const response = await runSimulation(
        {
          request: {
            principal: `arn:aws:iam::${ACCOUNT}:user/alice`,
            action,
            resource: { resource, accountId: ACCOUNT },
            contextVariables: {
              'aws:username': 'alice',
              ...(mfa === 'absent' ? {} : { 'aws:MultiFactorAuthPresent': mfa }),
            },
          },
          identityPolicies: [
            ...Object.entries(document).map(([name, resource]) => ({
              name,
              policy: resource.Properties.PolicyDocument,
            })),
            { name: 'work', policy: workPolicy },
          ],
          serviceControlPolicies: [],
          resourceControlPolicies: [],
        },
        {},
      );
      if (response.resultType === 'error')
        throw new Error(`Cannot simulate ${action}: ${JSON.stringify(response.errors)}`);
      return response.overallResult;
    }

    const user = (name: string): string => `arn:aws:iam::${ACCOUNT}:user/${name}`;
    const mfaDevice = (name: string): string => `arn:aws:iam::${ACCOUNT}:mfa/${name}`;
    const DERIVED_OBJECT = 'arn:aws:s3:::media-bucket/derived/a.jpg';
    type Mfa = 'true' | 'false' | 'absent';

    it.each<[string, string, string, Mfa]>([
      ['changing her own password before MFA', 'iam:ChangePassword', user('alice'), 'false'],
      [
        'creating the virtual MFA device named alice before MFA',
        'iam:CreateVirtualMFADevice',
        mfaDevice('alice'),
        'false',
      ],
      ['work permissions granted elsewhere to apply once signed in with MFA', 's3:GetObject', DERIVED_OBJECT, 'true'],
    ])('allows %s', async (_case, action, resource, mfa) => {
      await expect(decide(action, resource, mfa)).resolves.toBe('Allowed');
    });

    it.each<[string, string, string, Mfa]>([
      ["changing bob's password", 'iam:ChangePassword', user('bob'), 'true'],
      ['creating a virtual MFA device under another name', 'iam:CreateVirtualMFADevice', mfaDevice('bob'), 'true'],
    ])('denies %s', async (_case, action, resource, mfa) => {
      await expect(decide(action, resource, mfa)).resolves.not.toBe('Allowed');
    });

    it.each<[string, string, string, Mfa]>([
      ['deactivating her MFA device without MFA', 'iam:DeactivateMFADevice', user('alice'), 'false'],
      ['work permissions granted elsewhere while MFA is false', 's3:GetObject', DERIVED_OBJECT, 'false'],
      ['work permissions to long-term keys, which carry no MFA key', 's3:GetObject', DERIVED_OBJECT, 'absent'],
    ])('explicitly denies %s', async (_case, action, resource, mfa) => {
      await expect(decide(action, resource, mfa)).resolves.toBe('ExplicitlyDenied');
    });
  });
});

describe('CI deploy stack (githubDeploy)', () => {
  const github = { repository: 'acme/travel-guide', branch: 'main' };
  let template: Template;
  let roleId: string;
  let providerId: string;

  beforeAll(() => {
    const { built } = build(stageConfig('dev', { githubDeploy: github }));
    const stack = required(built.ciDeploy, 'The CI deploy stack');
    template = Template.fromStack(stack);
    roleId = logicalId(stack.deployRole);
    providerId = logicalId(stack.provider);
  });

  it('creates the GitHub OIDC provider natively, for the STS audience, without a custom resource', () => {
    template.resourceCountIs('AWS::IAM::OIDCProvider', 1);
    template.hasResourceProperties('AWS::IAM::OIDCProvider', {
      Url: 'https://token.actions.githubusercontent.com',
      ClientIdList: ['sts.amazonaws.com'],
    });
    template.resourceCountIs('AWS::Lambda::Function', 0);
  });

  it('trusts only web identities of the provider whose token is for STS and names the repository and branch exactly', () => {
    const role = template.toJSON().Resources[roleId] as {
      Properties: { AssumeRolePolicyDocument: { Statement: unknown[] } };
    };

    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      {
        Effect: 'Allow',
        Principal: { Federated: { Ref: providerId } },
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: {
          StringEquals: {
            'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com',
            'token.actions.githubusercontent.com:sub': 'repo:acme/travel-guide:ref:refs/heads/main',
          },
        },
      },
    ]);
  });

  it('limits sessions to one hour', () => {
    template.hasResourceProperties('AWS::IAM::Role', { MaxSessionDuration: 3600 });
  });

  it('may only assume the four CDK bootstrap roles of its own account and region', () => {
    const statements = concrete(policyStatements(template, 'AWS::IAM::Policy'));

    expect(statements).toEqual([
      {
        Sid: 'AssumeCdkBootstrapRoles',
        Effect: 'Allow',
        Action: 'sts:AssumeRole',
        Resource: ['deploy', 'file-publishing', 'image-publishing', 'lookup'].map(
          (kind) => `arn:aws:iam::${ACCOUNT}:role/cdk-hnb659fds-${kind}-role-${ACCOUNT}-${REGION}`,
        ),
      },
    ]);
    template.hasResourceProperties('AWS::IAM::Policy', { Roles: [{ Ref: roleId }] });
  });

  it('has no inline or managed policy besides the bootstrap statement', () => {
    template.hasResourceProperties('AWS::IAM::Role', { Policies: Match.absent(), ManagedPolicyArns: Match.absent() });
  });

  it('names the bootstrap roles with the configured qualifier', () => {
    const { built } = build(stageConfig('dev', { githubDeploy: github, bootstrapQualifier: 'tg2026' }));
    const statements = concrete(
      policyStatements(Template.fromStack(required(built.ciDeploy, 'CI stack')), 'AWS::IAM::Policy'),
    ) as Statement[];

    expect(statements[0]?.Resource).toContain(
      `arn:aws:iam::${ACCOUNT}:role/cdk-tg2026-deploy-role-${ACCOUNT}-${REGION}`,
    );
  });

  it('imports an existing provider instead of creating a second one', () => {
    const arn = `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`;
    const { built } = build(stageConfig('dev', { githubDeploy: { ...github, oidcProviderArn: arn } }));
    const imported = Template.fromStack(required(built.ciDeploy, 'CI stack'));

    imported.resourceCountIs('AWS::IAM::OIDCProvider', 0);
    imported.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Federated: arn } })] },
    });
  });

  it('outputs the role ARN for the workflow', () => {
    template.hasOutput('DeployRoleArn', { Value: { 'Fn::GetAtt': [roleId, 'Arn'] } });
  });
});

describe('governance of the optional stacks', () => {
  const config = stageConfig('dev', {
    withDeveloperAccess: true,
    githubDeploy: { repository: 'acme/travel-guide', branch: 'main' },
  });
  let built: TravelGuideApp;
  let app: App;

  beforeAll(() => {
    ({ app, built } = build(config));
  });

  it.each(['TravelGuide-DeveloperAccess', 'TravelGuide-CiDeploy'])(
    'tags the %s stack with Service and Environment',
    (name) => {
      const stack = required(
        [built.developerAccess, built.ciDeploy].find((candidate) => candidate?.stackName === name),
        name,
      );
      // Tags are applied by an aspect, which runs when the stack is synthesized.
      Template.fromStack(stack);

      expect(stack.tags.tagValues()).toEqual({ Service: 'travel-guide', Environment: 'dev' });
    },
  );

  // IAM groups and inline policies take no tags in CloudFormation; the role and provider do.
  it.each(['AWS::IAM::Role', 'AWS::IAM::OIDCProvider'])(
    "tags the CI stack's %s with Service, Environment and its component",
    (type) => {
      const resources = Object.values(
        Template.fromStack(required(built.ciDeploy, 'CI stack')).findResources(type),
      ) as Array<{
        Properties: { Tags?: Array<{ Key: string; Value: string }> };
      }>;

      expect(resources).toHaveLength(1);
      expect(resources[0]?.Properties.Tags).toEqual([
        { Key: 'Component', Value: 'Shared' },
        { Key: 'Environment', Value: 'dev' },
        { Key: 'Service', Value: 'travel-guide' },
      ]);
    },
  );

  it('synthesizes with cdk-nag reporting no finding', () => {
    const assembly = app.synth();
    const report = JSON.parse(readFileSync(path.join(assembly.directory, 'validation-report.json'), 'utf8')) as {
      pluginReports: unknown[];
    };

    expect(report.pluginReports).toEqual([]);
  });
});
