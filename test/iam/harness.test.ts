/**
 * The permission tests are only as good as their plumbing: these tests run it against a small
 * hand-written template (fixtures/too-wide.template.json) whose thumbnail role is deliberately
 * too wide, and against a CI role and a group that are wrong in the ways that matter, and show
 * that every check notices.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { UNREVIEWED, renderPermissionsDoc, unreviewedPairs } from '../../scripts/permissions-doc';
import { CfnResolver, type CfnTemplate, type StackTemplate } from './support/cfn-resolver';
import {
  diffSets,
  lambdaPermissionFindings,
  managedPolicyFindings,
  readablePairs,
  trustFindings,
  wildcardFindings,
} from './support/checks';
import { collectGroups } from './support/groups';
import { identifyRoles } from './support/project-roles';
import { collectRoles, ResourceNames, type RoleView } from './support/roles';
import { simulate } from './support/simulate';

const FIXTURE: StackTemplate[] = [
  {
    stackName: 'Fixture',
    template: JSON.parse(
      readFileSync(path.join(__dirname, 'fixtures', 'too-wide.template.json'), 'utf8'),
    ) as CfnTemplate,
  },
];
const resolver = new CfnResolver(FIXTURE);
const names = new ResourceNames(resolver);

function thumbnailRole(): RoleView {
  const role = collectRoles(resolver).find((candidate) => candidate.name === 'ThumbnailRole');
  if (role === undefined) throw new Error('fixture has no ThumbnailRole');
  return role;
}

/**
 * A CI role whose trust takes any ref of the repository (StringLike, no audience), and a group
 * policy that is also attached to that role, with an action no reason was written for.
 */
const OPTIONAL_FIXTURE: StackTemplate[] = [
  {
    stackName: 'Optional',
    template: {
      Resources: {
        GitHubOidcProvider7EBF861F: {
          Type: 'AWS::IAM::OIDCProvider',
          Properties: { Url: 'https://token.actions.githubusercontent.com', ClientIdList: ['sts.amazonaws.com'] },
        },
        DeployRole885297C3: {
          Type: 'AWS::IAM::Role',
          Properties: {
            AssumeRolePolicyDocument: {
              Statement: [
                {
                  Effect: 'Allow',
                  Action: 'sts:AssumeRoleWithWebIdentity',
                  Principal: { Federated: { Ref: 'GitHubOidcProvider7EBF861F' } },
                  Condition: { StringLike: { 'token.actions.githubusercontent.com:sub': 'repo:acme/travel-guide:*' } },
                },
              ],
            },
          },
        },
        Developers95C0CB5E: { Type: 'AWS::IAM::Group' },
        GuardPolicy0A1B2C3D: {
          Type: 'AWS::IAM::Policy',
          Properties: {
            PolicyName: 'guard',
            Groups: [{ Ref: 'Developers95C0CB5E' }],
            Roles: [{ Ref: 'DeployRole885297C3' }],
            PolicyDocument: { Statement: [{ Effect: 'Allow', Action: 'iam:CreateAccessKey', Resource: '*' }] },
          },
        },
      },
    },
  },
];
const optionalResolver = new CfnResolver(OPTIONAL_FIXTURE);
const GITHUB_PROVIDER_ARN = 'arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com';
const EXACT_GITHUB_TRUST = {
  federated: GITHUB_PROVIDER_ARN,
  action: 'sts:AssumeRoleWithWebIdentity',
  condition: {
    StringEquals: {
      'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com',
      'token.actions.githubusercontent.com:sub': 'repo:acme/travel-guide:ref:refs/heads/main',
    },
  },
} as const;

function deployRole(): RoleView {
  const role = identifyRoles(optionalResolver).project.ciDeploy;
  if (role === undefined) throw new Error('fixture has no role trusted by the GitHub OIDC provider');
  return role;
}

