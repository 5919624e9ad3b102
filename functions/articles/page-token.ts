import { createHmac, timingSafeEqual } from 'node:crypto';
import { ValidationError } from '../api/errors';
import type { PageCursor } from '../api/ports';

/**
 * `nextToken` codec: `base64url(JSON cursor) + "." + base64url(HMAC-SHA256(key, context + payload))`.
 * The client cannot read anything useful from it or forge one, so a tampered or made-up token
 * is a 400 here and never reaches DynamoDB as an ExclusiveStartKey. The context string binds a
 * token to one listing and format version, so a MAC made for something else (the other listing
 * signed with the same key included) never verifies.
 *
 * One codec for every listing of the API: the articles function lists articles newest first, the
 * media function lists an owner's media (GET /media?owner=me), each under its own context.
 *
 * The key rotates without a deploy (README "Security"): new tokens are signed with the current
 * key; a token verifies with the current or the previous one, so a rotation does not break the
 * listings in flight. A token that fails both is checked once more after reading the keys again,
 * because another execution environment may have seen the rotation first and signed with the new key.
 */
/** The context of the articles listing, the default. */
export const ARTICLES_LISTING = 'articles.newest.v1';
/** The context of one owner's media listing. */
export const OWNER_MEDIA_LISTING = 'media.byOwner.v1';
const MAX_TOKEN_LENGTH = 2048;
const MAX_CURSOR_ATTRIBUTES = 8;
const MAX_CURSOR_VALUE_LENGTH = 1024;
const TOKEN_SHAPE = /^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]{43})$/;

const INVALID = 'is not a valid page token';

/** The shortest HMAC key accepted: 32 characters (the stack's secret has 64). */
export const MIN_KEY_LENGTH = 32;

/** Where the HMAC keys come from (Secrets Manager on AWS and in the twin: ./page-token-keys.ts). */
export interface PageTokenKeys {
  /** The key new tokens are signed with (the secret's AWSCURRENT version). */
  current(): Promise<string>;
  /** The key before the last rotation (AWSPREVIOUS), or undefined if the secret was never rotated. */
  previous(): Promise<string | undefined>;
  /**
   * Reads the keys again now, unless they were read moments ago (so a burst of forged tokens
   * cannot turn into a burst of secret reads). Resolves true when it did read them.
   */
  refresh(): Promise<boolean>;
}

/** A key as read from its store, checked: a short or empty key would make tokens forgeable. */
export function checkedKey(key: unknown, source: string): string {
  if (typeof key !== 'string' || key.length < MIN_KEY_LENGTH)
    throw new Error(`${source} must be a string of at least ${MIN_KEY_LENGTH} characters`);
  return key;
}

export class PageTokenCodec {
  readonly #context: string;

  constructor(
    private readonly keys: PageTokenKeys,
    listing: string = ARTICLES_LISTING,
  ) {
    this.#context = `${listing}:`;
  }

  async encode(cursor: PageCursor): Promise<string> {
    const payload = Buffer.from(JSON.stringify(cursor), 'utf8').toString('base64url');
    return `${payload}.${this.#mac(await this.keys.current(), payload).toString('base64url')}`;
  }

  /** @throws ValidationError naming `nextToken` for anything this codec did not produce. */
  async decode(token: string): Promise<PageCursor> {
    // The shape is checked before any key is read: a malformed token costs no secret read.
    if (token.length > MAX_TOKEN_LENGTH) throw new ValidationError('nextToken', INVALID);
    const match = TOKEN_SHAPE.exec(token);
    if (!match || match[1] === undefined || match[2] === undefined) throw new ValidationError('nextToken', INVALID);
    const [, payload, given] = match;
    const signature = Buffer.from(given, 'base64url');

    const verified =
      (await this.#signedWithKnownKey(payload, signature)) ||
      ((await this.keys.refresh()) && (await this.#signedWithKnownKey(payload, signature)));
    if (!verified) throw new ValidationError('nextToken', INVALID);
    return parseCursor(Buffer.from(payload, 'base64url').toString('utf8'));
  }

  async #signedWithKnownKey(payload: string, signature: Buffer): Promise<boolean> {
    if (sameMac(signature, this.#mac(await this.keys.current(), payload))) return true;
    const previous = await this.keys.previous();
    return previous !== undefined && sameMac(signature, this.#mac(previous, payload));
  }

  #mac(key: string, payload: string): Buffer {
    return createHmac('sha256', Buffer.from(key, 'utf8')).update(this.#context).update(payload).digest();
  }
}

function sameMac(given: Buffer, expected: Buffer): boolean {
  // Lengths are equal for a well-formed token; checked first because timingSafeEqual throws otherwise.
  return given.length === expected.length && timingSafeEqual(given, expected);
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
