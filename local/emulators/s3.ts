import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import S3rver from 's3rver';
import { DUMMY_ACCOUNT } from 's3rver/lib/models/account';
import type { S3RequestInfo, S3rverRecord } from '../events/object-created';
import { listenOnLoopback } from '../listen';
import {
  DEFAULT_ALLOWED_ORIGINS,
  DEFAULT_REGION,
  EMULATOR_ACCESS_KEY_ID,
  EMULATOR_SECRET_ACCESS_KEY,
  LOOPBACK,
} from '../settings';
import { S3AuthError, S3Authenticator } from './s3-auth';
import { answerListVersions, listVersionsRequest, type S3rverListingStore } from './s3-versions';
import { publishObjectsAtomically } from './s3-atomic-put';
import { ObjectVersions, type S3rverVersionedStore } from './s3-object-versions';
import { bucketCorsXml } from '../../infra/definitions/cors';

export interface S3Emulator {
  endpoint: string;
  port: number;
  /** Accepts another access key (a function's own, which names its role in a presigned request). */
  addAccessKey(accessKeyId: string, secretAccessKey: string): void;
  close(): Promise<void>;
}

export interface S3EmulatorOptions {
  port: number;
  /** s3rver always stores on disk: a temporary folder, or the user's --data-dir. */
  directory: string;
  bucket: string;
  /** Browser origins the bucket answers CORS for (the API's, as the stack's bucket has them). @default DEFAULT_ALLOWED_ORIGINS */
  allowedOrigins?: readonly string[];
  /** Called for every record s3rver emits, with the request that caused it. */
  onRecord(record: S3rverRecord, request: S3RequestInfo | undefined): void;
  /** The region SigV4 signatures must be scoped to. @default DEFAULT_REGION */
  region?: string;
  /**
   * Keeps object versions as a versioned bucket does (s3-object-versions.ts): events name each
   * object's version, and DeleteObject with a version id deletes exactly that version.
   * @default false (an unversioned bucket)
   */
  versioning?: boolean;
  /**
   * Checks every request's SigV4 signature (and a POST form's policy) before s3rver sees it.
   * @default one that knows the emulator's own access key (S3RVER / S3RVER), in `region`
   */
  authenticator?: S3Authenticator;
  /**
   * Checks a presigned request (a query-signed GET or HEAD, a form POST), once authenticated,
   * against the role of whoever signed it: the refusal's message, or undefined to let it through.
   */
  authorizeSigned?(request: SignedS3Request): Promise<string | undefined>;
}

/** A request made with someone else's signature: a presigned URL or a presigned POST form. */
export interface SignedS3Request {
  accessKeyId: string;
  action: 's3:GetObject' | 's3:PutObject';
  bucket: string;
  key: string;
  kind: 'presigned GET' | 'presigned POST';
}

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
  const object = ifMatch === undefined ? undefined : objectRead(req);
  return object === undefined || ifMatch === undefined ? undefined : { ...object, ifMatch };
}

/** The object a plain GET or HEAD reads (no subresource), or undefined for any other request. */
function objectRead(req: IncomingMessage): { bucket: string; key: string } | undefined {
  if (req.method !== 'GET' && req.method !== 'HEAD') return undefined;
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
    return { bucket: decodeURIComponent(resource.slice(0, slash)), key: decodeURIComponent(resource.slice(slash + 1)) };
  } catch {
    return undefined; // a malformed escape: s3rver answers it
  }
}

