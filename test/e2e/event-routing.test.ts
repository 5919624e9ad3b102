import { createHmac, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LocalTokenIssuer } from '../../local/api/auth';
import { compileEventPattern, UnsupportedPatternError } from '../../local/events/event-pattern';
import { SequencerClock, toObjectCreatedEvent, type S3rverRecord } from '../../local/events/object-created';

/**
 * The twin's stand-ins for EventBridge and the Cognito authorizer, checked against the repo's
 * own rule pattern and sample events (the files CDK deploys), without starting a twin.
 */

const root = join(__dirname, '..', '..');
const readJson = (path: string): unknown => JSON.parse(readFileSync(join(root, path), 'utf8'));
const rule = compileEventPattern(
  JSON.parse(
    readFileSync(join(root, 'events/media-uploaded.pattern.json'), 'utf8').replaceAll(
      '${MediaBucketName}',
      'travel-guide-media-dev',
    ),
  ),
);

describe('the media-uploaded rule pattern', () => {
  it('matches the sample upload event', () => {
    expect(rule(readJson('events/samples/object-created.json'))).toBe(true);
  });

  it('does not match the sample event for a derived object', () => {
    expect(rule(readJson('events/samples/object-created-other-prefix.json'))).toBe(false);
  });

  it('does not match an upload to another bucket', () => {
    const event = readJson('events/samples/object-created.json') as { detail: { bucket: { name: string } } };
    event.detail.bucket.name = 'someone-elses-bucket';

    expect(rule(event)).toBe(false);
  });
});

describe('the event pattern matcher', () => {
  it('treats an array in the pattern as alternatives and an array in the event as any-of', () => {
    const matches = compileEventPattern({ detail: { colour: ['red', 'blue'] } });

    expect(matches({ detail: { colour: 'blue' } })).toBe(true);
    expect(matches({ detail: { colour: ['green', 'red'] } })).toBe(true);
    expect(matches({ detail: { colour: 'green' } })).toBe(false);
  });

  it('requires the field to exist unless the pattern says exists: false', () => {
    expect(compileEventPattern({ a: ['x'] })({})).toBe(false);
    expect(compileEventPattern({ a: [{ exists: false }] })({})).toBe(true);
    expect(compileEventPattern({ a: [{ exists: true }] })({ a: 1 })).toBe(true);
  });

  it('matches numbers and null exactly, never by their string form', () => {
    const matches = compileEventPattern({ size: [0, null] });

    expect(matches({ size: 0 })).toBe(true);
    expect(matches({ size: null })).toBe(true);
    expect(matches({ size: '0' })).toBe(false);
  });

  it('refuses an operator it does not implement instead of guessing', () => {
    expect(() => compileEventPattern({ size: [{ numeric: ['>', 0] }] })).toThrow(UnsupportedPatternError);
    expect(() => compileEventPattern({ $or: [{ a: ['x'] }] })).toThrow(UnsupportedPatternError);
  });
});

