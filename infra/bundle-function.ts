import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import type { ILocalBundling } from 'aws-cdk-lib';
import { build } from 'esbuild';
import { functionBuildOptions, type FunctionBuild } from './bundling';
import { REPO_ROOT } from './repository';

/**
 * Builds one function's bundle with {@link functionBuildOptions}. CDK bundles an asset
 * synchronously and esbuild runs plugins only in its asynchronous API, so {@link bundleFunction}
 * runs this file in a child Node process (`node --import tsx infra/bundle-function.ts '<json>'`).
 */

/** Builds the bundle and waits for it; throws with esbuild's messages if the build fails. */
export function bundleFunction(fn: FunctionBuild): void {
  const result = spawnSync(process.execPath, ['--import', 'tsx', __filename, JSON.stringify(fn)], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (result.error !== undefined) throw result.error;
  if (result.status !== 0) {
    throw new Error(
      `Bundling ${path.relative(fn.projectRoot, fn.entry)} failed (exit ${result.status ?? result.signal})`,
    );
  }
}

/**
 * CDK's local bundling of one function: `index.js` and `index.js.map` in the asset folder. Its
 * fields are part of the asset's cache key, so each function gets its own bundle.
 */
export class FunctionBundler implements ILocalBundling {
  constructor(
    public readonly entry: string,
    public readonly externalModules: readonly string[],
    public readonly projectRoot: string,
  ) {}

  tryBundle(outputDir: string): boolean {
    const { entry, externalModules, projectRoot } = this;
    bundleFunction({ entry, outfile: path.join(outputDir, 'index.js'), externalModules, projectRoot });
    return true;
  }
}

if (require.main === module) {
  const fn = JSON.parse(process.argv[2] ?? '{}') as FunctionBuild;
  build(functionBuildOptions(fn)).catch((error: unknown) => {
    // esbuild has already printed its messages (logLevel warning).
    if (!(error instanceof Error && 'errors' in error)) console.error(error);
    process.exitCode = 1;
  });
}
