/*
 * What the Lambda bundles get for `import "semver"` (esbuild alias, see
 * infra/constructs/pipeline-function.ts). In a function bundle, semver is required only by the
 * X-Ray SDK behind the Powertools Tracer (aws-xray-sdk-core and cls-hooked), and both call nothing
 * but gte(): to check the Node.js version and the AWS SDK v2 version. This module is semver's own
 * gte(), so a bundle carries ~9 kB instead of two whole copies of semver (5.x and 7.x, ~29 kB).
 * test/infra/bundling.test.ts fails if either package starts calling anything else.
 *
 * The path is relative (not "semver/functions/gte") because the alias also rewrites subpaths of
 * "semver"; semver is a direct dependency, so npm installs it at the top of node_modules.
 */
module.exports = { gte: require('../../node_modules/semver/functions/gte.js') };
