import { createHash, createHmac } from 'node:crypto';
import type { Hash, Hmac } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { HttpRequest, QueryParameterBag } from '@smithy/types';

/**
 * Authentication of the twin's S3, as S3 does it: every request but a CORS preflight must carry a
 * valid AWS Signature Version 4, in the Authorization header (SDK clients, the AWS CLI), in the
 * query string (presigned URLs) or in a browser form (presigned POST, whose policy is enforced
 * too). s3rver 3.7.1 checks none of this (it accepts SigV4 without computing it, and anonymous
 * requests), so the twin's front (./s3.ts) asks this module before s3rver sees a request.
 *
 * Signatures are recomputed with @smithy/signature-v4, the signer the SDK itself uses: the
 * request is rebuilt from what the client says it signed (SignedHeaders, the query, the declared
 * payload hash) and signed again with the secret of the access key named in the credential
 * scope; the result must be the signature given. What is verified is the signature over the
 * declared `x-amz-content-sha256`; that the body matches that hash is not checked (S3 checks it).
 *
 * The result is who signed: the access key id (and how), for an authorisation step to decide
 * what that identity may do.
 */

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

export interface S3Identity {
  accessKeyId: string;
  /** How the request proved it: an Authorization header, a presigned URL, a POST form's policy, or SigV2 (checked by s3rver). */
  via: 'header' | 'query' | 'post-policy' | 'sigv2';
}

/** A refusal in S3's terms: the status, the error code and message of S3's XML error document. */
export class S3AuthError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'S3AuthError';
  }
}

export interface S3AuthenticatorOptions {
  /** The region signatures must be scoped to (S3 refuses another region's scope). */
  region: string;
  /** Secret access key of each access key id the twin knows. */
  secrets: ReadonlyMap<string, string>;
  /** @default the system clock */
  now?: () => Date;
}

/** The parts of an HTTP request authentication reads. */
export interface S3RequestFacts {
  method: string;
  /** The path as sent (still percent-encoded), without the query string. */
  path: string;
  /** The raw query string, without `?`. */
  query: string;
  headers: IncomingHttpHeaders;
}

/** A browser-form POST: the fields before the file part (S3 ignores the rest) and the file's size. */
export interface S3PostForm {
  bucket: string;
  fields: readonly (readonly [string, string])[];
  fileSize: number;
}

const ALGORITHM = 'AWS4-HMAC-SHA256';
const SERVICE = 's3';
/** S3 refuses a header-signed request whose time is more than 15 minutes off. */
const MAX_SKEW_MS = 15 * 60 * 1000;
/** The longest a presigned URL may live: seven days. */
const MAX_EXPIRES_SECONDS = 604_800;
const QUERY_AUTH_PARAMETERS = [
  'X-Amz-Algorithm',
  'X-Amz-Credential',
  'X-Amz-Date',
  'X-Amz-Expires',
  'X-Amz-SignedHeaders',
  'X-Amz-Signature',
  'X-Amz-Security-Token',
];
/** Form fields no policy condition has to name. */
const FORM_FIELDS_NOT_IN_POLICY = new Set(['policy', 'x-amz-signature', 'file']);

const accessDenied = (message = 'Access Denied') => new S3AuthError(403, 'AccessDenied', message);
const signatureMismatch = (accessKeyId: string) =>
  new S3AuthError(
    403,
    'SignatureDoesNotMatch',
    'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
    { AWSAccessKeyId: accessKeyId },
  );

interface CredentialScope {
  accessKeyId: string;
  shortDate: string;
  region: string;
}

/** `AKID/20261202/eu-west-1/s3/aws4_request`. */
function parseCredential(credential: string): CredentialScope | undefined {
  const parts = credential.split('/');
  if (parts.length !== 5 || parts[3] !== SERVICE || parts[4] !== 'aws4_request') return undefined;
  const [accessKeyId = '', shortDate = '', region = ''] = parts;
  if (accessKeyId === '' || !/^\d{8}$/.test(shortDate) || region === '') return undefined;
  return { accessKeyId, shortDate, region };
}

