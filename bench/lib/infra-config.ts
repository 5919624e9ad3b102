import { App } from 'aws-cdk-lib';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp, cdkJsonContext } from '../../infra/build-app';
import { stageConfig } from '../../infra/config';

/**
 * Memory of each function as the CDK app configures it (the dev stage), read from the constructs
 * of an app built without bundling or asset staging: a second or two, and no second copy of the
 * numbers to drift from the infra code.
 */
export function functionMemory(): { memoryMb: Record<string, number>; defaultMb: number; source: string } {
  const outdir = mkdtempSync(join(tmpdir(), 'bench-app-'));
  try {
    const app = new App({ outdir, context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [], 'aws:cdk:disable-asset-staging': true } });
    const { pipeline, api } = buildApp(app, stageConfig('dev')).travelGuide;
    const functions = {
      thumbnail: pipeline.thumbnail,
      labels: pipeline.labels,
      moderation: pipeline.moderation,
      record: pipeline.record,
      articles: api.articles,
      media: api.media,
    };
    const memoryMb = Object.fromEntries(
      Object.entries(functions).map(([name, fn]) => [name, Number((fn.function.node.defaultChild as CfnFunction).memorySize ?? 128)]),
    );
    // Lambda's own default, for a function the app would add without a memory size.
    return { memoryMb, defaultMb: 128, source: 'the CDK app (dev stage), infra/build-app.ts' };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
