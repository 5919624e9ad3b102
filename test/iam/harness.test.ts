/**
 * The permission tests are only as good as their plumbing: these tests run it against a small
 * hand-written template (fixtures/too-wide.template.json) whose thumbnail role is deliberately
 * too wide, and show that every check notices.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { UNREVIEWED, renderPermissionsDoc } from '../../scripts/permissions-doc';
import { CfnResolver, type CfnTemplate, type StackTemplate } from './support/cfn-resolver';
import {
  diffSets,
  lambdaPermissionFindings,
  managedPolicyFindings,
  readablePairs,
  trustFindings,
  wildcardFindings,
} from './support/checks';
import { collectRoles, ResourceNames, type RoleView } from './support/roles';
import { simulate } from './support/simulate';

const FIXTURE: StackTemplate[] = [
  {
    stackName: 'Fixture',
    template: JSON.parse(readFileSync(path.join(__dirname, 'fixtures', 'too-wide.template.json'), 'utf8')) as CfnTemplate,
  },
];
const resolver = new CfnResolver(FIXTURE);
const names = new ResourceNames(resolver);

function thumbnailRole(): RoleView {
  const role = collectRoles(resolver).find((candidate) => candidate.name === 'ThumbnailRole');
  if (role === undefined) throw new Error('fixture has no ThumbnailRole');
  return role;
}

describe('CloudFormation resolver', () => {
  it('resolves Fn::Sub with pseudo parameters and a resource attribute into a concrete ARN', () => {
    // Act
    const arn = resolver.resolveString({ 'Fn::Sub': 'arn:${AWS::Partition}:s3:::${MediaBucket4022EBBF}/x/${AWS::Region}/${AWS::AccountId}' }, 'Fixture');

    // Assert
    expect(arn).toBe('arn:aws:s3:::MediaBucket/x/eu-west-1/123456789012');
  });

  it('resolves a log group ARN through its Fn::Join name and the function it names', () => {
    // Act
    const arn = resolver.resolveString({ 'Fn::GetAtt': ['ThumbnailLogGroup8DB7EAD9', 'Arn'] }, 'Fixture');

    // Assert
    expect(arn).toBe('arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/ThumbnailFunction:*');
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
    const diff = diffSets(['s3:GetObject b/uploads/*', 's3:DeleteObject b/uploads/*'], ['s3:GetObject b/uploads/*', 's3:PutObject b/derived/*']);

    // Assert
    expect(diff).toEqual({ extra: ['s3:DeleteObject b/uploads/*'], missing: ['s3:PutObject b/derived/*'] });
  });

  it('renders an action without a written reason as UNREVIEWED in the permissions document', () => {
    // Act
    const doc = renderPermissionsDoc(FIXTURE);

    // Assert
    expect(doc).toContain(`| \`s3:DeleteObject\` | \`bucket:MediaBucket/uploads/*\` | ${UNREVIEWED} |`);
  });
});
