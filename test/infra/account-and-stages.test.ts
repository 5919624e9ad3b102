import { Template } from 'aws-cdk-lib/assertions';
import { buildApp, type TravelGuideApp } from '../../infra/build-app';
import { stageConfig, type AppConfig, type Stage } from '../../infra/config';
import { testApp } from './support';

/*
 * A deploy that works on a fresh account, and stages that share an account without sharing
 * metrics: the account-wide singletons live in their own stack, and every metric a stage's alarms
 * and dashboard select is that stage's own.
 */

function build(config: AppConfig): { built: TravelGuideApp; stage: Template; account: Template } {
  const app = testApp();
  const built = buildApp(app, config);
  return { built, stage: Template.fromStack(built.travelGuide), account: Template.fromStack(built.account) };
}

type Resources = Record<
  string,
  { Type: string; Properties?: Record<string, unknown>; DeletionPolicy?: string; UpdateReplacePolicy?: string }
>;
const resourcesOf = (template: Template): Resources => template.toJSON().Resources as Resources;
const ofType = (template: Template, type: string) =>
  Object.entries(resourcesOf(template)).filter(([, r]) => r.Type === type);

const stages: Record<Stage, ReturnType<typeof build>> = {} as Record<Stage, ReturnType<typeof build>>;
beforeAll(() => {
  stages.dev = build(stageConfig('dev'));
  stages.prod = build(stageConfig('prod'));
});

describe('account stack', () => {
  it.each(['dev', 'prod'] as const)(
    'holds the only API Gateway account setting and Access Analyzer; the %s stage stack holds neither',
    (stage) => {
      const { stage: stageTemplate, account } = stages[stage];
      const singletons = ['AWS::ApiGateway::Account', 'AWS::AccessAnalyzer::Analyzer'];

      for (const type of singletons) {
        expect(ofType(stageTemplate, type)).toEqual([]);
        expect(ofType(account, type)).toHaveLength(1);
      }
    },
  );

  it('is the same stack, with the same content, whichever stage is synthesized', () => {
    expect(stages.dev.built.account.stackName).toBe('TravelGuide-Account');
    expect(stages.prod.built.account.stackName).toBe('TravelGuide-Account');
    expect(stages.dev.account.toJSON()).toEqual(stages.prod.account.toJSON());
  });

  it("sets API Gateway's CloudWatch role from a role only API Gateway may assume, and retains everything on delete", () => {
    const { account } = stages.dev;
    const [[roleId, role] = []] = ofType(account, 'AWS::IAM::Role');
    const policies = ofType(account, 'AWS::IAM::Policy');
    const [[, setting] = []] = ofType(account, 'AWS::ApiGateway::Account');

    expect(setting?.Properties?.CloudWatchRoleArn).toEqual({ 'Fn::GetAtt': [roleId, 'Arn'] });
    expect(role?.Properties?.AssumeRolePolicyDocument).toMatchObject({
      Statement: [
        {
          Action: 'sts:AssumeRole',
          Effect: 'Allow',
          Principal: { Service: 'apigateway.amazonaws.com' },
          Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
        },
      ],
    });
    expect(role?.Properties?.ManagedPolicyArns).toBeUndefined();
    expect(policies).toHaveLength(1);
    for (const [id, resource] of Object.entries(resourcesOf(account))) {
      expect([id, resource.DeletionPolicy, resource.UpdateReplacePolicy]).toEqual([id, 'Retain', 'Retain']);
    }
  });

  it('applies the API Gateway account setting only once its role and the role policy exist', () => {
    // API Gateway checks the role's permissions when the setting is applied; a reference to the
    // role's ARN alone would let CloudFormation create the setting and the policy at the same time.
    const { account } = stages.dev;
    const [[policyId] = []] = ofType(account, 'AWS::IAM::Policy');
    const [[roleId] = []] = ofType(account, 'AWS::IAM::Role');
    const [[, setting] = []] = ofType(account, 'AWS::ApiGateway::Account');

    expect(policyId).toBeDefined();
    expect((setting as { DependsOn?: string[] } | undefined)?.DependsOn).toEqual(
      expect.arrayContaining([policyId, roleId]),
    );
  });

  it('leaves out what the account already has when told so', () => {
    const { account } = build(stageConfig('dev', { apiGatewayCloudWatchRole: false, withAccessAnalyzer: false }));

    // The CDK CLI skips a stack without resources (or, once deployed, deletes it: all retained).
    expect(Object.keys(resourcesOf(account) ?? {})).toEqual([]);
  });

  it('is deployed before a stage stack (the stage depends on it)', () => {
    const { built } = stages.dev;

    expect(built.travelGuide.dependencies.map((stack) => stack.stackName)).toContain('TravelGuide-Account');
  });

  it('is tagged Environment=account, so deploying another stage does not update it', () => {
    const [[, role] = []] = ofType(stages.prod.account, 'AWS::IAM::Role');

    expect(role?.Properties?.Tags).toEqual(expect.arrayContaining([{ Key: 'Environment', Value: 'account' }]));
  });
});

