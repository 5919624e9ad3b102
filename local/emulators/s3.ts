import { AsyncLocalStorage } from 'node:async_hooks';
import { createServer } from 'node:http';
import S3rver from 's3rver';
import type { S3RequestInfo, S3rverRecord } from '../events/object-created';
import { listenOnLoopback } from '../listen';
import { LOOPBACK } from '../settings';

export interface S3Emulator {
  endpoint: string;
  port: number;
  close(): Promise<void>;
}

export interface S3EmulatorOptions {
  port: number;
  /** s3rver always stores on disk: a temporary folder, or the user's --data-dir. */
  directory: string;
  bucket: string;
  /** Called for every record s3rver emits, with the request that caused it. */
  onRecord(record: S3rverRecord, request: S3RequestInfo | undefined): void;
}

/** Browsers upload with the presigned POST from another origin; the real bucket has CORS for it too. */
const BUCKET_CORS = `<CORSConfiguration>
  <CORSRule>
    <AllowedOrigin>*</AllowedOrigin>
    <AllowedMethod>GET</AllowedMethod>
    <AllowedMethod>HEAD</AllowedMethod>
    <AllowedMethod>POST</AllowedMethod>
    <AllowedHeader>*</AllowedHeader>
    <ExposeHeader>ETag</ExposeHeader>
    <MaxAgeSeconds>3000</MaxAgeSeconds>
  </CORSRule>
</CORSConfiguration>`;

interface S3rverEvent {
  Records?: S3rverRecord[];
}

export async function startS3Emulator(options: S3EmulatorOptions): Promise<S3Emulator> {
  const s3rver = new S3rver({
    address: LOOPBACK,
    port: options.port,
    directory: options.directory,
    silent: true,
    // Path-style only: vhost matching would treat "127.0.0.1" oddly and the SDK is set to path style.
    vhostBuckets: false,
    configureBuckets: [{ name: options.bucket, configs: [BUCKET_CORS] }],
  });

  // s3rver's records cannot tell a multipart completion from a form POST. Each request runs in
  // its own async context, so the listener can see which request produced the record.
  const requests = new AsyncLocalStorage<S3RequestInfo>();
  const emitter = s3rver as unknown as NodeJS.EventEmitter;
  emitter.on('event', (event: S3rverEvent) => {
    for (const record of event.Records ?? []) options.onRecord(record, requests.getStore());
  });
  // Koa emits 'error' for every failed request; without a listener it would print stack traces.
  emitter.on('error', () => undefined);

  // Own HTTP server rather than s3rver.run(): a taken port must reject this promise (run() leaves
  // the listen error unhandled, which crashes the process).
  await s3rver.configureBuckets();
  const koaCallback = s3rver.callback();
  const httpServer = createServer((req, res) => {
    requests.run({ method: req.method ?? 'GET', url: req.url ?? '/' }, () => koaCallback(req, res));
  });
  const { url, port, close } = await listenOnLoopback(httpServer, options.port);
  return { endpoint: url, port, close };
}
