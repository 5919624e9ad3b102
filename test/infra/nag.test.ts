import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { buildApp } from '../../infra/build-app';
import { type AppConfig, type Stage, stageConfig } from '../../infra/config';
import { testApp } from './support';

interface NagResult {
  /** Findings left unacknowledged, as "rule at construct path". */
  readonly findings: string[];
  /** Acknowledgements, as "rule at construct path" with their reasons. */
  readonly acknowledgements: Map<string, string>;
}

function synthWithNag(config: AppConfig): NagResult {
  // Template schema validation is left to the bundling suite; this one is about cdk-nag.
  const app = testApp();
  buildApp(app, config);

  let outdir = app.outdir;
  try {
    outdir = app.synth().directory;
  } catch {
    // Unacknowledged findings fail the synth; the report says which.
  }
  const reportFile = path.join(outdir, 'validation-report.json');
  const report = existsSync(reportFile)
    ? (JSON.parse(readFileSync(reportFile, 'utf8')) as {
        pluginReports: Array<{
          violations: Array<{ ruleName: string; violatingConstructs: Array<{ constructPath: string }> }>;
        }>;
      })
    : { pluginReports: [] };
  const findings = report.pluginReports.flatMap((plugin) =>
    plugin.violations.flatMap((violation) =>
      violation.violatingConstructs.map((construct) => `${violation.ruleName} at ${construct.constructPath}`),
    ),
  );

  const acknowledgements = new Map<string, string>();
  const visit = (construct: IConstruct): void => {
    for (const entry of construct.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
        acknowledgements.set(`${id.replace(/^annotation::/i, '')} at ${construct.node.path}`, reason);
      }
    }
    construct.node.children.forEach(visit);
  };
  visit(app);
  return { findings, acknowledgements };
}

/** The reviewed acknowledgements of the account stack, present with every stage. */
const REVIEWED_ACCOUNT = [
  'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:*] at TravelGuide-Account/ApiGatewayCloudWatchRole',
];

/**
 * The reviewed acknowledgements of the dev stage. Adding one means reviewing it here.
 *
 * The dev stage also has CDK's auto-delete provider (Custom::S3AutoDeleteObjects), whose role and
 * function CDK makes as plain CfnResources: cdk-nag's rules read L1 classes (CfnRole,
 * CfnFunction) and never see them, so there is nothing here to acknowledge. What its rules would
 * say is checked where the rest of IAM is: the role's managed AWSLambdaBasicExecutionRole and its
 * bucket-policy grants in test/iam/least-privilege.test.ts, its runtime in
 * test/infra/bucket-removal.test.ts.
 */