/** Every dimension value (as a string) of every alarm of a stage, and the dashboard body. */
function metricSelectors(template: Template): { dimensions: string[]; dashboard: string } {
  const dimensions = ofType(template, 'AWS::CloudWatch::Alarm').flatMap(([, alarm]) => {
    const own = (alarm.Properties?.Dimensions as Array<{ Name: string; Value: unknown }> | undefined) ?? [];
    const math = (
      (alarm.Properties?.Metrics as
        Array<{ MetricStat?: { Metric: { Dimensions?: Array<{ Name: string; Value: unknown }> } } }> | undefined) ?? []
    ).flatMap((query) => query.MetricStat?.Metric.Dimensions ?? []);
    return [...own, ...math].map((dimension) => `${dimension.Name}=${JSON.stringify(dimension.Value)}`);
  });
  const [[, dashboard] = []] = ofType(template, 'AWS::CloudWatch::Dashboard');
  return { dimensions, dashboard: JSON.stringify(dashboard?.Properties?.DashboardBody) };
}

describe('stages in one account', () => {
  it('name their REST APIs after their stacks, and alarm on their own API name', () => {
    const names = (['dev', 'prod'] as const).map((stage) => {
      const [[, api] = []] = ofType(stages[stage].stage, 'AWS::ApiGateway::RestApi');
      return api?.Properties?.Name;
    });

    expect(names).toEqual(['TravelGuide-dev-api', 'TravelGuide-prod-api']);
    expect(metricSelectors(stages.dev.stage).dimensions).toContain('ApiName="TravelGuide-dev-api"');
    expect(metricSelectors(stages.prod.stage).dimensions).toContain('ApiName="TravelGuide-prod-api"');
    expect(metricSelectors(stages.prod.stage).dashboard).toContain('TravelGuide-prod-api');
    expect(metricSelectors(stages.prod.stage).dashboard).not.toContain('TravelGuide-dev-api');
  });

  it('share no literal metric dimension value except the account-wide Rekognition operations', () => {
    const literals = (stage: Stage): Set<string> =>
      new Set(metricSelectors(stages[stage].stage).dimensions.filter((dimension) => /^[^=]+="/.test(dimension)));
    const dev = literals('dev');

    const shared = [...literals('prod')].filter((dimension) => dev.has(dimension));

    // Rekognition publishes ThrottledCount per account and operation only: no stage can select its own.
    expect(shared.sort()).toEqual(['Operation="DetectLabels"', 'Operation="DetectModerationLabels"']);
  });

  it("select the pipeline's own metrics by a service name that carries the stage", () => {
    for (const stage of ['dev', 'prod'] as const) {
      const { dashboard } = metricSelectors(stages[stage].stage);
      expect(dashboard).toContain(`travel-guide-${stage}-media-pipeline`);
      expect(dashboard).not.toMatch(/"travel-guide-media-pipeline"/);
    }
  });
});
