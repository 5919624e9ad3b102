import { execFile, execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createSocket } from 'node:dgram';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { EVENT_STREAM_SERDE, SDK_MODULES_NOT_LOADED_ON_LAMBDA } from '../../infra/bundling';
import type { AppFunction } from '../../infra/constructs/app-function';
import { articlesSettings } from '../../functions/articles/settings';
import { mediaSettings } from '../../functions/media/settings';
import { logicalId, resourcesOfType, synthStack, type Synthesized } from './support';

/** The functions' settings, written by their contracts as the constructs write them (the others need only defaults). */
const SETTINGS_ENV = {
  ...articlesSettings.toEnv({
    articlesTableName: 'articles',
    mediaTableName: 'media',
    pageTokenSecretId: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:page-token-AbCdEf',
    allowedOrigins: ['http://localhost:5173'],
  }),
  ...mediaSettings.toEnv({
    mediaTableName: 'media',
    uploadQuotaTableName: 'upload-quota',
    mediaBucketName: 'media-bucket',
    allowedOrigins: ['http://localhost:5173'],
    pageTokenSecretId: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:page-token-AbCdEf',
  }),
};

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

function codeDir(fn: AppFunction): string {
  const functions = resourcesOfType(synth.template, 'AWS::Lambda::Function');
  const code = functions[logicalId(fn.function)]?.Code as { S3Key: string };
  return assetDir(code.S3Key);
}

const FUNCTIONS = ['thumbnail', 'labels', 'moderation', 'record', 'articles', 'media'] as const;
type FunctionName = (typeof FUNCTIONS)[number];

function functionNamed(name: FunctionName): AppFunction {
  const { pipeline, api } = synth.stack;
  const byName: Record<FunctionName, AppFunction> = {
    thumbnail: pipeline.thumbnail,
    labels: pipeline.labels,
    moderation: pipeline.moderation,
    record: pipeline.record,
    articles: api.articles.fn,
    media: api.media.fn,
  };
  return byName[name];
}

describe('function bundles', () => {
  it.each(FUNCTIONS)('ships %s as one minified file and its source map, without node_modules', (name) => {
    const files = readdirSync(codeDir(functionNamed(name))).sort();

    expect(files).toEqual(['index.js', 'index.js.map']);
  });

  it.each(FUNCTIONS.filter((name) => name !== 'thumbnail'))(
    'bundles every dependency of %s, the AWS SDK included',
    (name) => {
      const code = readFileSync(path.join(codeDir(functionNamed(name)), 'index.js'), 'utf8');

      const notBundled = runtimeRequires(code).filter((module) => !OPTIONAL.includes(module));
      expect(
        notBundled.filter(
          (module) => !SDK_MODULES_NOT_LOADED_ON_LAMBDA.includes(module) && module !== EVENT_STREAM_SERDE,
        ),
      ).toEqual([]);
    },
  );

  it.each(['labels', 'moderation', 'record', 'articles'] as const)(
    'leaves the event-stream serde out of %s, which has no S3 client',
    (name) => {
      const code = readFileSync(path.join(codeDir(functionNamed(name)), 'index.js'), 'utf8');

      // Left for an import() that only an event-streaming operation reaches; nothing imports it statically.
      expect(code).toContain(`import("${EVENT_STREAM_SERDE}")`);
      expect(code).not.toContain('":event-type"');
    },
  );

  it.each(['thumbnail', 'media'] as const)(
    'keeps the event-stream serde in the %s bundle, which its S3 client loads at init, but not its import()',
    (name) => {
      const code = readFileSync(path.join(codeDir(functionNamed(name)), 'index.js'), 'utf8');

      // The serde's own header names: bundled for the client's static import.
      expect(code).toContain('":event-type"');
      // The protocol's import() stays out (infra/bundling.ts, eventStreamSerdeOnDemand), so esbuild
      // does not wrap the serde and its dependencies in lazy initializers.
      expect(code).toContain(`import("${EVENT_STREAM_SERDE}")`);
    },
  );

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
          {
            cwd: alone,
            env: {
              PATH: process.env.PATH ?? '',
              AWS_REGION: 'eu-west-1',
              AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
            },
            encoding: 'utf8',
          },
        );

        expect(exported.trim()).toBe('function');
      } finally {
        rmSync(alone, { recursive: true, force: true });
      }
    },
  );
});

