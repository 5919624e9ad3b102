import { createHmac } from 'node:crypto';

/**
 * A browser-form POST policy signed with SigV4, field for field what `createPresignedPost` of
 * @aws-sdk/s3-presigned-post returns, without the S3 client that function needs only to read
 * credentials, region and endpoint from. Pure: credentials and the signing time are passed in.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-HTTPPOSTConstructPolicy.html
 */

/**
 * What signing reads of a credential identity. The SDK's providers resolve more (an expiration, a
 * scope), which is fine to pass: when to resolve again is the provider's concern, not the signer's.
 */
export interface SigningCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** `['eq', '$key', 'uploads/…']`, `['content-length-range', 1, 5000]`, `{ acl: 'private' }`… */
export type PolicyCondition = readonly (string | number)[] | Readonly<Record<string, string>>;

export interface PostPolicyInput {
  bucket: string;
  key: string;
  /** Checked by S3 before the fields added here (algorithm, credential, date, token, bucket, key). */
  conditions: readonly PolicyCondition[];
  /** Form fields the client must send; each is also pinned by an exact-match condition. */
  fields: Readonly<Record<string, string>>;
  expiresInSeconds: number;
}

export interface SignedPostPolicy {
  /** The form fields, `Policy` and `X-Amz-Signature` included. */
  fields: Record<string, string>;
  /** The policy's `expiration` (whole seconds): after it S3 refuses the form. */
  expiration: Date;
}

export interface SigningContext {
  credentials: SigningCredentials;
  region: string;
  signingDate: Date;
}

const SERVICE = 's3';
const ALGORITHM = 'AWS4-HMAC-SHA256';

/** 2026-11-28T19:35:23Z: ISO 8601 without milliseconds, as the policy's `expiration`. */
function iso8601(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

/** The SigV4 signing key: the secret, then the date, region, service and terminator, each an HMAC step. */
function signingKey(secretAccessKey: string, shortDate: string, region: string, service: string): Buffer {
  return hmac(hmac(hmac(hmac(`AWS4${secretAccessKey}`, shortDate), region), service), 'aws4_request');
}

/**
 * The form fields of a presigned POST (the URL is the bucket's: see ./s3-addressing.ts) and the
 * expiration written into its policy, so that callers report the instant that was signed.
 */
export function signPostPolicy(input: PostPolicyInput, context: SigningContext): SignedPostPolicy {
  const { credentials, region, signingDate } = context;
  const amzDate = iso8601(signingDate).replace(/[-:]/g, '');
  const shortDate = amzDate.slice(0, 8);
  const fields: Record<string, string> = {
    ...input.fields,
    bucket: input.bucket,
    'X-Amz-Algorithm': ALGORITHM,
    'X-Amz-Credential': `${credentials.accessKeyId}/${shortDate}/${region}/${SERVICE}/aws4_request`,
    'X-Amz-Date': amzDate,
    ...(credentials.sessionToken ? { 'X-Amz-Security-Token': credentials.sessionToken } : {}),
  };

  // Same order and de-duplication as the SDK: the given conditions, one exact match per field, the key last.
  const conditions = new Set<string>(input.conditions.map((condition) => JSON.stringify(condition)));
  for (const [name, value] of Object.entries(fields)) conditions.add(JSON.stringify({ [name]: value }));
  const filenameAt = input.key.lastIndexOf('${filename}');
  conditions.add(
    input.key.endsWith('${filename}')
      ? JSON.stringify(['starts-with', '$key', input.key.substring(0, filenameAt)])
      : JSON.stringify({ key: input.key }),
  );

  const expiration = iso8601(new Date(signingDate.getTime() + input.expiresInSeconds * 1000));
  const document = JSON.stringify({
    expiration,
    conditions: [...conditions].map((condition) => JSON.parse(condition) as unknown),
  });
  const policy = Buffer.from(document, 'utf8').toString('base64');
  const signature = hmac(signingKey(credentials.secretAccessKey, shortDate, region, SERVICE), policy).toString('hex');
  return {
    fields: { ...fields, key: input.key, Policy: policy, 'X-Amz-Signature': signature },
    expiration: new Date(expiration),
  };
}
