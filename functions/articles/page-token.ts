import { createHmac, timingSafeEqual } from 'node:crypto';
import { ValidationError } from '../api/errors';
import type { PageCursor } from './ports';

/**
 * `nextToken` codec: `base64url(JSON cursor) + "." + base64url(HMAC-SHA256(secret, context + payload))`.
 * The client cannot read anything useful from it or forge one, so a tampered or made-up token
 * is a 400 here and never reaches DynamoDB as an ExclusiveStartKey. The context string binds a
 * token to this listing and format version, so a MAC made for something else never verifies.
 */
const MAC_CONTEXT = 'articles.newest.v1:';
const MAX_TOKEN_LENGTH = 2048;
const MAX_CURSOR_ATTRIBUTES = 8;
const MAX_CURSOR_VALUE_LENGTH = 1024;
const TOKEN_SHAPE = /^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]{43})$/;

const INVALID = 'is not a valid page token';

export class PageTokenCodec {
  readonly #secret: Buffer;

  constructor(secret: string) {
    this.#secret = Buffer.from(secret, 'utf8');
  }

  encode(cursor: PageCursor): string {
    const payload = Buffer.from(JSON.stringify(cursor), 'utf8').toString('base64url');
    return `${payload}.${this.#mac(payload).toString('base64url')}`;
  }

  /** @throws ValidationError naming `nextToken` for anything this codec did not produce. */
  decode(token: string): PageCursor {
    if (token.length > MAX_TOKEN_LENGTH) throw new ValidationError('nextToken', INVALID);
    const match = TOKEN_SHAPE.exec(token);
    if (!match || match[1] === undefined || match[2] === undefined) throw new ValidationError('nextToken', INVALID);
    const [, payload, mac] = match;

    const given = Buffer.from(mac, 'base64url');
    const expected = this.#mac(payload);
    // Lengths are equal for a well-formed token; checked first because timingSafeEqual throws otherwise.
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new ValidationError('nextToken', INVALID);
    }
    return parseCursor(Buffer.from(payload, 'base64url').toString('utf8'));
  }

  #mac(payload: string): Buffer {
    return createHmac('sha256', this.#secret).update(MAC_CONTEXT).update(payload).digest();
  }
}

/** Only reached with an authentic token; still checked so a leaked secret cannot inject odd keys. */
function parseCursor(json: string): PageCursor {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new ValidationError('nextToken', INVALID);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ValidationError('nextToken', INVALID);
  }
  const entries = Object.entries(value);
  if (entries.length === 0 || entries.length > MAX_CURSOR_ATTRIBUTES) throw new ValidationError('nextToken', INVALID);
  const cursor: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [key, attribute] of entries) {
    if (
      typeof attribute !== 'string' ||
      attribute.length > MAX_CURSOR_VALUE_LENGTH ||
      !/^[A-Za-z]\w{0,63}$/.test(key)
    ) {
      throw new ValidationError('nextToken', INVALID);
    }
    cursor[key] = attribute;
  }
  return { ...cursor };
}