/**
 * Runs a bundle's handler in a folder with nothing beside it, its AWS SDK calls answered by a
 * local HTTP stub: proves an invocation, not only init, needs none of the modules left out.
 */
async function invokeAlone(
  bundle: string,
  event: unknown,
  answer: (target: string) => unknown,
): Promise<{ result: unknown; targets: string[]; traced: string[] }> {
  const targets: string[] = [];
  // Stands in for the X-Ray daemon: collects the names of the subsegments the function sends.
  const traced: string[] = [];
  const daemon = createSocket('udp4');
  daemon.on('message', (message) => {
    const document = message.toString('utf8').split('\n')[1];
    if (document !== undefined) traced.push(String((JSON.parse(document) as { name?: unknown }).name));
  });
  await new Promise<void>((resolve) => daemon.bind(0, '127.0.0.1', resolve));
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    request.resume();
    request.on('end', () => {
      const target = String(request.headers['x-amz-target'] ?? '');
      targets.push(target);
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      response.end(JSON.stringify(answer(target)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const alone = mkdtempSync(path.join(tmpdir(), 'bundle-invoke-'));
  try {
    copyFileSync(bundle, path.join(alone, 'index.js'));
    // stdout also carries the function's EMF metrics, so the result comes on a line of its own.
    const script =
      'require(process.argv[1]).handler(JSON.parse(process.argv[2])).then((r) => process.stdout.write("\\nRESULT " + JSON.stringify(r)))';
    const env = {
      PATH: process.env.PATH ?? '',
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_ENDPOINT_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      // As on Lambda, so the Tracer is on and the X-Ray SDK wraps the SDK call.
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
      LAMBDA_TASK_ROOT: alone,
      AWS_LAMBDA_FUNCTION_NAME: 'bundle-alone',
      _X_AMZN_TRACE_ID: 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1',
      AWS_XRAY_DAEMON_ADDRESS: `127.0.0.1:${daemon.address().port}`,
      AWS_XRAY_CONTEXT_MISSING: 'IGNORE_ERROR',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      ...SETTINGS_ENV,
    };
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        ['-e', script, path.join(alone, 'index.js'), JSON.stringify(event)],
        { cwd: alone, env },
        (error, out, err) => (error ? reject(new Error(`${error.message}\n${err}`)) : resolve(out)),
      );
    });
    const line = stdout.split('\n').find((text) => text.startsWith('RESULT '));
    // UDP from the child may still be in flight when it exits.
    await new Promise((resolve) => setTimeout(resolve, 100));
    return {
      result: line === undefined ? undefined : (JSON.parse(line.slice('RESULT '.length)) as unknown),
      targets,
      traced,
    };
  } finally {
    server.close();
    daemon.close();
    rmSync(alone, { recursive: true, force: true });
  }
}

describe('bundles invoked alone', () => {
  it('runs DetectLabels from the labels bundle with no module beside it', async () => {
    const labels = [{ Name: 'Beach', Confidence: 97.5, Parents: [] }];

    const { result, targets, traced } = await invokeAlone(
      path.join(codeDir(synth.stack.pipeline.labels), 'index.js'),
      { image: { bucket: 'media-bucket', key: 'derived/m1/00A1/analysis.jpg' } },
      () => ({ Labels: labels }),
    );

    expect(targets).toEqual(['RekognitionService.DetectLabels']);
    expect(result).toMatchObject({ labels: [{ name: 'Beach', confidence: 97.5 }] });
    expect(traced).toContain('Rekognition');
  });

  it('runs a DynamoDB UpdateItem from the record bundle with no module beside it', async () => {
    const upload = {
      bucket: 'media-bucket',
      key: 'uploads/alice/m1',
      size: 10,
      etag: 'b1946ac92492d2347c6235b4d2611184',
      sequencer: '00617F08299329D189',
    };

    const { result, targets, traced } = await invokeAlone(
      path.join(codeDir(synth.stack.pipeline.record), 'index.js'),
      {
        action: 'failure',
        upload,
        error: { Error: 'CorruptImageError', Cause: '{"errorMessage":"Image cannot be decoded"}' },
      },
      () => ({}),
    );

    expect(targets).toEqual(['DynamoDB_20120810.UpdateItem']);
    expect(result).toEqual({ written: true, mediaId: 'm1', status: 'FAILED' });
    expect(traced).toContain('DynamoDB');
  });
  it('signs rendition URLs from the media bundle with no module beside it', async () => {
    const S = (value: string) => ({ S: value });
    const N = (value: number) => ({ N: String(value) });
    const rendition = {
      M: {
        name: S('large'),
        width: N(1280),
        height: N(960),
        format: S('webp'),
        key: S('derived/m1/00A1/large.webp'),
        bytes: N(9000),
      },
    };
    const item = {
      mediaId: S('m1'),
      ownerId: S('alice'),
      status: S('READY'),
      original: {
        M: {
          key: S('uploads/alice/m1'),
          bytes: N(20000),
          contentType: S('image/jpeg'),
          width: N(4000),
          height: N(3000),
        },
      },
      renditions: { L: [rendition] },
      labels: { L: [] },
      moderation: { M: { verdict: S('APPROVED'), labels: { L: [] } } },
      createdAt: S('2026-05-01T09:00:00.000Z'),
      updatedAt: S('2026-05-01T09:01:00.000Z'),
    };
    const event = {
      httpMethod: 'GET',
      resource: '/media/{id}',
      path: '/media/m1',
      pathParameters: { id: 'm1' },
      headers: {},
      requestContext: { requestId: 'r1' },
    };

    const { result, targets, traced } = await invokeAlone(
      path.join(codeDir(synth.stack.api.media.fn), 'index.js'),
      event,
      () => ({ Item: item }),
    );

    expect(targets).toEqual(['DynamoDB_20120810.GetItem']);
    const response = result as { statusCode: number; body: string };
    expect(response.statusCode).toBe(200);
    const url = new URL((JSON.parse(response.body) as { renditions: { url: string }[] }).renditions[0]?.url ?? '');
    // Path style: the stub's endpoint host is an IP address, as the SDK would address it.
    expect(url.pathname).toBe('/media-bucket/derived/m1/00A1/large.webp');
    expect(url.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    expect(traced).toContain('DynamoDB');
  });

  it('signs a presigned POST and writes the PENDING record from the media bundle with no module beside it', async () => {
    const event = {
      httpMethod: 'POST',
      resource: '/media/uploads',
      path: '/media/uploads',
      pathParameters: null,
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ contentType: 'image/jpeg', contentLength: 1000 }),
      requestContext: { requestId: 'r1', authorizer: { claims: { sub: 'alice' } } },
    };

    const { result, targets } = await invokeAlone(
      path.join(codeDir(synth.stack.api.media.fn), 'index.js'),
      event,
      () => ({}),
    );

    // The daily quota is counted first, then the PENDING record is written.
    expect(targets).toEqual(['DynamoDB_20120810.UpdateItem', 'DynamoDB_20120810.PutItem']);
    const response = result as { statusCode: number; body: string };
    expect(response.statusCode).toBe(201);
    const upload = JSON.parse(response.body) as { fields: Record<string, string> };
    expect(upload.fields.key).toMatch(/^uploads\/alice\/[\w-]+$/);
    expect(upload.fields['X-Amz-Signature']).toMatch(/^[0-9a-f]{64}$/);
  });

  it('reads an article from the articles bundle with no module beside it', async () => {
    const event = {
      httpMethod: 'GET',
      resource: '/articles/{id}',
      path: '/articles/a1',
      pathParameters: { id: 'a1' },
      headers: {},
      requestContext: { requestId: 'r1' },
    };

    const { result, targets, traced } = await invokeAlone(
      path.join(codeDir(synth.stack.api.articles.fn), 'index.js'),
      event,
      () => ({}),
    );

    expect(targets).toEqual(['DynamoDB_20120810.GetItem']);
    expect((result as { statusCode: number }).statusCode).toBe(404);
    expect(traced).toContain('DynamoDB');
  });
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
    expect(existsSync(path.join(modules, '@img', 'sharp-linux-arm64', 'lib', 'sharp-linux-arm64-0.35.5.node'))).toBe(
      true,
    );
  });

  it('ships nothing but the manifest and node_modules, without sources or npm bookkeeping', () => {
    const root = layerDir();

    expect(readdirSync(root)).toEqual(['nodejs']);
    expect(readdirSync(path.join(root, 'nodejs')).sort()).toEqual(['node_modules', 'package.json']);
    expect(existsSync(path.join(root, 'nodejs', 'node_modules', 'sharp', 'src'))).toBe(false);
    expect(existsSync(path.join(root, 'nodejs', 'node_modules', '.package-lock.json'))).toBe(false);
  });
});
