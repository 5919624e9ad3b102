import type { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildApp } from '../../infra/build-app';
import { COMPONENT_TAG, COMPONENTS, type Component } from '../../infra/components';
import { stageConfig } from '../../infra/config';
import { logicalId, testApp } from './support';

/**
 * The Component tag: every taggable resource of every stack carries exactly one of the
 * components, besides Service and Environment, and each construct the one it belongs to.
 */

type Resources = Record<
  string,
  { Type: string; Properties?: { Tags?: { Key: string; Value: string }[]; UserPoolTags?: Record<string, string> } }
>;

const app = testApp();
const built = buildApp(app, {
  ...stageConfig('dev'),
  withAccessAnalyzer: true,
  withDeveloperAccess: true,
  githubDeploy: { repository: 'acme/travel-guide', branch: 'main' },
});
const stacks: Stack[] = [built.travelGuide, built.account, built.developerAccess, built.ciDeploy].flatMap((stack) =>
  stack === undefined ? [] : [stack],
);
const resourcesOf = new Map(stacks.map((stack) => [stack, Template.fromStack(stack).toJSON().Resources as Resources]));

function tagsOf(stack: Stack, id: string): Map<string, string> {
  const resource = resourcesOf.get(stack)?.[id];
  if (resource === undefined) throw new Error(`no resource ${id} in ${stack.stackName}`);
  // Cognito user pools take their tags as a map in UserPoolTags.
  return new Map([
    ...(resource.Properties?.Tags ?? []).map((tag) => [tag.Key, tag.Value] as const),
    ...Object.entries(resource.Properties?.UserPoolTags ?? {}),
  ]);
}

/**
 * Types CloudFormation tags, which CDK can still synthesize without a Tags property (a plain
 * CfnResource, such as the role and function of CDK's auto-delete provider, is out of the tag
 * aspects' reach): one of these without tags is a finding, not a resource to skip.
 */
const ALWAYS_TAGGABLE: ReadonlySet<string> = new Set([
  'AWS::IAM::Role',
  'AWS::Lambda::Function',
  'AWS::S3::Bucket',
  'AWS::DynamoDB::Table',
  'AWS::SQS::Queue',
  'AWS::SNS::Topic',
  'AWS::Logs::LogGroup',
  'AWS::StepFunctions::StateMachine',
]);

describe('Component tag', () => {
  // The developer access stack holds only a group and its policy, which CloudFormation cannot tag.
  it.each(stacks.filter((stack) => stack !== built.developerAccess).map((stack) => [stack.stackName, stack] as const))(
    'tags every taggable resource of %s with one component, Service and Environment',
    (_name, stack) => {
      // Arrange
      const taggable = Object.entries(resourcesOf.get(stack) ?? {}).filter(
        ([, resource]) =>
          Array.isArray(resource.Properties?.Tags) ||
          resource.Properties?.UserPoolTags !== undefined ||
          ALWAYS_TAGGABLE.has(resource.Type),
      );

      // Act
      const wrong = taggable
        .map(([id]) => [id, tagsOf(stack, id)] as const)
        .filter(
          ([, tags]) =>
            !(COMPONENTS as readonly string[]).includes(tags.get(COMPONENT_TAG) ?? '') ||
            tags.get('Service') !== 'travel-guide' ||
            // The account stack is shared by every stage.
            tags.get('Environment') !== (stack === built.account ? 'account' : 'dev'),
        )
        .map(([id, tags]) => `${id}: ${JSON.stringify(Object.fromEntries(tags))}`);

      // Assert
      expect(taggable.length).toBeGreaterThan(0);
      expect(wrong).toEqual([]);
    },
  );

  it('puts each part of the stage in its component', () => {
    // Arrange
    const stage = built.travelGuide;
    const expected: [string, unknown, Component][] = [
      ['articles function', stage.api.articles.fn.function, 'ArticleService'],
      ['articles role', stage.api.articles.fn.role, 'ArticleService'],
      ['articles table', stage.api.articles.table, 'ArticleService'],
      ['page-token secret', stage.api.articles.pageTokenSecret, 'ArticleService'],
      ['media function', stage.api.media.fn.function, 'MediaService'],
      ['media log group', stage.api.media.fn.logGroup, 'MediaService'],
      ['upload-quota table', stage.api.media.uploadQuotaTable, 'MediaService'],
      ['media bucket', stage.media.bucket, 'MediaService'],
      ['media table', stage.mediaTable.table, 'MediaService'],
      ['thumbnail function', stage.pipeline.thumbnail.function, 'MediaPipeline'],
      ['record role', stage.pipeline.record.role, 'MediaPipeline'],
      ['state machine', stage.pipeline.stateMachine, 'MediaPipeline'],
      ['dead-letter queue', stage.pipeline.deadLetterQueue, 'MediaPipeline'],
      ['alarm topic', stage.observability.alarmTopic, 'MediaPipeline'],
      ['REST API', stage.api.gateway.restApi, 'Shared'],
      ['user pool', stage.api.users.userPool, 'Shared'],
    ];

    // Act
    const actual = expected.map(([what, construct]) => [
      what,
      tagsOf(stage, logicalId(construct as never)).get(COMPONENT_TAG),
    ]);
    // CDK's auto-delete provider (dev) empties the media buckets on stack delete: it is theirs.
    const providerResources = Object.entries(resourcesOf.get(stage) ?? {})
      .filter(([id]) => id.startsWith('CustomS3AutoDeleteObjectsCustomResourceProvider'))
      .map(([id, resource]) => [`auto-delete provider ${resource.Type}`, tagsOf(stage, id).get(COMPONENT_TAG)]);
    expect(providerResources.map(([what]) => what).sort()).toEqual([
      'auto-delete provider AWS::IAM::Role',
      'auto-delete provider AWS::Lambda::Function',
    ]);
    actual.push(...providerResources);
    expected.push(
      ...providerResources.map(([what]) => [what as string, undefined, 'MediaService'] as [string, unknown, Component]),
    );
    actual.push([
      'access analyzer',
      tagsOf(built.account, logicalId(built.account.accessAnalyzer as never)).get(COMPONENT_TAG),
    ]);
    expected.push(['access analyzer', built.account.accessAnalyzer, 'Shared']);

    // Assert
    expect(actual).toEqual(expected.map(([what, , component]) => [what, component]));
  });

  it('leaves the stack tags to Service and Environment', () => {
    // Act
    const tags = stacks.map((stack) => stack.tags.tagValues());

    // Assert
    expect(tags).toEqual(
      stacks.map((stack) => ({ Service: 'travel-guide', Environment: stack === built.account ? 'account' : 'dev' })),
    );
  });
});
