import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Local stand-in for the Cognito user pool: issues HS256 JWTs with Cognito ID-token claims,
 * signed with a key made at each start (restarting the twin invalidates old tokens), and verifies
 * them the way the API's Cognito authorizer would.
 */

export const USER_ID = /^[A-Za-z0-9_-]{1,64}$/;
const TOKEN_LIFETIME_SECONDS = 3600;
const AUDIENCE = 'travel-guide-local';

export type VerifyResult =
  { ok: true; claims: Record<string, string> } | { ok: false; reason: 'missing' | 'invalid' | 'expired' };

const base64url = (data: Buffer | string): string => Buffer.from(data).toString('base64url');

/**
 * Decodes canonical unpadded base64url only (RFC 7515 section 2): Node's decoder skips characters
 * outside the alphabet, accepts `=` padding and standard base64's `+` and `/`, and ignores the
 * unused low bits of the last character, so several spellings would decode to the same bytes.
 * A token is one string; anything but the one spelling Cognito (and this issuer) writes is refused.
 */
function decodeBase64url(text: string): Buffer | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64url');
  return bytes.toString('base64url') === text ? bytes : undefined;
}

/** API Gateway hands Cognito's exp/iat/auth_time to the handler as Java-style date strings. */
function gatewayDate(epochSeconds: number): string {
  const d = new Date(epochSeconds * 1000);
  const day = d.toUTCString().slice(0, 3);
  const month = d.toUTCString().slice(8, 11);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${day} ${month} ${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} UTC ${d.getUTCFullYear()}`;
}

export class LocalTokenIssuer {
  /**
   * @param issuer the `iss` claim this twin issues and accepts
   * @param key the HMAC key; a fresh random one per start unless a test supplies its own
   */
  constructor(
    private readonly issuer: string,
    private readonly key: Buffer = randomBytes(32),
  ) {}

  private sign(data: string): Buffer {
    return createHmac('sha256', this.key).update(data).digest();
  }

  issue(userId: string, nowSeconds = Math.floor(Date.now() / 1000)): string {
    if (!USER_ID.test(userId)) throw new Error('userId must match [A-Za-z0-9_-]{1,64}');
    const header = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT', kid: 'local-twin' }));
    const payload = base64url(
      JSON.stringify({
        sub: userId,
        'cognito:username': userId,
        token_use: 'id',
        iss: this.issuer,
        aud: AUDIENCE,
        auth_time: nowSeconds,
        iat: nowSeconds,
        exp: nowSeconds + TOKEN_LIFETIME_SECONDS,
      }),
    );
    return `${header}.${payload}.${base64url(this.sign(`${header}.${payload}`))}`;
  }

  /** Accepts the raw token (as Cognito authorizers do) or `Bearer <token>`. */
  verify(authorization: string | undefined, nowSeconds = Math.floor(Date.now() / 1000)): VerifyResult {
    if (authorization === undefined || authorization.trim() === '') return { ok: false, reason: 'missing' };
    const token = authorization.trim().replace(/^Bearer\s+/i, '');
    const parts = token.split('.');
    if (parts.length !== 3) return { ok: false, reason: 'invalid' };
    const [header = '', payload = '', signature = ''] = parts;
    const [headerBytes, payloadBytes, given] = [
      decodeBase64url(header),
      decodeBase64url(payload),
      decodeBase64url(signature),
    ];
    if (headerBytes === undefined || payloadBytes === undefined || given === undefined)
      return { ok: false, reason: 'invalid' };
    try {
      const parsedHeader: unknown = JSON.parse(headerBytes.toString('utf8'));
      // Only our own algorithm: never "none", never a key confusion.
      if (
        typeof parsedHeader !== 'object' ||
        parsedHeader === null ||
        (parsedHeader as { alg?: unknown }).alg !== 'HS256'
      ) {
        return { ok: false, reason: 'invalid' };
      }
      const expected = this.sign(`${header}.${payload}`);
      if (given.length !== expected.length || !timingSafeEqual(given, expected))
        return { ok: false, reason: 'invalid' };
      const claims: unknown = JSON.parse(payloadBytes.toString('utf8'));
      if (typeof claims !== 'object' || claims === null) return { ok: false, reason: 'invalid' };
      const c = claims as Record<string, unknown>;
      if (c.iss !== this.issuer || c.aud !== AUDIENCE || c.token_use !== 'id' || typeof c.sub !== 'string') {
        return { ok: false, reason: 'invalid' };
      }
      if (typeof c.exp !== 'number' || c.exp <= nowSeconds) return { ok: false, reason: 'expired' };
      // API Gateway passes every claim to the handler as a string.
      const asStrings = Object.fromEntries(
        Object.entries(c).map(([name, value]) => [
          name,
          ['exp', 'iat', 'auth_time'].includes(name) && typeof value === 'number' ? gatewayDate(value) : String(value),
        ]),
      );
      return { ok: true, claims: asStrings };
    } catch {
      return { ok: false, reason: 'invalid' };
    }
  }
}
