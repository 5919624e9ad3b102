import { readFileSync } from 'node:fs';
import type { App } from 'aws-cdk-lib';
import type { AppConfig } from './config';
import { tagSharedComponent, tagStageComponents } from './components';
import { applyGovernance, governanceTags } from './governance';
import { AccountStack } from './stacks/account-stack';
import { CiDeployStack } from './stacks/ci-deploy-stack';
import { DeveloperAccessStack } from './stacks/developer-access-stack';
import { TravelGuideStack } from './stacks/travel-guide-stack';
import { CDK_JSON } from './repository';
import { stageStackName } from './definitions/stack-outputs';

/** Options that only change where the app finds its code, never what it deploys. */
export interface BuildAppOptions {
  /**
   * Folder holding `package-lock.json`, `node_modules` and `functions/<name>/handler.ts`.
   * @default the repository root
   */
  readonly projectRoot?: string;
}

/** The stacks of one synth; the optional ones are present only when the config asks for them. */
export interface TravelGuideApp {
  /** Once per account and region: API Gateway's CloudWatch role, the Access Analyzer. */
  readonly account: AccountStack;
  /** The stage: API, media pipeline, observability. */
  readonly travelGuide: TravelGuideStack;
  /** Developers group behind an MFA guard (`withDeveloperAccess`). */
  readonly developerAccess?: DeveloperAccessStack;
  /** GitHub OIDC deploy role (`githubDeploy`). */
  readonly ciDeploy?: CiDeployStack;
}

/**
 * Adds every stack of the app to `app`, and the governance (tags, cdk-nag) over all of them.
 * `infra/app.ts` and the tests both call this, so a test synthesizes what `cdk synth` does.
 *
 * The stage stack is named per stage, so dev and prod deploy side by side. The account stack holds
 * the account-wide singletons every stage needs and none may create twice. Developer access and
 * the CI role are account-level (an IAM group for people, one OIDC provider per account), so their
 * stacks carry no stage: whichever stage is synthesized with the flag deploys the same stack.
 * Every stack is environment-agnostic: synth needs no account and no network, and `cdk deploy`
 * fills in the account and region of the credentials in use.
 */
export function buildApp(app: App, config: AppConfig, options: BuildAppOptions = {}): TravelGuideApp {
  const account = new AccountStack(app, 'TravelGuide-Account', {
    description:
      "Travel guide account-wide settings (once per account and region): API Gateway's CloudWatch role, IAM Access Analyzer",
    tags: { ...governanceTags(config), Environment: 'account' },
    apiGatewayCloudWatchRole: config.apiGatewayCloudWatchRole,
    withAccessAnalyzer: config.withAccessAnalyzer,
  });

  const travelGuide = new TravelGuideStack(app, stageStackName(config.stage), {
    config,
    description: `Travel guide backend (${config.stage}): article API and media pipeline`,
    tags: governanceTags(config),
    ...(options.projectRoot !== undefined ? { projectRoot: options.projectRoot } : {}),
  });

  // API access logging needs the account's CloudWatch role: `cdk deploy TravelGuide-<stage>`
  // deploys the account stack first. No value crosses the boundary, so nothing is exported.
  travelGuide.addStackDependency(account, "API Gateway access logging needs the account's CloudWatch role");

  const developerAccess = config.withDeveloperAccess
    ? new DeveloperAccessStack(app, 'TravelGuide-DeveloperAccess', {
        description: 'Travel guide developer access: Developers group, everything denied until signed in with MFA',
        tags: governanceTags(config),
      })
    : undefined;

  const ciDeploy =
    config.githubDeploy !== undefined
      ? new CiDeployStack(app, 'TravelGuide-CiDeploy', {
          description: `Travel guide CI deploy role for GitHub Actions (${config.githubDeploy.repository})`,
          github: config.githubDeploy,
          tags: governanceTags(config),
          bootstrapQualifier: config.bootstrapQualifier,
        })
      : undefined;

  tagStageComponents(travelGuide);
  for (const stack of [account, developerAccess, ciDeploy]) if (stack !== undefined) tagSharedComponent(stack);
  applyGovernance(app, config);
  return {
    account,
    travelGuide,
    ...(developerAccess !== undefined ? { developerAccess } : {}),
    ...(ciDeploy !== undefined ? { ciDeploy } : {}),
  };
}

/**
 * The context of cdk.json (feature flags and defaults), which `cdk synth` hands the app. Code that
 * builds the app in-process (tests, benchmarks) passes it to `new App({ context })` so that it
 * builds what `cdk synth` builds.
 */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(CDK_JSON, 'utf8')) as {
    context?: Record<string, unknown>;
  };
  return cdkJson.context ?? {};
}
