import { App } from 'aws-cdk-lib';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp, cdkJsonContext } from '../../infra/build-app';
import { stageConfig } from '../../infra/config';
import { AppFunction } from '../../infra/constructs/app-function';

/** What the benchmarks need to know of one function, as the CDK app configures it. */
export interface FunctionSettings {
  memoryMb: number;
  /** Modules its bundle leaves out (AppFunction.externalModules). */
  externalModules: readonly string[];
}

/**
 * Memory and bundle externals of each function as the CDK app configures them (the dev stage),
 * read from the constructs of an app built without bundling or asset staging: a second or two, and
 * no second copy of the settings to drift from the infra code.
 */
export function functionSettings(): { functions: Record<string, FunctionSettings>; defaultMb: number; source: string } {
  const outdir = mkdtempSync(join(tmpdir(), 'bench-app-'));
  try {
    const app = new App({
      outdir,
      context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [], 'aws:cdk:disable-asset-staging': true },
    });
    // Every function the stage stack builds, found in the construct tree: a function added to the
    // app is measured without a second list here.
    const stack = buildApp(app, stageConfig('dev')).travelGuide;
    const built = stack.node
      .findAll()
      .filter((construct): construct is AppFunction => construct instanceof AppFunction);
    const functions = Object.fromEntries(
      built.map((fn) => [
        fn.name,
        {
          memoryMb: Number((fn.function.node.defaultChild as CfnFunction).memorySize ?? 128),
          externalModules: fn.externalModules,
        },
      ]),
    );
    // Lambda's own default, for a function the app would add without a memory size.
    return { functions, defaultMb: 128, source: 'the CDK app (dev stage), infra/build-app.ts' };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** Memory of each function, for the cost model. */
export function functionMemory(): { memoryMb: Record<string, number>; defaultMb: number; source: string } {
  const { functions, defaultMb, source } = functionSettings();
  return {
    memoryMb: Object.fromEntries(Object.entries(functions).map(([name, fn]) => [name, fn.memoryMb])),
    defaultMb,
    source,
  };
}
