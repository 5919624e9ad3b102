import { createHash } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { NodeSha256 } from '../../../local/emulators/s3-auth';
import { DEFAULT_REGION, EMULATOR_ACCESS_KEY_ID, EMULATOR_SECRET_ACCESS_KEY } from '../../../local/settings';

/**
 * Headers of a raw HTTP request to the twin's S3 signed with SigV4 (Authorization header), as an
 * SDK client would sign it, for tests that need a request no SDK command sends (a chosen Host, a
 * raw If-Match) yet must pass the emulator's authentication.
 */
export async function signedS3Headers(
  url: string,
  options: {
    method?: string;
    headers?: Record<string, string>;
    body?: Buffer;
    region?: string;
    credentials?: { accessKeyId: string; secretAccessKey: string };
  } = {},
): Promise<Record<string, string>> {
  const parsed = new URL(url);
  const headers: Record<string, string> = {
    host: parsed.host,
    'x-amz-content-sha256': createHash('sha256')
      .update(options.body ?? Buffer.alloc(0))
      .digest('hex'),
    ...options.headers,
  };
  const [hostname = '', port] = headers.host?.split(':') ?? [];
  const query: Record<string, string> = {};
  for (const [name, value] of parsed.searchParams) query[name] = value;
  const signer = new SignatureV4({
    credentials: options.credentials ?? {
      accessKeyId: EMULATOR_ACCESS_KEY_ID,
      secretAccessKey: EMULATOR_SECRET_ACCESS_KEY,
    },
    region: options.region ?? DEFAULT_REGION,
    service: 's3',
    sha256: NodeSha256,
    uriEscapePath: false,
    applyChecksum: false,
  });
  const signed = await signer.sign({
    method: options.method ?? 'GET',
    protocol: parsed.protocol,
    hostname,
    ...(port === undefined ? {} : { port: Number(port) }),
    path: parsed.pathname,
    query,
    headers,
  });
  return Object.fromEntries(Object.entries(signed.headers).map(([name, value]) => [name, String(value)]));
}
