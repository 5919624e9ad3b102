import { ValidationError } from '../../../functions/api/errors';
import { PageTokenCodec } from '../../../functions/articles/page-token';
import { SECRET } from './fakes';

describe('PageTokenCodec', () => {
  const codec = new PageTokenCodec(SECRET);
  const cursor = { id: 'art-1', listPartition: 'ARTICLE', listSortKey: '2026-05-01T10:00:00.000Z#art-1' };

  it('decodes what it encoded', () => {
    const token = codec.encode(cursor);

    expect(codec.decode(token)).toEqual(cursor);
  });

  it('produces URL-safe tokens', () => {
    const token = codec.encode({ listSortKey: '\u{1F600}???>>>' });

    expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
  });

  it('rejects a token signed with another secret', () => {
    const token = new PageTokenCodec('a-completely-different-secret-value!').encode(cursor);

    expect(() => codec.decode(token)).toThrow(ValidationError);
  });

  it('rejects a token whose MAC had one character changed', () => {
    const token = codec.encode(cursor);
    const flipped = `${token.slice(0, -2)}${token.at(-2) === 'A' ? 'B' : 'A'}${token.at(-1) ?? ''}`;

    expect(() => codec.decode(flipped)).toThrow('nextToken: is not a valid page token');
  });

  it('rejects an authentic-looking token whose payload is not a flat string map', () => {
    // Arrange: sign a nested payload the way the codec would, to reach the shape check.
    const nested = new PageTokenCodec(SECRET).encode({ id: 'x' });
    const [, mac] = nested.split('.');
    const forgedPayload = Buffer.from('{"id":{"S":"x"}}').toString('base64url');

    // Act / Assert
    expect(() => codec.decode(`${forgedPayload}.${mac ?? ''}`)).toThrow(ValidationError);
  });

  it.each([['a.b.c'], ['.'], ['no-dot'], ['ä.ö'], ['x'.repeat(3000)]])('rejects the malformed token %j', (token) => {
    expect(() => codec.decode(token)).toThrow('nextToken: is not a valid page token');
  });
});
