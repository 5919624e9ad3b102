import type { BuildOptions, Plugin } from 'esbuild';
import * as lambda from 'aws-cdk-lib/aws-lambda';

/**
 * How every function is bundled: the runtime the bundles target, what each bundle leaves out and
 * why, and the esbuild options. {@link AppFunction} builds with these, and the benchmarks bundle
 * with the same lists.
 */

/** The newest Node.js runtime this aws-cdk-lib offers; the bundles target the same version. */
export const FUNCTION_RUNTIME = lambda.Runtime.NODEJS_24_X;
/** esbuild's target for the bundles: the runtime's Node version. */
export const FUNCTION_NODE_TARGET = 'node24';

/**
 * SDK modules the bundles leave out because a function on Lambda never loads them: the default
 * credential chain reaches them only through import() after the environment credentials (which
 * Lambda always sets) were not found. Should one ever be needed, Node resolves it from the SDK v3
 * in the Lambda runtime. test/infra/bundling.test.ts loads every bundle with nothing beside it to
 * prove none is needed at init, and invokes some of them to prove none is needed by a call.
 * (@smithy/core's event-stream serde is bundled only where a client imports it, see {@link eventStreamSerdeOnDemand}.)
 */
export const SDK_MODULES_NOT_LOADED_ON_LAMBDA: readonly string[] = [
  '@aws-sdk/credential-provider-ini',
  '@aws-sdk/credential-provider-sso',
  '@aws-sdk/credential-provider-process',
  '@aws-sdk/credential-provider-web-identity',
  '@aws-sdk/credential-provider-http',
  '@aws-sdk/credential-provider-login',
  '@aws-sdk/token-providers',
  '@aws-sdk/nested-clients',
  '@smithy/credential-provider-imds',
];

/** @smithy/core's event-stream serde, whose `import()` the bundles leave out ({@link eventStreamSerdeOnDemand}). */
export const EVENT_STREAM_SERDE = '@smithy/core/event-streams';

/** What a function's bundle leaves out, as {@link functionBuildOptions} hands it to esbuild. */
export function bundleExternals(options: { layerModules?: readonly string[] } = {}): string[] {
  return [...SDK_MODULES_NOT_LOADED_ON_LAMBDA, ...(options.layerModules ?? [])];
}

/**
 * Leaves the event-stream serde's `import()` to the runtime. @smithy/core's HTTP protocol reaches
 * that `import()` only for an operation that streams events (none here). Bundled, it would make
 * esbuild wrap the serde and every module it depends on (most of @smithy/core, about 180 modules
 * in a bundle with an S3 client, whose client also imports the serde statically) in lazy
 * initializers, which costs about 7 % more CPU at init. A client's static import stays bundled
 * (the S3 client loads the serde at init); a bundle without one carries none of it (~20 kB).
 * Should the `import()` ever run, Node resolves it from the SDK v3 in the Lambda runtime, as for
 * {@link SDK_MODULES_NOT_LOADED_ON_LAMBDA}.
 */
export const eventStreamSerdeOnDemand: Plugin = {
  name: 'event-stream-serde-on-demand',
  setup(build) {
    build.onResolve({ filter: new RegExp(`^${EVENT_STREAM_SERDE}$`) }, (args) =>
      args.kind === 'dynamic-import' ? { path: args.path, external: true } : undefined,
    );
  },
};

/** What one function's bundle is built from and into. */
export interface FunctionBuild {
  /** `functions/<name>/handler.ts` (it exports `handler`). */
  readonly entry: string;
  /** The bundle, `<dir>/index.js`; its source map is written beside it. */
  readonly outfile: string;
  /** What the bundle leaves out (see {@link bundleExternals}). */
  readonly externalModules: readonly string[];
  /** The folder whose node_modules the bundle resolves from. */
  readonly projectRoot: string;
}

/**
 * The esbuild options of every function's bundle: one minified CommonJS file for the runtime's
 * Node version, its source map beside it (without sources), the AWS SDK v3 bundled, the packages'
 * ESM builds preferred. AppFunction builds with these (infra/bundle-function.ts), and so do the benchmarks.
 */
export function functionBuildOptions(fn: FunctionBuild): BuildOptions {
  return {
    entryPoints: [fn.entry],
    outfile: fn.outfile,
    absWorkingDir: fn.projectRoot,
    bundle: true,
    platform: 'node',
    target: FUNCTION_NODE_TARGET,
    format: 'cjs',
    minify: true,
    sourcemap: 'external',
    sourcesContent: false,
    // The SDK v3 clients are bundled at the versions pinned in package-lock.json instead of
    // relying on the copy in the Lambda runtime: what the unit tests exercised is what runs,
    // a runtime update cannot change client behaviour underneath us, and helper packages
    // such as @aws-sdk/lib-dynamodb need no guess about what the runtime ships. The
    // cost is bundle size (and parse time at cold start), which the benchmarks measure.
    external: [...fn.externalModules],
    // Powertools and the SDK ship ESM builds; preferring them lets esbuild tree-shake.
    mainFields: ['module', 'main'],
    plugins: [eventStreamSerdeOnDemand],
    logLevel: 'warning',
  };
}
