/*
 * What the Lambda bundles get for `require("semver")` (esbuild alias, see
 * infra/constructs/pipeline-function.ts). In a function bundle, semver is required only by the
 * X-Ray SDK behind the Powertools Tracer (aws-xray-sdk-core and cls-hooked), and both call nothing
 * but gte(): cls-hooked on the Node.js version, the X-Ray SDK on the AWS SDK v2 version. This is
 * gte() with SemVer 2.0.0 precedence in a few lines, instead of two whole copies of semver (5.x and
 * 7.x, ~29 kB). test/infra/bundling.test.ts holds it to the semver package's answers and fails if
 * either caller starts using anything else.
 */

const IDENTIFIER = '(?:0|[1-9]\\d*|\\d*[a-zA-Z-][a-zA-Z0-9-]*)';
const VERSION = new RegExp(
  `^v?(0|[1-9]\\d*)\\.(0|[1-9]\\d*)\\.(0|[1-9]\\d*)(?:-(${IDENTIFIER}(?:\\.${IDENTIFIER})*))?(?:\\+[0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*)?$`,
);

function parse(version) {
  const match = VERSION.exec(String(version).trim());
  if (match === null) throw new TypeError(`Invalid Version: ${version}`);
  return {
    core: [Number(match[1]), Number(match[2]), Number(match[3])],
    pre: match[4] === undefined ? [] : match[4].split('.'),
  };
}

function compareIdentifiers(a, b) {
  const aNumeric = /^\d+$/.test(a);
  const bNumeric = /^\d+$/.test(b);
  if (aNumeric && bNumeric) return Math.sign(Number(a) - Number(b));
  if (aNumeric !== bNumeric) return aNumeric ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function compare(left, right) {
  const a = parse(left);
  const b = parse(right);
  for (let i = 0; i < 3; i++) if (a.core[i] !== b.core[i]) return a.core[i] < b.core[i] ? -1 : 1;
  // A pre-release sorts before its release; build metadata never counts.
  if (a.pre.length === 0 || b.pre.length === 0) return Math.sign(b.pre.length - a.pre.length);
  for (let i = 0; i < Math.max(a.pre.length, b.pre.length); i++) {
    if (a.pre[i] === undefined) return -1;
    if (b.pre[i] === undefined) return 1;
    const order = compareIdentifiers(a.pre[i], b.pre[i]);
    if (order !== 0) return order;
  }
  return 0;
}

module.exports = { gte: (a, b) => compare(a, b) >= 0 };
