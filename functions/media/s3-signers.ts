import { createHash, createHmac } from 'node:crypto';
import type { Hash, Hmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { signPostPolicy } from './post-policy';
import type { SigningCredentials } from './post-policy';
import type { DownloadSigner, PresignedUpload, UploadRequest, UploadSigner } from './ports';
import { bucketEndpoint, formatUrl, objectPath } from './s3-addressing';
import type { BucketEndpoint, S3Addressing } from './s3-addressing';

/**
 * The S3 adapters of the signing ports. Signing is local computation (SigV4 over credentials the
 * function already holds), so these build the URLs and sign them without an S3 client: the
 * client, its endpoint rule set and its middleware would be most of this function's bundle and
 * cold start, for no request ever sent. The outputs are those of `createPresignedPost` and
 * `getSignedUrl` over the S3 client of ../shared/s3-client.ts, which
 * test/unit/media/sdk-equality.test.ts checks against the SDK itself.
 */

/** Resolved before each signature, so rotated credentials are used; memoising is the provider's job. */
export type CredentialsProvider = () => Promise<SigningCredentials>;

export interface S3SignerOptions {
  bucket: string;
  addressing: S3Addressing;
  credentials: CredentialsProvider;
  /** @default the system clock */
  now?: () => Date;
}

type Bytes = string | ArrayBuffer | ArrayBufferView;

function toBuffer(data: Bytes): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}

/** SHA-256 / HMAC-SHA-256 in the shape the SigV4 signer takes, on node:crypto. */
export class NodeSha256 {
  private hash: Hash | Hmac;

  constructor(private readonly secret?: Bytes) {
    this.hash = this.create();
  }

  update(chunk: Uint8Array): void {
    this.hash.update(chunk);
  }

  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.hash.digest()));
  }

  reset(): void {
    this.hash = this.create();
  }

  private create(): Hash | Hmac {
    return this.secret === undefined ? createHash('sha256') : createHmac('sha256', toBuffer(this.secret));
  }
}

/**
 * Presigned POST for browser uploads. Unlike a presigned PUT, its policy can bound the size
 * (`content-length-range`), and it pins the exact key and Content-Type, so a client cannot
 * upload elsewhere, as another type, or more bytes than it declared.
 */
export class S3UploadSigner implements UploadSigner {
  private readonly url: string;
  private readonly now: () => Date;

  constructor(private readonly options: S3SignerOptions) {
    // The POST goes to the bucket itself, the key being a form field.
    this.url = formatUrl(bucketEndpoint(options.bucket, options.addressing));
    this.now = options.now ?? (() => new Date());
  }

  async signUpload(request: UploadRequest): Promise<PresignedUpload> {
    const credentials = await this.options.credentials();
    const { fields, expiration } = signPostPolicy(
      {
        bucket: this.options.bucket,
        key: request.key,
        conditions: [
          ['eq', '$key', request.key],
          ['eq', '$Content-Type', request.contentType],
          ['content-length-range', request.minBytes, request.maxBytes],
        ],
        // Returned to the client as form fields, so it sends exactly what the policy expects.
        fields: { 'Content-Type': request.contentType },
        expiresInSeconds: request.expiresInSeconds,
      },
      { credentials, region: this.options.addressing.region, signingDate: this.now() },
    );
    return { url: this.url, fields, expiresAt: expiration };
  }
}

/**
 * Short-lived GET URLs for renditions under `derived/`: a SigV4 query-string presign of GetObject,
 * made as the SDK's S3 presigner makes it (S3 signs unescaped paths, no payload checksum, the
 * payload declared UNSIGNED-PAYLOAD, Content-Type never signed) with the SigV4 signer directly.
 */
export class S3DownloadSigner implements DownloadSigner {
  private readonly endpoint: BucketEndpoint;
  private readonly signer: SignatureV4;
  private readonly now: () => Date;

  constructor(options: S3SignerOptions) {
    this.endpoint = bucketEndpoint(options.bucket, options.addressing);
    this.signer = new SignatureV4({
      credentials: options.credentials,
      region: options.addressing.region,
      service: 's3',
      sha256: NodeSha256,
      uriEscapePath: false,
      applyChecksum: false,
    });
    this.now = options.now ?? (() => new Date());
  }

  async signDownload(key: string, expiresInSeconds: number): Promise<string> {
    const { protocol, hostname, port } = this.endpoint;
    const presigned = await this.signer.presign(
      {
        method: 'GET',
        protocol,
        hostname,
        ...(port === undefined ? {} : { port }),
        path: objectPath(this.endpoint, key),
        // The SDK tags every S3 request with its operation; kept (and signed) so the URL is the SDK's own.
        query: { 'x-id': 'GetObject' },
        headers: {
          host: port === undefined ? hostname : `${hostname}:${port}`,
          'X-Amz-Content-Sha256': 'UNSIGNED-PAYLOAD',
        },
      },
      { expiresIn: expiresInSeconds, signingDate: this.now(), unsignableHeaders: new Set(['content-type']) },
    );
    const query: Record<string, string> = {};
    for (const [name, value] of Object.entries(presigned.query ?? {}))
      if (typeof value === 'string') query[name] = value;
    return formatUrl({ protocol, hostname, ...(port === undefined ? {} : { port }), path: presigned.path, query });
  }
}