const REVIEWED_DEV = [
  'AwsSolutions-IAM5[Resource::*] at TravelGuide-dev/Pipeline/Thumbnail/Role',
  'AwsSolutions-IAM5[Resource::<MediaBucket4022EBBF.Arn>/uploads/*] at TravelGuide-dev/Pipeline/Thumbnail/Role',
  'AwsSolutions-IAM5[Resource::<MediaBucket4022EBBF.Arn>/derived/*] at TravelGuide-dev/Pipeline/Thumbnail/Role',
  'AwsSolutions-IAM5[Resource::*] at TravelGuide-dev/Pipeline/Labels/Role',
  'AwsSolutions-IAM5[Resource::<MediaBucket4022EBBF.Arn>/derived/*] at TravelGuide-dev/Pipeline/Labels/Role',
  'AwsSolutions-IAM5[Resource::*] at TravelGuide-dev/Pipeline/Moderation/Role',
  'AwsSolutions-IAM5[Resource::<MediaBucket4022EBBF.Arn>/derived/*] at TravelGuide-dev/Pipeline/Moderation/Role',
  'AwsSolutions-IAM5[Resource::*] at TravelGuide-dev/Pipeline/Record/Role',
  'AwsSolutions-IAM5[Resource::*] at TravelGuide-dev/Pipeline/Watcher/Role',
  'AwsSolutions-SQS3 at TravelGuide-dev/Pipeline/WatcherDeadLetterQueue',
  'AwsSolutions-IAM5[Resource::*] at TravelGuide-dev/Pipeline/Sweeper/Function/Role',
  'AwsSolutions-SQS3 at TravelGuide-dev/Pipeline/Sweeper/ScheduleDeadLetterQueue',
  'AwsSolutions-IAM5[Resource::*] at TravelGuide-dev/Pipeline/Takedown/Role',
  'AwsSolutions-IAM5[Resource::<MediaBucket4022EBBF.Arn>/uploads/*] at TravelGuide-dev/Pipeline/Takedown/Role',
  'AwsSolutions-IAM5[Resource::<MediaBucket4022EBBF.Arn>/derived/*] at TravelGuide-dev/Pipeline/Takedown/Role',
  'AwsSolutions-IAM5[Resource::<MediaBucket4022EBBF.Arn>/quarantine/*] at TravelGuide-dev/Pipeline/Takedown/Role',
  'AwsSolutions-IAM5[Resource::<MediaBucket4022EBBF.Arn>/failed/*] at TravelGuide-dev/Pipeline/Takedown/Role',
  'AwsSolutions-IAM5[Resource::*] at TravelGuide-dev/Pipeline/StateMachineRole',
  'AwsSolutions-SQS3 at TravelGuide-dev/Pipeline/UploadEventsDeadLetterQueue',
  'AwsSolutions-COG2 at TravelGuide-dev/Articles/UserPool',
  'AwsSolutions-COG8 at TravelGuide-dev/Articles/UserPool',
  'AwsSolutions-SMG4 at TravelGuide-dev/Articles/PageTokenSecret',
  'AwsSolutions-IAM5[Resource::*] at TravelGuide-dev/Articles/Articles/Role',
  'AwsSolutions-IAM5[Resource::*] at TravelGuide-dev/Articles/Media/Role',
  'AwsSolutions-IAM5[Resource::<MediaBucket4022EBBF.Arn>/uploads/*] at TravelGuide-dev/Articles/Media/Role',
  'AwsSolutions-IAM5[Resource::<MediaBucket4022EBBF.Arn>/derived/*] at TravelGuide-dev/Articles/Media/Role',
  'AwsSolutions-IAM5[Resource::<MediaBucket4022EBBF.Arn>/failed/*] at TravelGuide-dev/Articles/Media/Role',
  'AwsSolutions-APIG4 at TravelGuide-dev/Articles/Api/Default/articles/GET',
  'AwsSolutions-COG4 at TravelGuide-dev/Articles/Api/Default/articles/GET',
  'AwsSolutions-APIG4 at TravelGuide-dev/Articles/Api/Default/articles/{id}/GET',
  'AwsSolutions-COG4 at TravelGuide-dev/Articles/Api/Default/articles/{id}/GET',
  'AwsSolutions-APIG4 at TravelGuide-dev/Articles/Api/Default/media/{id}/GET',
  'AwsSolutions-COG4 at TravelGuide-dev/Articles/Api/Default/media/{id}/GET',
  'AwsSolutions-APIG3 at TravelGuide-dev/Articles/Api/DeploymentStage.v1',
  'AwsSolutions-SNS2 at TravelGuide-dev/Observability/AlarmTopic',
];

/** The reviewed acknowledgements of the optional account-level stacks. */
const REVIEWED_ACCOUNT_LEVEL = [
  'AwsSolutions-IAM5[Resource::*] at TravelGuide-DeveloperAccess/SelfManageCredentialsWithMfa',
];

describe.each<Stage>(['dev', 'prod'])('cdk-nag AwsSolutions on the %s stage', (stage) => {
  let result: NagResult;
  beforeAll(() => {
    result = synthWithNag(stageConfig(stage));
  });

  it('leaves no finding unacknowledged', () => {
    expect(result.findings).toEqual([]);
  });

  it('gives every acknowledgement a reason of at least one sentence', () => {
    const short = [...result.acknowledgements].filter(([, reason]) => reason.trim().length < 40).map(([key]) => key);

    expect(short).toEqual([]);
  });

  it('acknowledges exactly the reviewed findings', () => {
    const expected = [
      ...REVIEWED_DEV.map((entry) => entry.replace('TravelGuide-dev', `TravelGuide-${stage}`)).filter(
        // Prod runs the Plus plan, so it has no Essentials-plan finding to acknowledge; and its WAF
        // web ACL (withWaf, on by default in prod) leaves no APIG3 finding.
        (entry) =>
          !(stage === 'prod' && (entry.startsWith('AwsSolutions-COG8') || entry.startsWith('AwsSolutions-APIG3'))),
      ),
      ...REVIEWED_ACCOUNT,
    ];

    expect([...result.acknowledgements.keys()].sort()).toEqual(expected.sort());
  });
});

describe('cdk-nag AwsSolutions with developer access and the CI deploy role', () => {
  let result: NagResult;
  beforeAll(() => {
    result = synthWithNag(
      stageConfig('dev', {
        withDeveloperAccess: true,
        githubDeploy: { repository: 'acme/travel-guide', branch: 'main' },
      }),
    );
  });

  it('leaves no finding unacknowledged', () => {
    expect(result.findings).toEqual([]);
  });

  it('acknowledges exactly the reviewed findings of the stage and of the optional stacks', () => {
    expect([...result.acknowledgements.keys()].sort()).toEqual(
      [...REVIEWED_DEV, ...REVIEWED_ACCOUNT, ...REVIEWED_ACCOUNT_LEVEL].sort(),
    );
  });

  it('gives every acknowledgement a reason of at least one sentence', () => {
    const short = [...result.acknowledgements].filter(([, reason]) => reason.trim().length < 40).map(([key]) => key);

    expect(short).toEqual([]);
  });
});
