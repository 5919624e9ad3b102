import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
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

/** The part of s3rver's object store (lib/stores/filesystem.js) the If-Match check reads; @types/s3rver omits it. */
interface S3rverStore {
  /** Rejects when the object does not exist; `etag` is the quoted MD5 s3rver serves. */
  getMetadata(bucket: string, key: string): Promise<{ etag?: string }>;
}

/*
 * If-Match on GET and HEAD. S3 answers 412 PreconditionFailed when none of the listed entity tags
 * is the object's current ETag; s3rver 3.7.1 ignores If-Match (it implements only If-None-Match
 * and If-Modified-Since) and serves whatever is stored. The thumbnail step reads each upload with
 * If-Match on the ETag of its event and relies on that 412 to notice an upload that was replaced
 * after its event, so the twin checks If-Match itself before s3rver sees the request.
 */

/**
 * Query parameters a plain GetObject may carry: the SDK's operation hint, response header
 * overrides, a part number, presigned-URL auth. Any other one names a subresource (?acl,
 * ?tagging, ...), which If-Match does not guard here; those requests go to s3rver as they are.
 */
const GET_OBJECT_PARAMETER = /^(x-id|partNumber|response-[a-z-]+|x-amz-[a-z0-9-]+|AWSAccessKeyId|Expires|Signature)$/i;
/** s3rver's own virtual-host rule (lib/middleware/vhost.js, default serviceEndpoint): {bucket}.s3[.region].amazonaws.com. */
const VIRTUAL_HOST = /^(?:(.+)\.)?s3(-website)?([-.].+)?\.amazonaws\.com$/;

interface ConditionalRead {
  bucket: string;
  key: string;
  ifMatch: string;
}

/** The object a GET or HEAD with If-Match reads, or undefined for any other request. */
function conditionalRead(req: IncomingMessage): ConditionalRead | undefined {
  const ifMatch = req.headers['if-match'];
  if ((req.method !== 'GET' && req.method !== 'HEAD') || ifMatch === undefined) return undefined;
  const url = req.url ?? '/';
  const queryAt = url.indexOf('?');
  const path = queryAt === -1 ? url : url.slice(0, queryAt);
  const query = new URLSearchParams(queryAt === -1 ? '' : url.slice(queryAt + 1));
  if ([...query.keys()].some((name) => !GET_OBJECT_PARAMETER.test(name))) return undefined;

  // Path style (/{bucket}/{key}, what the twin's clients use) unless the Host names the bucket,
  // as s3rver decides it (it keeps its host rule even with vhostBuckets off).
  const host = VIRTUAL_HOST.exec((req.headers.host ?? '').replace(/:\d+$/, ''));
  if (host?.[2] !== undefined) return undefined; // a website endpoint: s3rver's website middleware answers
  const resource = host?.[1] !== undefined ? `${host[1]}${path}` : path.slice(1);
  const slash = resource.indexOf('/');
  if (slash <= 0 || slash === resource.length - 1) return undefined; // the service or a bucket, not an object
  try {
    return { bucket: decodeURIComponent(resource.slice(0, slash)), key: decodeURIComponent(resource.slice(slash + 1)), ifMatch };
  } catch {
    return undefined; // a malformed escape: s3rver answers it
  }
}

const unquote = (tag: string): string => tag.trim().replace(/^"(.*)"$/, '$1');

/**
 * RFC 7232: the condition holds if any listed entity tag is the current one (compared without
 * quotes, as S3 does), or the list is `*`. When the metadata cannot be read (a missing object or
 * bucket, or any store error) the request goes on to s3rver, which answers it (NoSuchKey,
 * NoSuchBucket, ...) as it would without the header. Unlike S3, the check and s3rver's read are
 * two steps: an object replaced between them is served new. The twin's tests never race that.
 */
async function ifMatchHolds(store: S3rverStore, read: ConditionalRead): Promise<boolean> {
  let etag: string | undefined;
  try {
    etag = (await store.getMetadata(read.bucket, read.key)).etag;
  } catch {
    return true;
  }
  if (etag === undefined) return true;
  const current = unquote(etag);
  return read.ifMatch.split(',').some((listed) => {
    const tag = unquote(listed);
    return tag === '*' || tag === current;
  });
}

/** S3's answer to a failed If-Match: 412 with its error document; a HEAD answer has no body. */
function answerPreconditionFailed(req: IncomingMessage, res: ServerResponse): void {
  const requestId = randomBytes(8).toString('hex').toUpperCase();
  const headers = { 'content-type': 'application/xml', 'x-amz-request-id': requestId };
  if (req.method === 'HEAD') {
    res.writeHead(412, headers).end();
    return;
  }
  const body =
    '<?xml version="1.0" encoding="UTF-8"?><Error><Code>PreconditionFailed</Code>' +
    '<Message>At least one of the pre-conditions you specified did not hold</Message>' +
    `<Condition>If-Match</Condition><RequestId>${requestId}</RequestId></Error>`;
  res.writeHead(412, { ...headers, 'content-length': Buffer.byteLength(body) }).end(body);
}

export async function startS3Emulator(options: S3EmulatorOptions): Promise<S3Emulator> {
  const s3rver = new S3rver({
    address: LOOPBACK,
    port: options.port,
    directory: options.directory,
    silent: true,
    // Path style: vhost matching would treat "127.0.0.1" oddly and the SDK is set to path style.
    // (s3rver still takes the bucket from a {bucket}.s3.amazonaws.com Host; see conditionalRead.)
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
  const store = (s3rver as unknown as { store: S3rverStore }).store;
  const toS3rver = (req: IncomingMessage, res: ServerResponse): void =>
    requests.run({ method: req.method ?? 'GET', url: req.url ?? '/' }, () => koaCallback(req, res));
  const httpServer = createServer((req, res) => {
    const read = conditionalRead(req);
    if (read === undefined) {
      toS3rver(req, res);
      return;
    }
    ifMatchHolds(store, read)
      .then((holds) => (holds ? toS3rver(req, res) : answerPreconditionFailed(req, res)))
      .catch(() => {
        // Only reached if answering itself threw; the client must still get a response.
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/xml' });
        res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code><Message>We encountered an internal error. Please try again.</Message></Error>');
      });
  });
  const { url, port, close } = await listenOnLoopback(httpServer, options.port);
  return { endpoint: url, port, close };
}
