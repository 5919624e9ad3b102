/**
 * Synthesizes the app the way `infra/app.ts` does (`buildApp`, so the same stacks, tags and
 * cdk-nag rules; the cdk.json context, so the same feature flags), and returns the template of
 * every stack in it. Function entries are stubs: an IAM role does not depend on handler code,
 * so these tests neither wait for nor break with the handlers.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { buildApp, cdkJsonContext } from '../../../infra/build-app';
import { stageConfig, type AppConfig, type Stage } from '../../../infra/config';
import type { CfnTemplate, StackTemplate } from './cfn-resolver';

/** A project root holding stub `functions/<name>/handler.ts` entries and a lock file, nothing else. */
export const STUB_PROJECT_ROOT = path.join(__dirname, '..', 'fixtures', 'project');

/** The GitHub repository and branch the CI deploy role is synthesized for in these tests. */
export const TEST_GITHUB_DEPLOY = { repository: 'acme/travel-guide', branch: 'main' } as const;

/** A stage with both optional account-level stacks on: the Developers group and the CI deploy role. */
export function withOptionalStacks(stage: Stage = 'dev'): AppConfig {
  return { ...stageConfig(stage), withDeveloperAccess: true, githubDeploy: { ...TEST_GITHUB_DEPLOY } };
}

/**
 * Every stack of the app built for a stage (its defaults) or for a whole config, in the order
 * `buildApp` creates them: the stage stack first, then the optional ones that are on.
 */
export function synthApp(stageOrConfig: Stage | AppConfig = 'dev'): StackTemplate[] {
  const config = typeof stageOrConfig === 'string' ? stageConfig(stageOrConfig) : stageOrConfig;
  const outdir = mkdtempSync(path.join(tmpdir(), 'iam-synth-'));
  try {
    const app = new App({
      outdir,
      // Roles do not depend on bundle contents: skip esbuild (about a second per function), the
      // copy of assets such as the 20 MB sharp layer, and CloudFormation schema validation (a
      // WASM pass of seconds); the synth tests cover those.
      context: {
        ...cdkJsonContext(),
        stage: config.stage,
        'aws:cdk:bundling-stacks': [],
        'aws:cdk:disable-asset-staging': true,
      },
      builtinCloudFormationValidation: false,
    });
    const built = buildApp(app, config, { projectRoot: STUB_PROJECT_ROOT });
    const assembly = app.synth();
    const ordered = [built.travelGuide, built.account, built.developerAccess, built.ciDeploy].flatMap((stack) =>
      stack === undefined ? [] : [stack],
    );
    // A stack added to the app without a place in buildApp's result must still be read: its
    // roles would otherwise escape every check.
    const known = new Set(ordered.map((stack) => stack.artifactId));
    const unlisted = assembly.stacksRecursively.filter((artifact) => !known.has(artifact.id));
    return [...ordered.map((stack) => assembly.getStackArtifact(stack.artifactId)), ...unlisted].map((artifact) => ({
      stackName: artifact.stackName,
      template: artifact.template as CfnTemplate,
    }));
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