describe('CloudFormation resolver', () => {
  it('resolves Fn::Sub with pseudo parameters and a resource attribute into a concrete ARN', () => {
    // Act
    const arn = resolver.resolveString(
      { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::${MediaBucket4022EBBF}/x/${AWS::Region}/${AWS::AccountId}' },
      'Fixture',
    );

    // Assert
    expect(arn).toBe('arn:aws:s3:::MediaBucket/x/eu-west-1/123456789012');
  });

  it('resolves a log group ARN through its Fn::Join name and the function it names', () => {
    // Act
    const arn = resolver.resolveString({ 'Fn::GetAtt': ['ThumbnailLogGroup8DB7EAD9', 'Arn'] }, 'Fixture');

    // Assert
    expect(arn).toBe('arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/ThumbnailFunction:*');
  });

  it('resolves a Ref to an OIDC provider into the ARN IAM names it by, its issuer without the scheme', () => {
    // Act
    const arn = optionalResolver.resolveString({ Ref: 'GitHubOidcProvider7EBF861F' }, 'Optional');

    // Assert
    expect(arn).toBe(GITHUB_PROVIDER_ARN);
  });

  it('fails loudly on an intrinsic it does not handle', () => {
    // Act
    const resolve = () => resolver.resolveDeep({ 'Fn::If': ['IsProd', 'a', 'b'] }, 'Fixture');

    // Assert
    expect(resolve).toThrow(/Intrinsic not handled/);
  });

  it('fails loudly on an attribute it does not handle', () => {
    // Act
    const resolve = () => resolver.resolveDeep({ 'Fn::GetAtt': ['MediaTable1D549DC8', 'StreamArn'] }, 'Fixture');

    // Assert
    expect(resolve).toThrow(/StreamArn/);
  });
});

describe('role collection', () => {
  it('merges inline policies, attached AWS::IAM::Policy and customer managed policies into one role', () => {
    // Act
    const sources = thumbnailRole().policies.map((policy) => policy.source);

    // Assert
    expect(sources).toEqual(['inline:uploads', 'policy:ThumbnailRoleDefaultPolicy', 'managed:WriteMediaPolicy']);
  });

  it('keeps AWS managed policy ARNs apart, since their contents are unknown offline', () => {
    // Act
    const external = thumbnailRole().externalManagedPolicyArns;

    // Assert
    expect(external).toEqual(['arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole']);
  });

  it('renders allowed pairs with readable resource names', () => {
    // Act
    const pairs = readablePairs(thumbnailRole(), names);

    // Assert
    expect(pairs).toContain('s3:DeleteObject bucket:MediaBucket/uploads/*');
    expect(pairs).toContain('dynamodb:PutItem table:MediaTable');
    expect(pairs).toContain('logs:PutLogEvents logGroup:ThumbnailLogGroup:*');
  });

  it('maps readable names back to the ARNs the simulator sees', () => {
    // Act
    const arn = names.arn('logGroup:ThumbnailLogGroup:log-stream:abc');

    // Assert
    expect(arn).toBe('arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/ThumbnailFunction:log-stream:abc');
  });
});

describe('optional roles and groups', () => {
  it('finds the CI deploy role by the GitHub OIDC provider its trust names, whatever its construct name', () => {
    // Act
    const role = deployRole();

    // Assert
    expect(role.name).toBe('DeployRole');
  });

  it('reads a policy attached to a group and to a role as attached to both', () => {
    // Act
    const [developers] = collectGroups(optionalResolver);

    // Assert
    expect(developers?.policies.map((policy) => policy.alsoAttachedTo)).toEqual([['role:DeployRole']]);
    expect(deployRole().policies.map((policy) => policy.source)).toEqual(['policy:GuardPolicy']);
  });

  it('lists a group action without a written reason as unreviewed', () => {
    // Act
    const unreviewed = unreviewedPairs(OPTIONAL_FIXTURE);

    // Assert
    expect(unreviewed).toContain('group:Developers iam:CreateAccessKey');
  });
});

describe('simulation', () => {
  it('allows what a statement grants', async () => {
    // Act
    const decision = await simulate(thumbnailRole(), 's3:GetObject', names.arn('bucket:MediaBucket/uploads/o/m'));

    // Assert
    expect(decision).toBe('Allowed');
  });

  it('denies what no statement grants', async () => {
    // Act
    const decision = await simulate(thumbnailRole(), 'rekognition:DetectLabels', '*');

    // Assert
    expect(decision).toBe('ImplicitlyDenied');
  });

  it('refuses a request the simulator cannot validate instead of calling it denied', async () => {
    // Act
    const run = simulate(thumbnailRole(), 's3:NoSuchAction', names.arn('bucket:MediaBucket/uploads/o/m'));

    // Assert
    await expect(run).rejects.toThrow(/Cannot simulate/);
  });
});

describe('checks catch a role that is too wide', () => {
  it('flags wildcard actions and Resource "*" on actions that have resource types', () => {
    // Act
    const findings = wildcardFindings(thumbnailRole());

    // Assert
    expect(findings).toEqual([
      'ThumbnailRole (policy:ThumbnailRoleDefaultPolicy): wildcard action s3:GetObject*',
      'ThumbnailRole (policy:ThumbnailRoleDefaultPolicy): wildcard action s3:List*',
      'ThumbnailRole (policy:ThumbnailRoleDefaultPolicy): dynamodb:Query on Resource "*"',
    ]);
  });

  it('flags an AWS managed policy that is not approved', () => {
    // Act
    const findings = managedPolicyFindings(thumbnailRole(), new Set());

    // Assert
    expect(findings).toHaveLength(1);
  });

  it('flags a trust policy that lets more than the one service assume the role', () => {
    // Act
    const findings = trustFindings(thumbnailRole(), 'lambda.amazonaws.com');

    // Assert
    expect(findings).toHaveLength(1);
  });

  it('flags a web identity trust that matches the subject with a pattern and checks no audience', () => {
    // Act
    const findings = trustFindings(deployRole(), EXACT_GITHUB_TRUST);

    // Assert
    expect(findings).toHaveLength(1);
  });

  it('accepts a web identity trust with exactly the expected provider, action and condition, in any key order', () => {
    // Arrange: the fixture role with the trust the CI stack is meant to have, keys written in another order.
    const exact: RoleView = {
      ...deployRole(),
      trust: {
        Statement: [
          {
            Condition: {
              StringEquals: {
                'token.actions.githubusercontent.com:sub': 'repo:acme/travel-guide:ref:refs/heads/main',
                'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com',
              },
            },
            Principal: { Federated: GITHUB_PROVIDER_ARN },
            Action: 'sts:AssumeRoleWithWebIdentity',
            Effect: 'Allow',
          },
        ],
      },
    };

    // Act
    const findings = trustFindings(exact, EXACT_GITHUB_TRUST);

    // Assert
    expect(findings).toEqual([]);
  });

  it('flags a federated role checked as a service role', () => {
    // Act
    const findings = trustFindings(deployRole(), 'lambda.amazonaws.com');

    // Assert
    expect(findings).toHaveLength(1);
  });

  it('flags invoke permissions without SourceArn, with any stage, or without an account', () => {
    // Act
    const findings = lambdaPermissionFindings(resolver);

    // Assert
    expect(findings).toEqual([
      'ThumbnailOpenPermission: apigateway.amazonaws.com may invoke without a SourceArn',
      'ThumbnailAnyStagePermission: SourceArn arn:aws:execute-api:eu-west-1:123456789012:abc123/*/*/articles is not scoped to one API, stage and method',
      'ThumbnailBucketPermission: SourceArn arn:aws:s3:::MediaBucket names no account and there is no SourceAccount',
    ]);
  });

  it('reports a widening and a lost permission against the approved set', () => {
    // Act
    const diff = diffSets(
      ['s3:GetObject b/uploads/*', 's3:DeleteObject b/uploads/*'],
      ['s3:GetObject b/uploads/*', 's3:PutObject b/derived/*'],
    );

    // Assert
    expect(diff).toEqual({ extra: ['s3:DeleteObject b/uploads/*'], missing: ['s3:PutObject b/derived/*'] });
  });

  it('renders an action without a written reason as UNREVIEWED in the permissions document', () => {
    // Act
    const doc = renderPermissionsDoc(FIXTURE);

    // Assert
    expect(doc).toContain(`| \`s3:DeleteObject\` | \`bucket:MediaBucket/uploads/*\` | ${UNREVIEWED} |`);
  });

  it('names what exercised each grant in the recorded usage, "AWS only" for log delivery, and "nothing" for the rest', () => {
    // Act
    const doc = renderPermissionsDoc(FIXTURE, {
      'thumbnail s3:GetObject bucket:MediaBucket/uploads/*': ['CreateThumbnails', 'RedriveCheck'],
    });
    const row = (action: string, resource: string): string | undefined =>
      doc.split('\n').find((line) => line.startsWith(`| \`${action}\` | \`${resource}`));

    // Assert
    expect(doc).toContain('| Action | Resource | Why | Exercised by |');
    expect(row('s3:GetObject', 'bucket:MediaBucket/uploads/*')).toMatch(/\| `CreateThumbnails`, `RedriveCheck` \|$/);
    expect(row('logs:PutLogEvents', 'logGroup:ThumbnailLogGroup')).toMatch(/\| AWS only: Lambda itself [^|]+ \|$/);
    expect(row('s3:DeleteObject', 'bucket:MediaBucket/uploads/*')).toMatch(/\| nothing \|$/);
  });

  it('leaves the Exercised by column out when no usage was recorded for a role', () => {
    const doc = renderPermissionsDoc(FIXTURE, {});

    expect(doc).not.toContain('Exercised by |');
  });
});
