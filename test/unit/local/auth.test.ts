import { LocalTokenIssuer } from '../../../local/api/auth';

/** The twin's stand-in for the Cognito authorizer accepts exactly the tokens it issued, byte for byte. */

const NOW = 1_800_000_000;
const issuer = new LocalTokenIssuer('https://local.test/pool', Buffer.alloc(32, 7));
const token = issuer.issue('alice', NOW);
const [header = '', payload = '', signature = ''] = token.split('.');

/** Flips the unused low bits of the last base64url character (a 32-byte HMAC leaves two). */
function flipLowBits(text: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const last = alphabet.indexOf(text.slice(-1));
  return text.slice(0, -1) + alphabet[last ^ 0b01];
}

describe('LocalTokenIssuer.verify', () => {
  it('accepts the token it issued', () => {
    expect(issuer.verify(`Bearer ${token}`, NOW)).toMatchObject({ ok: true, claims: { sub: 'alice' } });
  });

  it('builds a low-bit variant that decodes to the same signature bytes (so the next test means something)', () => {
    expect(Buffer.from(flipLowBits(signature), 'base64url')).toEqual(Buffer.from(signature, 'base64url'));
  });

  it.each([
    ['"!!!" appended to the signature', `${header}.${payload}.${signature}!!!`],
    ['"=" padding appended to the signature', `${header}.${payload}.${signature}=`],
    [
      'the signature in standard base64',
      `${header}.${payload}.${Buffer.from(signature, 'base64url').toString('base64')}`,
    ],
    ['the unused low bits of the last signature character flipped', `${header}.${payload}.${flipLowBits(signature)}`],
    ['"=" appended to the payload', `${header}.${payload}=.${signature}`],
    ['a space inside the header', `${header.slice(0, 4)} ${header.slice(4)}.${payload}.${signature}`],
  ])('refuses a token with %s', (_what, variant) => {
    expect(variant).not.toBe(token);
    expect(issuer.verify(`Bearer ${variant}`, NOW)).toEqual({ ok: false, reason: 'invalid' });
  });
});