/** `20261202T071434Z` as a Date. */
function parseAmzDate(value: string | undefined): Date | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value ?? '');
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s] = match.map(Number) as [number, number, number, number, number, number, number];
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** The query as the signer takes it: decoded names and values, a repeated name as a list. */
function parseQuery(query: string): QueryParameterBag {
  const bag: Record<string, string | string[]> = Object.create(null) as Record<string, string | string[]>;
  for (const [name, value] of new URLSearchParams(query)) {
    const existing = bag[name];
    if (existing === undefined) bag[name] = value;
    else bag[name] = Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  return { ...bag };
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

/** Constant-time enough for a local emulator; the point is the comparison, not timing. */
const sameSignature = (a: string | undefined, b: string): boolean =>
  a !== undefined && a.toLowerCase() === b.toLowerCase();

export class S3Authenticator {
  private readonly now: () => Date;

  constructor(private readonly options: S3AuthenticatorOptions) {
    this.now = options.now ?? (() => new Date());
  }

  /**
   * Who signed this request (header or query SigV4, or SigV2 left to s3rver); throws S3AuthError
   * for an anonymous, malformed, expired or wrongly signed request. CORS preflights are not
   * authenticated (the caller lets them through).
   */
  async authenticateRequest(request: S3RequestFacts): Promise<S3Identity> {
    const authorization = headerValue(request.headers, 'authorization');
    const query = parseQuery(request.query);
    const queryAlgorithm = query['X-Amz-Algorithm'];
    if (authorization !== undefined && queryAlgorithm !== undefined) {
      throw new S3AuthError(
        400,
        'InvalidArgument',
        'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified',
      );
    }
    if (authorization !== undefined) return this.authenticateHeader(request, authorization, query);
    if (queryAlgorithm !== undefined) return this.authenticateQuery(request, query);
    const v2Key = query.AWSAccessKeyId;
    if (typeof v2Key === 'string' && query.Signature !== undefined) {
      // SigV2 presigned URLs: s3rver computes and checks these itself.
      return { accessKeyId: v2Key, via: 'sigv2' };
    }
    throw accessDenied();
  }

  /** Who signed this POST form; throws S3AuthError when its signature or its policy refuses it. */
  async authenticateForm(form: S3PostForm): Promise<S3Identity> {
    // Field names are case-insensitive; the first of a repeated name counts.
    const fields = new Map<string, string>();
    for (const [name, value] of form.fields) if (!fields.has(name.toLowerCase())) fields.set(name.toLowerCase(), value);
    const policy = fields.get('policy');
    const signature = fields.get('x-amz-signature');
    if (policy === undefined && signature === undefined && fields.get('awsaccesskeyid') === undefined) {
      throw accessDenied(); // an anonymous write
    }
    if (policy === undefined || signature === undefined || fields.get('x-amz-algorithm') !== ALGORITHM) {
      throw new S3AuthError(
        400,
        'InvalidArgument',
        'Bucket POST must contain a Policy, X-Amz-Algorithm AWS4-HMAC-SHA256, X-Amz-Credential, X-Amz-Date and X-Amz-Signature field',
      );
    }
    const scope = this.scope(fields.get('x-amz-credential') ?? '', 'InvalidArgument');
    const signingDate = parseAmzDate(fields.get('x-amz-date'));
    if (signingDate === undefined || signingDate.toISOString().slice(0, 10).replace(/-/g, '') !== scope.shortDate) {
      throw new S3AuthError(
        400,
        'InvalidArgument',
        'X-Amz-Date must be the date of the X-Amz-Credential scope, as YYYYMMDDTHHMMSSZ',
      );
    }
    const expected = await this.signer(scope).sign(policy, {
      signingDate,
      signingRegion: scope.region,
      signingService: SERVICE,
    });
    if (!sameSignature(signature, expected)) throw signatureMismatch(scope.accessKeyId);

    checkPolicy(decodePolicy(policy), form, fields, this.now());
    return { accessKeyId: scope.accessKeyId, via: 'post-policy' };
  }

  private async authenticateHeader(
    request: S3RequestFacts,
    authorization: string,
    query: QueryParameterBag,
  ): Promise<S3Identity> {
    if (/^AWS [^:\s]+:/.test(authorization)) {
      return { accessKeyId: authorization.slice(4, authorization.indexOf(':')), via: 'sigv2' }; // s3rver checks SigV2
    }
    const match =
      /^AWS4-HMAC-SHA256\s+Credential=([^,\s]+)\s*,\s*SignedHeaders=([^,\s]+)\s*,\s*Signature=([0-9a-fA-F]+)\s*$/.exec(
        authorization,
      );
    if (!match) {
      throw new S3AuthError(
        400,
        'AuthorizationHeaderMalformed',
        'The authorization header is malformed; it must be AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...',
      );
    }
    const [, credential = '', signedHeaderList = '', signature = ''] = match;
    const scope = this.scope(credential, 'AuthorizationHeaderMalformed');
    const signedHeaders = signedHeaderList.split(';');
    const signingDate = parseAmzDate(headerValue(request.headers, 'x-amz-date'));
    if (signingDate === undefined || !signedHeaders.includes('x-amz-date') || !signedHeaders.includes('host')) {
      throw new S3AuthError(
        400,
        'AuthorizationHeaderMalformed',
        'The authorization header is malformed; host and x-amz-date must be signed, x-amz-date as YYYYMMDDTHHMMSSZ',
      );
    }
    if (Math.abs(signingDate.getTime() - this.now().getTime()) > MAX_SKEW_MS) {
      throw new S3AuthError(
        403,
        'RequestTimeTooSkewed',
        'The difference between the request time and the current time is too large.',
        {
          RequestTime: signingDate.toISOString(),
          ServerTime: this.now().toISOString(),
        },
      );
    }
    if (headerValue(request.headers, 'x-amz-content-sha256') === undefined) {
      throw new S3AuthError(400, 'InvalidRequest', 'Missing required header for this request: x-amz-content-sha256');
    }
    const headers: Record<string, string> = {};
    for (const name of signedHeaders) {
      const value = headerValue(request.headers, name);
      if (value === undefined) throw signatureMismatch(scope.accessKeyId);
      headers[name] = value;
    }
    const signed = await this.signer(scope).sign(this.httpRequest(request, headers, query), {
      signingDate,
      signableHeaders: new Set(signedHeaders),
    });
    const recomputed = /Signature=([0-9a-f]+)/.exec(String(signed.headers.authorization ?? ''))?.[1] ?? '';
    if (!sameSignature(signature, recomputed)) throw signatureMismatch(scope.accessKeyId);
    return { accessKeyId: scope.accessKeyId, via: 'header' };
  }

  private async authenticateQuery(request: S3RequestFacts, query: QueryParameterBag): Promise<S3Identity> {
    const single = (name: string): string | undefined => {
      const value = query[name];
      return typeof value === 'string' ? value : undefined;
    };
    const malformed = (message: string) => new S3AuthError(400, 'AuthorizationQueryParametersError', message);
    if (single('X-Amz-Algorithm') !== ALGORITHM) throw malformed('X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"');
    const scope = this.scope(single('X-Amz-Credential') ?? '', 'AuthorizationQueryParametersError');
    const signingDate = parseAmzDate(single('X-Amz-Date'));
    const expires = Number(single('X-Amz-Expires'));
    const signedHeaders = (single('X-Amz-SignedHeaders') ?? '').split(';');
    const signature = single('X-Amz-Signature');
    if (signingDate === undefined)
      throw malformed("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"");
    if (!Number.isInteger(expires) || expires < 1 || expires > MAX_EXPIRES_SECONDS) {
      throw malformed('X-Amz-Expires must be a whole number of seconds from 1 to 604800');
    }
    if (signature === undefined || !signedHeaders.includes('host')) {
      throw malformed(
        'Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters, with host signed.',
      );
    }
    const now = this.now();
    if (now.getTime() > signingDate.getTime() + expires * 1000) {
      throw new S3AuthError(403, 'AccessDenied', 'Request has expired', {
        Expires: new Date(signingDate.getTime() + expires * 1000).toISOString(),
        ServerTime: now.toISOString(),
      });
    }

    // The query without the auth parameters the signer adds back; the payload of a presigned URL
    // is UNSIGNED-PAYLOAD unless it names a hash (kept in the query, where it was signed).
    const rest: QueryParameterBag = {};
    for (const [name, value] of Object.entries(query))
      if (!QUERY_AUTH_PARAMETERS.includes(name) && value !== null) rest[name] = value;
    const declaredPayload = Object.entries(rest).find(([name]) => name.toLowerCase() === 'x-amz-content-sha256')?.[1];
    const headers: Record<string, string> = {
      'x-amz-content-sha256': typeof declaredPayload === 'string' ? declaredPayload : 'UNSIGNED-PAYLOAD',
    };
    for (const name of signedHeaders) {
      const value = headerValue(request.headers, name);
      if (value === undefined) throw signatureMismatch(scope.accessKeyId);
      headers[name] = value;
    }
    const signedAmzHeaders = signedHeaders.filter((name) => name.startsWith('x-amz-'));
    const presigned = await this.signer(scope).presign(this.httpRequest(request, headers, rest), {
      signingDate,
      expiresIn: expires,
      signableHeaders: new Set(signedHeaders),
      // The payload hash header only carries the payload hash; x-amz-* headers that were signed stay headers.
      unsignableHeaders: new Set(signedHeaders.includes('x-amz-content-sha256') ? [] : ['x-amz-content-sha256']),
      unhoistableHeaders: new Set(['x-amz-content-sha256', ...signedAmzHeaders]),
    });
    const recomputed = presigned.query?.['X-Amz-Signature'];
    if (typeof recomputed !== 'string' || !sameSignature(signature, recomputed))
      throw signatureMismatch(scope.accessKeyId);
    return { accessKeyId: scope.accessKeyId, via: 'query' };
  }

  /** The credential scope, checked: a known access key, this twin's region, the s3 service. */
  private scope(credential: string, malformedCode: string): CredentialScope & { secretAccessKey: string } {
    const scope = parseCredential(credential);
    if (scope === undefined) {
      throw new S3AuthError(
        400,
        malformedCode,
        `The credential is malformed; expecting "<access key>/YYYYMMDD/${this.options.region}/s3/aws4_request"`,
      );
    }
    if (scope.region !== this.options.region) {
      throw new S3AuthError(
        400,
        malformedCode,
        `The authorization header is malformed; the region '${scope.region}' is wrong; expecting '${this.options.region}'`,
        {
          Region: this.options.region,
        },
      );
    }
    const secretAccessKey = this.options.secrets.get(scope.accessKeyId);
    if (secretAccessKey === undefined) {
      throw new S3AuthError(
        403,
        'InvalidAccessKeyId',
        'The AWS Access Key Id you provided does not exist in our records.',
        {
          AWSAccessKeyId: scope.accessKeyId,
        },
      );
    }
    return { ...scope, secretAccessKey };
  }

  private signer(scope: CredentialScope & { secretAccessKey: string }): SignatureV4 {
    // As the SDK's S3 client signs: paths are not escaped again, no payload checksum is added.
    return new SignatureV4({
      credentials: { accessKeyId: scope.accessKeyId, secretAccessKey: scope.secretAccessKey },
      region: scope.region,
      service: SERVICE,
      sha256: NodeSha256,
      uriEscapePath: false,
      applyChecksum: false,
    });
  }

  private httpRequest(request: S3RequestFacts, headers: Record<string, string>, query: QueryParameterBag): HttpRequest {
    const [hostname = '', port] = (headerValue(request.headers, 'host') ?? '').split(':');
    return {
      method: request.method,
      protocol: 'http:',
      hostname,
      ...(port === undefined ? {} : { port: Number(port) }),
      path: request.path,
      query,
      headers,
    };
  }
}

interface PolicyDocument {
  expiration: string;
  conditions: unknown[];
}

function decodePolicy(policy: string): PolicyDocument {
  let document: unknown;
  try {
    document = JSON.parse(Buffer.from(policy, 'base64').toString('utf8'));
  } catch {
    throw new S3AuthError(400, 'InvalidPolicyDocument', 'Invalid Policy: Invalid JSON.');
  }
  const { expiration, conditions } = (document ?? {}) as Partial<PolicyDocument>;
  if (typeof expiration !== 'string' || !Array.isArray(conditions)) {
    throw new S3AuthError(
      400,
      'InvalidPolicyDocument',
      'Invalid Policy: the policy needs an expiration and a list of conditions.',
    );
  }
  return { expiration, conditions };
}

const conditionFailed = (condition: unknown) =>
  accessDenied(
    `Invalid according to Policy: Policy Condition failed: ${JSON.stringify(condition).replace(/,/g, ', ')}`,
  );

/**
 * S3's POST policy rules: not expired; every condition holds (`eq` / `{name: value}`,
 * `starts-with`, `content-length-range` on the file); and every form field other than the policy,
 * the signature, the file and `x-ignore-*` fields is named by a condition.
 */
function checkPolicy(policy: PolicyDocument, form: S3PostForm, fields: ReadonlyMap<string, string>, now: Date): void {
  const expiration = Date.parse(policy.expiration);
  if (Number.isNaN(expiration))
    throw new S3AuthError(400, 'InvalidPolicyDocument', "Invalid Policy: Invalid 'expiration' value.");
  if (expiration <= now.getTime()) throw accessDenied('Invalid according to Policy: Policy expired.');

  const value = (name: string): string => (name === 'bucket' ? form.bucket : (fields.get(name) ?? ''));
  const named = new Set<string>();
  for (const condition of policy.conditions) {
    if (Array.isArray(condition)) {
      const [operator, subject, operand] = condition as unknown[];
      if (operator === 'content-length-range') {
        const [min, max] = [Number(subject), Number(operand)];
        if (form.fileSize > max) {
          throw new S3AuthError(400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size', {
            ProposedSize: String(form.fileSize),
            MaxSizeAllowed: String(max),
          });
        }
        if (form.fileSize < min) {
          throw new S3AuthError(
            400,
            'EntityTooSmall',
            'Your proposed upload is smaller than the minimum allowed size',
            {
              ProposedSize: String(form.fileSize),
              MinSizeAllowed: String(min),
            },
          );
        }
        continue;
      }
      if (
        typeof subject !== 'string' ||
        !subject.startsWith('$') ||
        typeof operand !== 'string' ||
        (operator !== 'eq' && operator !== 'starts-with')
      ) {
        throw new S3AuthError(
          400,
          'InvalidPolicyDocument',
          `Invalid Policy: Invalid Condition: ${JSON.stringify(condition)}`,
        );
      }
      const name = subject.slice(1).toLowerCase();
      named.add(name);
      const given = value(name);
      if (operator === 'eq' ? given !== operand : !given.startsWith(operand)) throw conditionFailed(condition);
    } else if (typeof condition === 'object' && condition !== null && Object.keys(condition).length === 1) {
      const [[name = '', expected] = []] = Object.entries(condition);
      named.add(name.toLowerCase());
      if (value(name.toLowerCase()) !== expected) throw conditionFailed(condition);
    } else {
      throw new S3AuthError(
        400,
        'InvalidPolicyDocument',
        `Invalid Policy: Invalid Condition: ${JSON.stringify(condition)}`,
      );
    }
  }
  const extra = [...fields.keys()].filter(
    (name) => !FORM_FIELDS_NOT_IN_POLICY.has(name) && !name.startsWith('x-ignore-') && !named.has(name),
  );
  if (extra.length > 0) throw accessDenied(`Invalid according to Policy: Extra input fields: ${extra.join(', ')}`);
}
