'use strict';
/*
 * `npm start`: runs the twin (local/main.ts) from one JavaScript bundle of this repository's own
 * code, built by esbuild and kept in node_modules/.cache/travel-guide-twin/, instead of compiling
 * TypeScript on every start. Node then loads one file and requires the packages in node_modules
 * (left out of the bundle) natively, with no loader hooks in between.
 *
 * The bundle is rebuilt whenever it may differ from the sources: its key is a hash of the content
 * of every file it was built from (esbuild's own list of inputs), of tsconfig.json, of the list of
 * functions/ handlers (a new function is picked up), of this file and of esbuild's version. A
 * change to any of them rebuilds it at the next start (about a second). Errors point at the
 * TypeScript sources (source maps). Plain JavaScript, so that Node runs it without a compiler.
 */
const { createHash } = require('node:crypto');
const { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } = require('node:fs');
const { dirname, join, relative, resolve } = require('node:path');

const REPO_ROOT = resolve(__dirname, '..');
const ENTRY = join(REPO_ROOT, 'local', 'main.ts');
/** Where the bundle and its manifest live (local/cache.ts TWIN_CACHE_DIR; a test keeps the two equal). */
const CACHE_DIR = join(REPO_ROOT, 'node_modules', '.cache', 'travel-guide-twin');
const MANIFEST = join(CACHE_DIR, 'twin-bundle.json');

/** The handler files the twin can load by name (local/twin.ts imports `functions/${name}/handler.ts`). */
function handlerList(root) {
  const dir = join(root, 'functions');
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(dir, entry.name, 'handler.ts')))
    .map((entry) => entry.name)
    .sort();
}

/** The cache key: everything a rebuild could change, hashed by content. Throws when an input is gone. */
function bundleKey(inputs, root = REPO_ROOT) {
  const hash = createHash('sha256');
  // The bundle holds absolute paths (see ownDirectoryPlugin): a moved repository builds again.
  hash.update(root).update('\0').update(require('esbuild/package.json').version).update('\0');
  hash.update(readFileSync(__filename)).update('\0');
  hash.update(handlerList(root).join(',')).update('\0');
  for (const input of [...inputs, 'tsconfig.json'].sort()) {
    hash
      .update(input)
      .update('\0')
      .update(readFileSync(join(root, input)))
      .update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}

/**
 * Files that read `__dirname` or `__filename` get their own values (their folder in the
 * repository), as when Node runs them one by one: the twin finds web/, docs/ and the ASL by them.
 */
const ownDirectoryPlugin = {
  name: 'own-directory',
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, (args) => {
      if (args.path.includes(`${join('node_modules', '')}`)) return undefined;
      const source = readFileSync(args.path, 'utf8');
      if (!/\b__(dirname|filename)\b/.test(source)) return undefined;
      const prelude = `const __dirname = ${JSON.stringify(dirname(args.path))}; const __filename = ${JSON.stringify(args.path)};`;
      return { contents: `${prelude}\n${source}`, loader: 'ts' };
    });
  },
};

/**
 * Packages bundled with the code rather than required from node_modules. zod's CommonJS build is
 * about 90 files (every locale among them): bundled, it is parsed in one piece with the rest,
 * which took a tenth less CPU to load than requiring it. Bundling the AWS SDK as well gained
 * nothing measurable (a 3 MB bundle), so it stays in node_modules.
 */
const BUNDLED_PACKAGES = /^zod(\/|$)/;

const packagesPlugin = {
  name: 'packages',
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, (args) => {
      if (BUNDLED_PACKAGES.test(args.path)) return undefined;
      return { path: args.path, external: true };
    });
  },
};

/** Builds the bundle into the cache folder; returns its path. */
async function buildBundle() {
  const esbuild = require('esbuild');
  mkdirSync(CACHE_DIR, { recursive: true });
  const temporary = join(CACHE_DIR, `twin-build-${process.pid}.js`);
  const result = await esbuild.build({
    entryPoints: [ENTRY],
    outfile: temporary,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: `node${process.versions.node.split('.')[0]}`,
    // The packages stay in node_modules, required as they are, but for BUNDLED_PACKAGES.
    sourcemap: 'linked',
    sourcesContent: false,
    metafile: true,
    logLevel: 'error',
    absWorkingDir: REPO_ROOT,
    plugins: [ownDirectoryPlugin, packagesPlugin],
  });
  const inputs = Object.keys(result.metafile.inputs).filter((input) => !input.startsWith('node_modules/'));
  const key = bundleKey(inputs);
  const bundle = join(CACHE_DIR, `twin-${key}.js`);
  // The map is named in the bundle's last line: rewrite that line for the final name.
  const code = readFileSync(temporary, 'utf8').replace(
    /\/\/# sourceMappingURL=.*\s*$/,
    `//# sourceMappingURL=twin-${key}.js.map\n`,
  );
  writeFileSync(`${bundle}.map`, readFileSync(`${temporary}.map`));
  writeFileSync(temporary, code);
  // Renamed whole: a twin starting at the same moment never reads half a file.
  renameSync(temporary, bundle);
  rmSync(`${temporary}.map`, { force: true });
  const manifest = `${MANIFEST}.${process.pid}.tmp`;
  writeFileSync(manifest, JSON.stringify({ key, inputs }));
  renameSync(manifest, MANIFEST);
  for (const stale of readdirSync(CACHE_DIR).filter((name) => /^twin-[0-9a-f]{16}\.js(\.map)?$/.test(name))) {
    if (!stale.startsWith(`twin-${key}.`)) rmSync(join(CACHE_DIR, stale), { force: true });
  }
  return bundle;
}

/** The bundle of the current sources: the cached one when its key still matches, else a new build. */
async function twinBundle() {
  try {
    const { key, inputs } = JSON.parse(readFileSync(MANIFEST, 'utf8'));
    const bundle = join(CACHE_DIR, `twin-${key}.js`);
    if (bundleKey(inputs) === key && existsSync(bundle)) return { path: bundle, built: false };
  } catch {
    // No manifest, or an input is gone: build.
  }
  return { path: await buildBundle(), built: true };
}

async function start() {
  const startedAt = Date.now();
  const bundle = await twinBundle();
  if (bundle.built) process.stdout.write(`Built the twin from the sources in ${Date.now() - startedAt} ms.\n`);
  process.setSourceMapsEnabled(true);
  require(bundle.path);
}

if (require.main === module) {
  start().catch((error) => {
    process.stderr.write(`The local twin could not start: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}

module.exports = { CACHE_DIR, MANIFEST, bundleKey, handlerList, twinBundle };