describe('S3 notification records converted to EventBridge events', () => {
  const record = (eventName: string, key: string): S3rverRecord => ({
    eventName,
    eventTime: '2026-11-28T17:20:11.000Z',
    requestParameters: { sourceIPAddress: '::ffff:127.0.0.1' },
    responseElements: { 'x-amz-request-id': 'ABCDEF0123456789' },
    s3: {
      bucket: { name: 'travel-guide-media-local' },
      object: { key, size: 42, eTag: 'b1946ac92492d2347c6235b4d2611184' },
    },
  });

  it('has the shape of the sample event', () => {
    const event = toObjectCreatedEvent(record('ObjectCreated:Post', 'uploads/alice/abc'), {
      region: 'eu-west-1',
      account: '000000000000',
      sequencer: '00617F08299329D189',
    });
    const sample = readJson('events/samples/object-created.json') as Record<string, unknown> & {
      detail: Record<string, unknown>;
    };

    expect(Object.keys(event ?? {}).sort()).toEqual(Object.keys(sample).sort());
    expect(Object.keys(event?.detail ?? {}).sort()).toEqual(Object.keys(sample.detail).sort());
    expect(event?.detail).toMatchObject({
      reason: 'PostObject',
      'source-ip-address': '127.0.0.1',
      object: { size: 42, sequencer: '00617F08299329D189' },
    });
  });

  it('keeps a key with a space unencoded, as EventBridge sends it', () => {
    const event = toObjectCreatedEvent(record('ObjectCreated:Put', 'uploads/alice/red flower.jpg'), {
      region: 'eu-west-1',
      account: '0',
      sequencer: '1',
    });

    expect(event?.detail.object.key).toBe('uploads/alice/red flower.jpg');
  });

  it('tells a multipart completion from a form POST by the request that caused it', () => {
    const event = toObjectCreatedEvent(record('ObjectCreated:Post', 'uploads/a/b'), {
      region: 'eu-west-1',
      account: '0',
      sequencer: '1',
      request: { method: 'POST', url: '/travel-guide-media-local/uploads/a/b?uploadId=123' },
    });

    expect(event?.detail.reason).toBe('CompleteMultipartUpload');
  });

  it('sends nothing for a delete', () => {
    expect(
      toObjectCreatedEvent(record('ObjectRemoved:Delete', 'uploads/a/b'), {
        region: 'eu-west-1',
        account: '0',
        sequencer: '1',
      }),
    ).toBeUndefined();
  });

  it('issues strictly increasing sequencers, also within one millisecond', () => {
    const clock = new SequencerClock();

    const sequencers = Array.from({ length: 1000 }, () => clock.next());

    expect([...sequencers].sort()).toEqual(sequencers);
    expect(new Set(sequencers).size).toBe(sequencers.length);
  });
});

describe('local tokens', () => {
  const issuer = new LocalTokenIssuer('travel-guide-local-twin');

  /** A token signed with the issuer's own key but carrying the given claims. */
  function signedWith(key: Buffer, claims: Record<string, unknown>): string {
    const encode = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
    const unsigned = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode(claims)}`;
    return `${unsigned}.${createHmac('sha256', key).update(unsigned).digest('base64url')}`;
  }

  it.each([
    ['another issuer', { iss: 'someone-else' }],
    ['another audience', { aud: 'another-client' }],
    ['an access token instead of an ID token', { token_use: 'access' }],
    ['no subject', { sub: undefined }],
  ])('refuses a correctly signed token with %s', (_case, change) => {
    // Arrange
    const key = randomBytes(32);
    const keyed = new LocalTokenIssuer('travel-guide-local-twin', key);
    const valid = JSON.parse(
      Buffer.from(keyed.issue('alice').split('.')[1] ?? '', 'base64url').toString('utf8'),
    ) as Record<string, unknown>;

    // Act
    const accepted = keyed.verify(signedWith(key, valid));
    const refused = keyed.verify(signedWith(key, { ...valid, ...change }));

    // Assert
    expect(accepted.ok).toBe(true);
    expect(refused).toEqual({ ok: false, reason: 'invalid' });
  });

  it('puts Cognito-like claims where API Gateway puts them, as strings', () => {
    const result = issuer.verify(`Bearer ${issuer.issue('alice')}`);

    expect(result).toMatchObject({
      ok: true,
      claims: { sub: 'alice', 'cognito:username': 'alice', token_use: 'id', exp: expect.stringMatching(/ UTC \d{4}$/) },
    });
  });

  it('refuses an expired token as the authorizer does', () => {
    const issuedTwoHoursAgo = issuer.issue('alice', Math.floor(Date.now() / 1000) - 7200);

    expect(issuer.verify(issuedTwoHoursAgo)).toEqual({ ok: false, reason: 'expired' });
  });

  it('refuses a token signed by another twin', () => {
    const other = new LocalTokenIssuer('travel-guide-local-twin');

    expect(issuer.verify(other.issue('alice'))).toEqual({ ok: false, reason: 'invalid' });
  });
});
