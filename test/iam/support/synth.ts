/**
 * Synthesizes the app the way `infra/app.ts` does (same stack class, same cdk.json context, so the
 * same feature flags), and returns its templates. Function entries are stubs: an IAM role does
 * not depend on handler code, so these tests neither wait for nor break with the handlers.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { stageConfig, type Stage } from '../../../infra/config';
import { TravelGuideStack } from '../../../infra/stacks/travel-guide-stack';
import type { CfnTemplate, StackTemplate } from './cfn-resolver';

const ROOT = path.resolve(__dirname, '..', '..', '..');
/** A project root holding stub `functions/<name>/handler.ts` entries and a lock file, nothing else. */
export const STUB_PROJECT_ROOT = path.join(__dirname, '..', 'fixtures', 'project');

function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(path.join(ROOT, 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> };
  return cdkJson.context ?? {};
}

export function synthApp(stage: Stage = 'dev'): StackTemplate[] {
  const outdir = mkdtempSync(path.join(tmpdir(), 'iam-synth-'));
  try {
    const app = new App({
      outdir,
      // Roles do not depend on bundle contents: skip esbuild (about a second per function), the
      // copy of assets such as the 20 MB sharp layer, and CloudFormation schema validation (a
      // WASM pass of seconds); the synth tests cover those.
      context: { ...cdkJsonContext(), stage, 'aws:cdk:bundling-stacks': [], 'aws:cdk:disable-asset-staging': true },
      builtinCloudFormationValidation: false,
    });
    const stack = new TravelGuideStack(app, `TravelGuide-${stage}`, {
      config: stageConfig(stage),
      projectRoot: STUB_PROJECT_ROOT,
    });
    return [{ stackName: stack.stackName, template: Template.fromStack(stack).toJSON() as CfnTemplate }];
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