/** A DeleteObject that names a version (`DELETE /{bucket}/{key}?versionId=`), or undefined for any other request. */
function deleteVersionRequest(req: IncomingMessage): { bucket: string; key: string; versionId: string } | undefined {
  if (req.method !== 'DELETE') return undefined;
  const url = new URL(req.url ?? '/', 'http://twin');
  const versionId = url.searchParams.get('versionId');
  const match = /^\/([^/]+)\/(.+)$/.exec(url.pathname);
  if (versionId === null || versionId === '' || match?.[1] === undefined || match[2] === undefined) return undefined;
  try {
    return { bucket: decodeURIComponent(match[1]), key: decodeURIComponent(match[2]), versionId };
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

/** Text content of an XML element (quotes need no escaping there, and S3 leaves them as they are). */
const escapeXml = (text: string): string =>
  text.replace(/[<>&]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;' })[c] ?? c);

/** An error in S3's shape: the status, and (except for HEAD) its XML error document. */
function answerS3Error(
  req: IncomingMessage,
  res: ServerResponse,
  error: { status: number; code: string; message: string; details?: Readonly<Record<string, string>> },
): void {
  const requestId = randomBytes(8).toString('hex').toUpperCase();
  const headers = { 'content-type': 'application/xml', 'x-amz-request-id': requestId };
  if (req.method === 'HEAD') {
    res.writeHead(error.status, headers).end();
    return;
  }
  const details = Object.entries(error.details ?? {})
    .map(([name, value]) => `<${name}>${escapeXml(value)}</${name}>`)
    .join('');
  const body =
    `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${error.code}</Code><Message>${escapeXml(error.message)}</Message>` +
    `${details}<RequestId>${requestId}</RequestId></Error>`;
  res.writeHead(error.status, { ...headers, 'content-length': Buffer.byteLength(body) }).end(body);
}

/** S3's answer to a failed If-Match: 412 with its error document; a HEAD answer has no body. */
function answerPreconditionFailed(req: IncomingMessage, res: ServerResponse): void {
  answerS3Error(req, res, {
    status: 412,
    code: 'PreconditionFailed',
    message: 'At least one of the pre-conditions you specified did not hold',
    details: { Condition: 'If-Match' },
  });
}

/*
 * Browser-form uploads (POST to the bucket, multipart/form-data). The whole form is read (held in
 * memory, so up to FORM_MAX_BYTES; S3 takes up to 5 GB), its signature and policy checked, and
 * only then is it handed to s3rver, replayed from memory.
 */
const FORM_MAX_BYTES = 256 * 1024 * 1024;

/** The bucket a form POST goes to (path style: /{bucket}), or undefined for any other request. */
function formPostBucket(req: IncomingMessage, path: string): string | undefined {
  if (req.method !== 'POST' || !/^multipart\/form-data\s*;/i.test(req.headers['content-type'] ?? '')) return undefined;
  const match = /^\/([^/]+)\/?$/.exec(path);
  if (!match?.[1]) return undefined;
  try {
    return decodeURIComponent(match[1]);
  } catch {
    return undefined;
  }
}

function readAll(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(
          new S3AuthError(400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size', {
            MaxSizeAllowed: String(limit),
          }),
        );
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** The fields before the file part, and the file's size, parsed by the platform's multipart parser. */
async function parseForm(
  body: Buffer,
  contentType: string,
  bucket: string,
): Promise<{ bucket: string; fields: [string, string][]; fileSize: number }> {
  let entries: FormData;
  try {
    entries = await new Response(body, { headers: { 'content-type': contentType } }).formData();
  } catch {
    throw new S3AuthError(
      400,
      'MalformedPOSTRequest',
      'The body of your POST request is not well-formed multipart/form-data.',
    );
  }
  const fields: [string, string][] = [];
  for (const [name, value] of entries) {
    if (name === 'file')
      return { bucket, fields, fileSize: typeof value === 'string' ? Buffer.byteLength(value) : value.size };
    fields.push([name, typeof value === 'string' ? value : '']);
  }
  throw new S3AuthError(400, 'InvalidArgument', 'POST requires exactly one file upload per request.', {
    ArgumentName: 'file',
    ArgumentValue: '0',
  });
}

/** The request again, its body from memory: s3rver reads it as it would read the socket. */
function replay(req: IncomingMessage, body: Buffer): IncomingMessage {
  const copy = Readable.from([body]);
  return Object.assign(copy, {
    method: req.method,
    url: req.url,
    headers: req.headers,
    rawHeaders: req.rawHeaders,
    httpVersion: req.httpVersion,
    httpVersionMajor: req.httpVersionMajor,
    httpVersionMinor: req.httpVersionMinor,
    socket: req.socket,
    complete: true,
    trailers: {},
    rawTrailers: [],
  }) as unknown as IncomingMessage;
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
    // The stack's CORS rule for the bucket (infra/definitions/cors.ts), for the same origins.
    configureBuckets: [
      { name: options.bucket, configs: [bucketCorsXml(options.allowedOrigins ?? DEFAULT_ALLOWED_ORIGINS)] },
    ],
  });

  // s3rver's records cannot tell a multipart completion from a form POST. Each request runs in
  // its own async context, so the listener can see which request produced the record.
  const requests = new AsyncLocalStorage<S3RequestInfo>();
  const emitter = s3rver as unknown as NodeJS.EventEmitter;
  emitter.on('event', (event: S3rverEvent) => {
    for (const record of event.Records ?? []) {
      // s3rver emits right after its store wrote the object: the current version is this one.
      const versionId = record.eventName.startsWith('ObjectCreated:')
        ? objectVersions?.currentVersionId(record.s3.bucket.name, record.s3.object.key)
        : undefined;
      if (versionId !== undefined) record.s3.object.versionId = versionId;
      options.onRecord(record, requests.getStore());
    }
  });
  // Koa emits 'error' for every failed request; without a listener it would print stack traces.
  emitter.on('error', () => undefined);

  // Own HTTP server rather than s3rver.run(): a taken port must reject this promise (run() leaves
  // the listen error unhandled, which crashes the process).
  await s3rver.configureBuckets();
  const koaCallback = s3rver.callback();
  const store = (s3rver as unknown as { store: S3rverStore & S3rverListingStore & S3rverVersionedStore }).store;
  // As S3 does: an object is replaced whole, never seen (or left by a crash) half-written.
  publishObjectsAtomically(store);
  const objectVersions = options.versioning === true ? new ObjectVersions(store) : undefined;
  const toS3rver = (req: IncomingMessage, res: ServerResponse): void =>
    requests.run({ method: req.method ?? 'GET', url: req.url ?? '/' }, () => koaCallback(req, res));
  const secrets = new Map([[EMULATOR_ACCESS_KEY_ID, EMULATOR_SECRET_ACCESS_KEY]]);
  const authenticator =
    options.authenticator ?? new S3Authenticator({ region: options.region ?? DEFAULT_REGION, secrets });
  const refuse = (req: IncomingMessage, res: ServerResponse, message: string): void =>
    answerS3Error(req, res, { status: 403, code: 'AccessDenied', message });

  /** Authenticates, then hands the request (or its replay) to s3rver, through the If-Match check. */
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // CORS preflights carry no credentials, on S3 too; s3rver answers them from the bucket's CORS.
    if (req.method === 'OPTIONS') {
      toS3rver(req, res);
      return;
    }
    const url = req.url ?? '/';
    const queryAt = url.indexOf('?');
    const path = queryAt === -1 ? url : url.slice(0, queryAt);
    const formBucket = formPostBucket(req, path);
    if (formBucket !== undefined) {
      const body = await readAll(req, FORM_MAX_BYTES);
      const form = await parseForm(body, req.headers['content-type'] ?? '', formBucket);
      const identity = await authenticator.authenticateForm(form);
      const key = form.fields.find(([name]) => name.toLowerCase() === 'key')?.[1];
      const refusal =
        key === undefined
          ? undefined
          : await options.authorizeSigned?.({
              accessKeyId: identity.accessKeyId,
              action: 's3:PutObject',
              bucket: form.bucket,
              key,
              kind: 'presigned POST',
            });
      if (refusal !== undefined) refuse(req, res, refusal);
      else toS3rver(replay(req, body), res);
      return;
    }
    const identity = await authenticator.authenticateRequest({
      method: req.method ?? 'GET',
      path,
      query: queryAt === -1 ? '' : url.slice(queryAt + 1),
      headers: req.headers,
    });
    const object = identity.via === 'query' ? objectRead(req) : undefined;
    if (object !== undefined && options.authorizeSigned !== undefined) {
      const refusal = await options.authorizeSigned({
        accessKeyId: identity.accessKeyId,
        action: 's3:GetObject',
        ...object,
        kind: 'presigned GET',
      });
      if (refusal !== undefined) {
        refuse(req, res, refusal);
        return;
      }
    }
    // s3rver answers ListObjectVersions 405; the twin answers it as S3 does for an unversioned bucket.
    const versions = listVersionsRequest(req);
    if (versions !== undefined) {
      await answerListVersions(store, versions, res);
      return;
    }
    const versionDelete = deleteVersionRequest(req);
    if (objectVersions !== undefined && versionDelete !== undefined) {
      await objectVersions.deleteVersion(versionDelete.bucket, versionDelete.key, versionDelete.versionId);
      res
        .writeHead(204, {
          'x-amz-version-id': versionDelete.versionId,
          'x-amz-request-id': randomBytes(8).toString('hex').toUpperCase(),
        })
        .end();
      return;
    }
    const read = conditionalRead(req);
    if (read !== undefined && !(await ifMatchHolds(store, read))) {
      answerPreconditionFailed(req, res);
      return;
    }
    toS3rver(req, res);
  }

  const httpServer = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (error instanceof S3AuthError) {
        answerS3Error(req, res, {
          status: error.status,
          code: error.code,
          message: error.message,
          details: error.details,
        });
        return;
      }
      // Only reached if answering itself threw; the client must still get a response.
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/xml' });
      res.end(
        '<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code><Message>We encountered an internal error. Please try again.</Message></Error>',
      );
    });
  });
  const { url, port, close } = await listenOnLoopback(httpServer, options.port);
  const addAccessKey = (accessKeyId: string, secretAccessKey: string): void => {
    secrets.set(accessKeyId, secretAccessKey);
    // s3rver's one account holds the access keys s3rver itself accepts.
    DUMMY_ACCOUNT.createKeyPair(accessKeyId, secretAccessKey);
  };
  return { endpoint: url, port, close, addAccessKey };
}
