import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { SDK_MODULES_NOT_LOADED_ON_LAMBDA, type PipelineFunction } from '../../infra/constructs/pipeline-function';
import { logicalId, resourcesOfType, synthStack, type Synthesized } from './support';

// The one infra suite that runs esbuild for real: what `cdk synth` ships.
let synth: Synthesized;
let assembly: CloudAssembly;
beforeAll(() => {
  synth = synthStack({ bundle: true });
  assembly = synth.app.synth();
}, 120_000);

/** The packages a bundle still loads at run time with require("..."). */
function runtimeRequires(code: string): string[] {
  const builtins = new Set(builtinModules);
  const names = [...code.matchAll(/require\("([^"]+)"\)/g)].map((match) => match[1] ?? '');
  return [...new Set(names.filter((name) => !name.startsWith('node:') && !builtins.has(name)))].sort();
}

// The SDK requires the CRT signer inside a try/catch, only for SigV4a (multi-region access
// points), which nothing here uses.
const OPTIONAL = ['@aws-sdk/signature-v4-crt'];

function assetDir(s3Key: string): string {
  return path.join(assembly.directory, `asset.${s3Key.replace(/\.zip$/, '')}`);
}

function codeDir(fn: PipelineFunction): string {
  const functions = resourcesOfType(synth.template, 'AWS::Lambda::Function');
  const code = functions[logicalId(fn.function)]?.Code as { S3Key: string };
  return assetDir(code.S3Key);
}

const FUNCTIONS = ['thumbnail', 'labels', 'moderation', 'record', 'articles'] as const;
type FunctionName = (typeof FUNCTIONS)[number];

function functionNamed(name: FunctionName): PipelineFunction {
  const { pipeline, api } = synth.stack;
  const byName: Record<FunctionName, PipelineFunction> = {
    thumbnail: pipeline.thumbnail,
    labels: pipeline.labels,
    moderation: pipeline.moderation,
    record: pipeline.record,
    articles: api.articles,
  };
  return byName[name];
}

describe('function bundles', () => {
  it.each(FUNCTIONS)('ships %s as one minified file and its source map, without node_modules', (name) => {
    const files = readdirSync(codeDir(functionNamed(name))).sort();

    expect(files).toEqual(['index.js', 'index.js.map']);
  });

  it.each(FUNCTIONS.filter((name) => name !== 'thumbnail'))('bundles every dependency of %s, the AWS SDK included', (name) => {
    const code = readFileSync(path.join(codeDir(functionNamed(name)), 'index.js'), 'utf8');

    const notBundled = runtimeRequires(code).filter((module) => !OPTIONAL.includes(module));
    expect(notBundled.filter((module) => !SDK_MODULES_NOT_LOADED_ON_LAMBDA.includes(module))).toEqual([]);
  });

  it('leaves only sharp out of the thumbnail bundle, to be loaded from the layer', () => {
    const code = readFileSync(path.join(codeDir(synth.stack.pipeline.thumbnail), 'index.js'), 'utf8');

    const notBundled = runtimeRequires(code).filter((module) => !OPTIONAL.includes(module));
    expect(notBundled.filter((module) => !SDK_MODULES_NOT_LOADED_ON_LAMBDA.includes(module))).toEqual(['sharp']);
  });

  it.each(FUNCTIONS.filter((name) => name !== 'thumbnail'))(
    'loads the %s bundle on its own: no module left out of it is needed at init',
    (name) => {
      // A folder with no node_modules anywhere above it: any require of an external module fails.
      const alone = mkdtempSync(path.join(tmpdir(), 'bundle-alone-'));
      try {
        copyFileSync(path.join(codeDir(functionNamed(name)), 'index.js'), path.join(alone, 'index.js'));

        const exported = execFileSync(
          process.execPath,
          ['-e', 'console.log(typeof require(process.argv[1]).handler)', path.join(alone, 'index.js')],
          { cwd: alone, env: { PATH: process.env.PATH ?? '', AWS_REGION: 'eu-west-1', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' }, encoding: 'utf8' },
        );

        expect(exported.trim()).toBe('function');
      } finally {
        rmSync(alone, { recursive: true, force: true });
      }
    },
  );
});

describe('sharp layer', () => {
  function layerDir(): string {
    const layers = resourcesOfType(synth.template, 'AWS::Lambda::LayerVersion');
    const [layer] = Object.values(layers);
    return assetDir((layer?.Content as { S3Key: string }).S3Key);
  }

  it('holds sharp 0.35.5 and its linux-arm64 binary under nodejs/node_modules', () => {
    const modules = path.join(layerDir(), 'nodejs', 'node_modules');

    const sharp = JSON.parse(readFileSync(path.join(modules, 'sharp', 'package.json'), 'utf8')) as { version: string };

    expect(sharp.version).toBe('0.35.5');
    expect(existsSync(path.join(modules, '@img', 'sharp-linux-arm64', 'lib', 'sharp-linux-arm64-0.35.5.node'))).toBe(true);
  });

  it('ships nothing but the manifest and node_modules, without sources or npm bookkeeping', () => {
    const root = layerDir();

    expect(readdirSync(root)).toEqual(['nodejs']);
    expect(readdirSync(path.join(root, 'nodejs')).sort()).toEqual(['node_modules', 'package.json']);
    expect(existsSync(path.join(root, 'nodejs', 'node_modules', 'sharp', 'src'))).toBe(false);
    expect(existsSync(path.join(root, 'nodejs', 'node_modules', '.package-lock.json'))).toBe(false);
  });
});
