import { isIP } from 'node:net';

/**
 * Where a bucket's signed URLs point, worked out the way the S3 client's endpoint rules do for
 * the cases this function meets: a bucket on AWS in one region, or a bucket behind a custom
 * endpoint (AWS_ENDPOINT_URL_S3, which is how the local twin points at its S3 emulator). The
 * media function only signs, so it carries these few rules instead of the S3 client and its
 * endpoint rule set; test/unit/media/sdk-equality.test.ts holds them to the SDK's output.
 */

export interface S3Addressing {
  region: string;
  /** A custom endpoint, e.g. `http://127.0.0.1:4569`. @default the regional AWS endpoint */
  endpoint?: string;
  /** `{endpoint}/{bucket}/{key}` rather than `{bucket}.{host}/{key}`. @default false */
  forcePathStyle?: boolean;
}

/** The URL of a bucket: protocol, host and the path its object keys are appended to. */
export interface BucketEndpoint {
  protocol: string;
  hostname: string;
  port?: number;
  /** `/` when the bucket is in the host name, `/{bucket}` (after any endpoint path) otherwise. */
  path: string;
}

/** DNS suffix of each AWS partition other than `aws` (amazonaws.com), by region name. */
const PARTITION_DNS_SUFFIXES: readonly (readonly [RegExp, string])[] = [
  [/^cn-\w+-\d+$/, 'amazonaws.com.cn'],
  [/^eusc-de-\w+-\d+$/, 'amazonaws.eu'],
  [/^us-iso-\w+-\d+$/, 'c2s.ic.gov'],
  [/^us-isob-\w+-\d+$/, 'sc2s.sgov.gov'],
  [/^eu-isoe-\w+-\d+$/, 'cloud.adc-e.uk'],
  [/^us-isof-\w+-\d+$/, 'csp.hci.ic.gov'],
];

const REGION = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * A bucket name that can lead the host name: a lower-case DNS label of 3 to 63 characters. Dots
 * would break the wildcard certificate's match, so a dotted name qualifies only over plain HTTP,
 * label by label, and never when it reads as an IP address.
 */
function isVirtualHostable(bucket: string, allowDots: boolean): boolean {
  if (isIP(bucket) !== 0) return false;
  const labels = allowDots ? bucket.split('.') : [bucket];
  return labels.every(
    (label) => label.length >= 3 && label.length <= 63 && /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/.test(label),
  );
}

function isIpHost(hostname: string): boolean {
  return isIP(hostname.replace(/^\[(.*)\]$/, '$1')) !== 0;
}

/**
 * The bucket's endpoint: virtual-hosted (`{bucket}.{host}`) unless path-style is forced, the
 * bucket name cannot be a host name, or a custom endpoint's host is an IP address.
 */
export function bucketEndpoint(bucket: string, addressing: S3Addressing): BucketEndpoint {
  if (!REGION.test(addressing.region)) throw new Error(`Invalid region: ${addressing.region}`);
  const base =
    addressing.endpoint !== undefined
      ? new URL(addressing.endpoint)
      : new URL(
          `https://s3.${addressing.region}.${PARTITION_DNS_SUFFIXES.find(([pattern]) => pattern.test(addressing.region))?.[1] ?? 'amazonaws.com'}`,
        );
  const custom = addressing.endpoint !== undefined;
  const port = base.port === '' ? {} : { port: Number(base.port) };
  const pathStyle =
    addressing.forcePathStyle === true ||
    !isVirtualHostable(bucket, custom && base.protocol === 'http:') ||
    (custom && isIpHost(base.hostname));
  if (!pathStyle)
    return { protocol: base.protocol, hostname: `${bucket}.${base.hostname}`, ...port, path: base.pathname };
  const basePath = base.pathname.endsWith('/') ? base.pathname : `${base.pathname}/`;
  return { protocol: base.protocol, hostname: base.hostname, ...port, path: `${basePath}${bucket}` };
}

/** encodeURIComponent plus the RFC 3986 reserved characters it leaves alone, as SigV4 requires. */
function escapeUri(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * The request path of an object: each key segment escaped, the `/` separators kept, appended to
 * the endpoint's path as the SDK appends it (`/base/` + `/key` gives `/base//key`, `/` gives `/key`).
 */
export function objectPath(endpoint: BucketEndpoint, key: string): string {
  return `${endpoint.path === '/' ? '' : endpoint.path}/${key.split('/').map(escapeUri).join('/')}`;
}

/** A URL string with the query sorted by name and escaped, as the SDK formats presigned requests. */
export function formatUrl(request: {
  protocol: string;
  hostname: string;
  port?: number;
  path: string;
  query?: Record<string, string>;
}): string {
  const host = request.port === undefined ? request.hostname : `${request.hostname}:${request.port}`;
  const query = Object.keys(request.query ?? {})
    .sort()
    .map((name) => `${escapeUri(name)}=${escapeUri(request.query?.[name] ?? '')}`)
    .join('&');
  return `${request.protocol}//${host}${request.path}${query === '' ? '' : `?${query}`}`;
}

/**
 * The addressing the S3 client would use in this environment: region from AWS_REGION, endpoint
 * from AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL, path-style only with AWS_ENDPOINT_URL_S3 (as in
 * ../shared/s3-client.ts: only the local emulator needs it). FIPS and dual-stack endpoints are not
 * built here, so asking for them fails loudly instead of signing for another host.
 */
export function s3AddressingFromEnv(env: Readonly<Record<string, string | undefined>>): S3Addressing {
  const region = env.AWS_REGION;
  if (region === undefined || region === '') throw new Error('Missing required environment variable AWS_REGION');
  for (const name of ['AWS_USE_FIPS_ENDPOINT', 'AWS_USE_DUALSTACK_ENDPOINT']) {
    if (env[name]?.toLowerCase() === 'true')
      throw new Error(`${name} is not supported by the media function's URL signer`);
  }
  const ignoreConfigured = env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS?.toLowerCase() === 'true';
  const endpoint = ignoreConfigured ? undefined : (env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL);
  return {
    region,
    ...(endpoint !== undefined && endpoint !== '' ? { endpoint } : {}),
    forcePathStyle: env.AWS_ENDPOINT_URL_S3 !== undefined,
  };
}
