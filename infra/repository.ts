import * as path from 'node:path';

/**
 * Where the app's sources stand in the repository. Everything is resolved from the repository
 * root, never from the working directory, so `cdk synth`, the tests, the benchmarks and the twin
 * find the same files from any folder.
 */

/** The repository root: functions, lock file, layers, state machine and event files. */
export const REPO_ROOT = path.resolve(__dirname, '..');

/** A function's entry, `functions/<name>/handler.ts` (it exports `handler`), under `root`. */
export function functionEntry(name: string, root: string = REPO_ROOT): string {
  return path.join(root, 'functions', name, 'handler.ts');
}

/** The lock file the bundles resolve their dependencies by, under `root`. */
export function lockFile(root: string = REPO_ROOT): string {
  return path.join(root, 'package-lock.json');
}

/** The sharp layer's folder (`nodejs/node_modules/sharp` for linux-arm64), filled by the root postinstall. */
export const SHARP_LAYER_DIR = path.join(REPO_ROOT, 'layers', 'sharp');

/** The CDK app's settings: the command, feature flags and context defaults. */
export const CDK_JSON = path.join(REPO_ROOT, 'cdk.json');
