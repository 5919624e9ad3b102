import { ValidationError } from '../../../functions/api/errors';
import { checkedKey, PageTokenCodec } from '../../../functions/articles/page-token';
import { FakePageTokenKeys, SECRET } from './fakes';

const cursor = { id: 'art-1', listPartition: 'ARTICLE', listSortKey: '2026-05-01T10:00:00.000Z#art-1' };
const KEY_2 = 'second-page-token-key-0123456789abcdef';
const KEY_3 = 'third-page-token-key-0123456789abcdefgh';

describe('PageTokenCodec', () => {
  const codec = new PageTokenCodec(new FakePageTokenKeys(SECRET));

  it('decodes what it encoded', async () => {
    const token = await codec.encode(cursor);

    await expect(codec.decode(token)).resolves.toEqual(cursor);
  });

  it('produces URL-safe tokens', async () => {
    const token = await codec.encode({ listSortKey: '\u{1F600}???>>>' });

    expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
  });

  it('rejects a token signed with another key', async () => {
    const token = await new PageTokenCodec(new FakePageTokenKeys('a-completely-different-secret-value!')).encode(
      cursor,
    );

    await expect(codec.decode(token)).rejects.toThrow(ValidationError);
  });

  it('rejects a token whose MAC had one character changed', async () => {
    const token = await codec.encode(cursor);
    const flipped = `${token.slice(0, -2)}${token.at(-2) === 'A' ? 'B' : 'A'}${token.at(-1) ?? ''}`;

    await expect(codec.decode(flipped)).rejects.toThrow('nextToken: is not a valid page token');
  });

  it('rejects an authentic-looking token whose payload is not a flat string map', async () => {
    // Arrange: sign a nested payload the way the codec would, to reach the shape check.
    const nested = await codec.encode({ id: 'x' });
    const [, mac] = nested.split('.');
    const forgedPayload = Buffer.from('{"id":{"S":"x"}}').toString('base64url');

    // Act / Assert
    await expect(codec.decode(`${forgedPayload}.${mac ?? ''}`)).rejects.toThrow(ValidationError);
  });

  it.each([['a.b.c'], ['.'], ['no-dot'], ['ä.ö'], ['x'.repeat(3000)]])(
    'rejects the malformed token %j without reading a key',
    async (token) => {
      const keys = new FakePageTokenKeys();
      const current = jest.spyOn(keys, 'current');

      await expect(new PageTokenCodec(keys).decode(token)).rejects.toThrow('nextToken: is not a valid page token');
      expect(current).not.toHaveBeenCalled();
    },
  );
});

describe('PageTokenCodec across a key rotation', () => {
  it('signs with the current key and still accepts a token signed with the previous one', async () => {
    // Arrange: a token signed before the rotation.
    const keys = new FakePageTokenKeys(SECRET);
    const codec = new PageTokenCodec(keys);
    const before = await codec.encode(cursor);

    // Act: rotate and let this environment read the keys.
    keys.rotate(KEY_2);
    await keys.refresh();
    const after = await codec.encode(cursor);

    // Assert
    await expect(codec.decode(before)).resolves.toEqual(cursor);
    await expect(new PageTokenCodec(new FakePageTokenKeys(KEY_2)).decode(after)).resolves.toEqual(cursor);
    expect(after).not.toBe(before);
  });

  it('rejects a token signed two rotations ago', async () => {
    const keys = new FakePageTokenKeys(SECRET);
    const codec = new PageTokenCodec(keys);
    const old = await codec.encode(cursor);

    keys.rotate(KEY_2);
    keys.rotate(KEY_3);
    await keys.refresh();

    await expect(codec.decode(old)).rejects.toThrow('nextToken: is not a valid page token');
  });

  it('reads the keys again for a token signed with a key this environment has not seen yet', async () => {
    // Arrange: another environment saw the rotation first and signed with the new key.
    const keys = new FakePageTokenKeys(SECRET);
    keys.rotate(KEY_2);
    const token = await new PageTokenCodec(new FakePageTokenKeys(KEY_2)).encode(cursor);

    // Act
    const decoded = await new PageTokenCodec(keys).decode(token);

    // Assert
    expect(decoded).toEqual(cursor);
    expect(keys.refreshes).toBe(1);
  });

  it('reads the previous key only when the current one does not verify', async () => {
    const keys = new FakePageTokenKeys(SECRET, KEY_2);
    const codec = new PageTokenCodec(keys);

    await codec.decode(await codec.encode(cursor));

    expect(keys.previousReads).toBe(0);
  });

  it('rejects a forged token without a second read when the keys were read moments ago', async () => {
    const keys = new FakePageTokenKeys(SECRET);
    keys.refreshAllowed = false;
    const forged = await new PageTokenCodec(new FakePageTokenKeys(KEY_3)).encode(cursor);

    await expect(new PageTokenCodec(keys).decode(forged)).rejects.toThrow(ValidationError);
    expect(keys.refreshes).toBe(0);
  });
});

describe('checkedKey', () => {
  it('accepts a key of 32 characters', () => {
    expect(checkedKey('k'.repeat(32), 'the key')).toBe('k'.repeat(32));
  });

  it.each([['k'.repeat(31)], [''], [undefined], [new Uint8Array(64)]])('refuses %p, naming the source', (value) => {
    expect(() => checkedKey(value, 'The AWSCURRENT value of secret x')).toThrow(
      'The AWSCURRENT value of secret x must be a string of at least 32 characters',
    );
  });
});
