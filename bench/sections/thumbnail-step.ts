import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { runAsChild } from '../lib/child';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { applyEnvironment, stepEnvironment } from '../lib/handler-env';
import { plainSharpRenditions } from '../lib/plain-sharp';
import { VARIANTS, type ThumbnailStepResult, type Variant } from '../lib/variants';

/*
 * Child process: the real thumbnail handler against the S3 emulator (started in a process of its
 * own by s3-emulator-process.ts: S3 is remote in production, so its work must not share the
 * handler's event loop), timed against the same
 * transforms from memory (the pure core with a no-op writer, and plain sharp). Variants run back to
 * back in a rotating order inside each iteration, so a noisy neighbour hits all of them alike.
 *
 * argv: resultFile runs name=file ...
 */

const REGION = 'us-east-1';
const BUCKET = 'bench-media';

async function startEmulatorProcess(): Promise<{ endpoint: string; child: ChildProcess }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(__dirname, 's3-emulator-process.ts'), BUCKET, REGION],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const stdout = child.stdout;
  if (stdout === null) throw new Error('S3 emulator process has no stdout');
  const line = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`S3 emulator process exited with ${code}`)));
    createInterface({ input: stdout }).once('line', resolve);
  });
  return { endpoint: (JSON.parse(line) as { endpoint: string }).endpoint, child };
}

interface S3Call {
  command: string;
  start: number;
  end: number;
}

/**
 * Wraps send() to record every S3 call's start and end (what the emulator costs the handler). A
 * GetObject ends when its body has been read to the end, not when send() resolves with the headers.
 */
function recordSends(s3: S3Client): S3Call[] {
  const calls: S3Call[] = [];
  const send = s3.send.bind(s3) as (command: unknown) => Promise<unknown>;
  (s3 as unknown as { send: (command: unknown) => Promise<unknown> }).send = async (command) => {
    const name = (command as { constructor: { name: string } }).constructor.name;
    const start = performance.now();
    const response = await send(command);
    const body = (response as { Body?: unknown }).Body;
    if (body instanceof Readable) {
      body.once('end', () => calls.push({ command: name, start, end: performance.now() }));
    } else {
      calls.push({ command: name, start, end: performance.now() });
    }
    return response;
  };
  return calls;
}

async function measure([runsArg, ...pairs]: string[]): Promise<ThumbnailStepResult> {
  if (runsArg === undefined) throw new Error('usage: thumbnail-step resultFile runs name=file ...');
  const runs = Number(runsArg);

  const emulator = await startEmulatorProcess();
  applyEnvironment(stepEnvironment(REGION, { AWS_ENDPOINT_URL_S3: emulator.endpoint }));
  // Imported after the environment is set, as Lambda would load the module.
  const { createHandler, DERIVED_CACHE_CONTROL } = await import('../../functions/thumbnail/handler');
  const { createRenditions } = await import('../../functions/thumbnail/renditions');

  const s3 = new S3Client({
    region: REGION,
    endpoint: emulator.endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const handler = createHandler({ s3 });
  const calls = recordSends(s3);
  const noop = async (): Promise<void> => undefined;

  const result: ThumbnailStepResult = { runs, images: [] };
  try {
    for (const pair of pairs) {
      const [name, file] = pair.split('=');
      if (name === undefined || file === undefined) throw new Error(`bad input ${pair}`);
      const bytes = await readFile(file);
      const mediaId = `bench-${name}`;
      const key = `uploads/bench-owner/${mediaId}`;
      const put = await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: bytes }));
      // The object's ETag as an S3 event carries it (unquoted): the handler reads with If-Match on it.
      const etag = (put.ETag ?? '').replace(/^"(.*)"$/, '$1');
      const s3Calls: ThumbnailStepResult['images'][number]['s3'] = { getMs: [], lastPutMs: [] };
      let sequence = 0;
      const event = () => ({
        upload: {
          bucket: BUCKET,
          key,
          size: bytes.length,
          etag,
          sequencer: (++sequence).toString(16).padStart(16, '0'),
        },
      });

      let outputs = 0;
      const timed: Record<Variant, () => Promise<unknown>> = {
        handler: async () => {
          const out = await handler(event());
          outputs = out.renditions.length + 1;
        },
        sdkAroundCore: async () => {
          const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key, IfMatch: `"${etag}"` }));
          const body = got.Body;
          if (body === undefined) throw new Error('GetObject returned no body');
          const input = Buffer.from(await body.transformToByteArray());
          const folder = `derived/${mediaId}/sdk-${++sequence}/`;
          await createRenditions(input, { maxInputPixels: 100_000_000 }, async (image) => {
            await s3.send(
              new PutObjectCommand({
                Bucket: BUCKET,
                Key: folder + image.fileName,
                Body: image.data,
                ContentType: image.contentType,
                CacheControl: DERIVED_CACHE_CONTROL,
              }),
            );
          });
        },
        core: () => createRenditions(bytes, { maxInputPixels: 100_000_000 }, noop),
        plainSharp: () => plainSharpRenditions(bytes),
      };

      // One untimed handler run per input: first-call costs (SDK connection, libvips and the
      // format's decoder initialising) are not the steady state.
      await timed.handler();
      const samples: Record<Variant, number[]> = { handler: [], sdkAroundCore: [], core: [], plainSharp: [] };
      const cpu: Record<Variant, number[]> = { handler: [], sdkAroundCore: [], core: [], plainSharp: [] };
      for (let run = 0; run < runs; run++) {
        for (let k = 0; k < VARIANTS.length; k++) {
          const variant = VARIANTS[(run + k) % VARIANTS.length] as Variant;
          calls.length = 0;
          const cpuBefore = process.cpuUsage();
          const started = performance.now();
          await timed[variant]();
          const ended = performance.now();
          const cpuUsed = process.cpuUsage(cpuBefore);
          samples[variant].push(ended - started);
          cpu[variant].push((cpuUsed.user + cpuUsed.system) / 1000);
          if (variant === 'handler') {
            const get = calls.find((c) => c.command === 'GetObjectCommand');
            const lastPut = calls.filter((c) => c.command === 'PutObjectCommand').sort((a, b) => b.end - a.end)[0];
            s3Calls.getMs.push(get ? get.end - get.start : Number.NaN);
            s3Calls.lastPutMs.push(lastPut ? lastPut.end - lastPut.start : Number.NaN);
          }
        }
      }
      result.images.push({ name, bytes: bytes.length, samples, cpuMs: cpu, outputs, s3: s3Calls });
    }
  } finally {
    s3.destroy();
    emulator.child.stdin?.end();
    await new Promise((resolve) => emulator.child.once('exit', resolve));
  }
  return result;
}

runAsChild(measure);
