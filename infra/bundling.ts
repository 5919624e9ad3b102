import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';

/**
 * How every function is bundled: the runtime the bundles target, what each bundle leaves out and
 * why, and the esbuild options. {@link AppFunction} builds with these, and the benchmarks bundle
 * with the same lists.
 */

/** The newest Node.js runtime this aws-cdk-lib offers; the bundles target the same version. */
export const FUNCTION_RUNTIME = lambda.Runtime.NODEJS_24_X;

/**
 * SDK modules the bundles leave out because a function on Lambda never loads them: the default
 * credential chain reaches them only through import() after the environment credentials (which
 * Lambda always sets) were not found. Should one ever be needed, Node resolves it from the SDK v3
 * in the Lambda runtime. test/infra/bundling.test.ts loads every bundle with nothing beside it to
 * prove none is needed at init, and invokes some of them to prove none is needed by a call.
 * (@smithy/core's event-stream serde is left out by {@link bundleExternals}, only where no S3 client loads it.)
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

/**
 * @smithy/core's event-stream serde. The SDK's HTTP protocol reaches it through import() only for
 * an operation that streams events (none here), but the S3 client also loads it at init: bundles
 * of functions that create an S3 client keep it, the others leave it out (~20 kB).
 */
export const EVENT_STREAM_SERDE = '@smithy/core/event-streams';

/** What a function's bundle leaves out, as {@link functionBundling} configures esbuild. */
export function bundleExternals(options: { usesS3Client: boolean; layerModules?: readonly string[] }): string[] {
  return [
    ...SDK_MODULES_NOT_LOADED_ON_LAMBDA,
    ...(options.usesS3Client ? [] : [EVENT_STREAM_SERDE]),
    ...(options.layerModules ?? []),
  ];
}

/** The esbuild options of every function's bundle, leaving out `externalModules` (see {@link bundleExternals}). */
export function functionBundling(externalModules: readonly string[]): nodejs.BundlingOptions {
  return {
    forceDockerBundling: false,
    minify: true,
    sourceMap: true,
    sourceMapMode: nodejs.SourceMapMode.EXTERNAL,
    sourcesContent: false,
    logLevel: nodejs.LogLevel.WARNING,
    target: 'node24',
    format: nodejs.OutputFormat.CJS,
    // The SDK v3 clients are bundled at the versions pinned in package-lock.json instead of
    // relying on the copy in the Lambda runtime: what the unit tests exercised is what runs,
    // a runtime update cannot change client behaviour underneath us, and helper packages
    // such as @aws-sdk/lib-dynamodb need no guess about what the runtime ships. The
    // cost is bundle size (and parse time at cold start), which the benchmarks measure.
    bundleAwsSDK: true,
    externalModules: [...externalModules],
    // Powertools and the SDK ship ESM builds; preferring them lets esbuild tree-shake.
    mainFields: ['module', 'main'],
  };
}
