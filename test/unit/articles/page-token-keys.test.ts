import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { SecretsManagerPageTokenKeys } from '../../../functions/articles/page-token-keys';

/** The Secrets Manager adapter of the page-token keys: which versions it reads, and how often. */

const SECRET_ID = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:page-token-AbCdEf';
const KEY_1 = 'first-page-token-key-0123456789abcdefgh';
const KEY_2 = 'second-page-token-key-0123456789abcdefg';
const $metadata = {};
const secrets = mockClient(SecretsManagerClient);

function keys(maxAgeSeconds = 300): SecretsManagerPageTokenKeys {
  return new SecretsManagerPageTokenKeys({ client: new SecretsManagerClient({}), secretId: SECRET_ID, maxAgeSeconds });
}

const current = { SecretId: SECRET_ID };
const previous = { SecretId: SECRET_ID, VersionStage: 'AWSPREVIOUS' };
const noPrevious = (): ResourceNotFoundException =>
  new ResourceNotFoundException({
    message: "Secrets Manager can't find the specified secret value for staging label: AWSPREVIOUS",
    $metadata,
  });

describe('SecretsManagerPageTokenKeys', () => {
  beforeEach(() => {
    secrets.reset();
    jest.useFakeTimers({ now: new Date('2026-06-01T10:00:00Z'), doNotFake: ['nextTick', 'setImmediate'] });
  });

  afterEach(() => {
    jest.useRealTimers();
  });

  it('reads AWSCURRENT once and reuses it while it is younger than the cache age', async () => {
    secrets.on(GetSecretValueCommand, current).resolves({ SecretString: KEY_1 });
    const source = keys(300);

    await source.current();
    jest.advanceTimersByTime(299_000);
    const key = await source.current();

    expect(key).toBe(KEY_1);
    expect(secrets).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
    expect(secrets).toHaveReceivedCommandWith(GetSecretValueCommand, current);
  });

  it('reads AWSCURRENT again once the cache age has passed, and so sees a rotation', async () => {
    secrets.on(GetSecretValueCommand, current).resolvesOnce({ SecretString: KEY_1 }).resolves({ SecretString: KEY_2 });
    const source = keys(300);

    await source.current();
    jest.advanceTimersByTime(301_000);

    await expect(source.current()).resolves.toBe(KEY_2);
    expect(secrets).toHaveReceivedCommandTimes(GetSecretValueCommand, 2);
  });

  it('reads AWSPREVIOUS by its version stage, cached apart from AWSCURRENT', async () => {
    secrets.on(GetSecretValueCommand, current).resolves({ SecretString: KEY_2 });
    secrets.on(GetSecretValueCommand, previous, true).resolves({ SecretString: KEY_1 });
    const source = keys();

    const read = [await source.current(), await source.previous(), await source.current(), await source.previous()];

    expect(read).toEqual([KEY_2, KEY_1, KEY_2, KEY_1]);
    expect(secrets).toHaveReceivedCommandTimes(GetSecretValueCommand, 2);
  });

  it('takes a missing AWSPREVIOUS (a secret never rotated) as no previous key, and remembers it', async () => {
    secrets.on(GetSecretValueCommand, previous, true).rejects(noPrevious());
    const source = keys(300);

    const first = await source.previous();
    jest.advanceTimersByTime(200_000);
    const second = await source.previous();

    expect([first, second]).toEqual([undefined, undefined]);
    expect(secrets).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
  });

  it('reads both versions again on refresh, but not twice within 10 s', async () => {
    secrets.on(GetSecretValueCommand, current).resolvesOnce({ SecretString: KEY_1 }).resolves({ SecretString: KEY_2 });
    secrets.on(GetSecretValueCommand, previous, true).rejectsOnce(noPrevious()).resolves({ SecretString: KEY_1 });
    const source = keys();
    await source.current();
    await source.previous();

    const refreshed = await source.refresh();
    jest.advanceTimersByTime(9_000);
    const again = await source.refresh();

    expect([refreshed, again]).toEqual([true, false]);
    expect([await source.current(), await source.previous()]).toEqual([KEY_2, KEY_1]);
    expect(secrets).toHaveReceivedCommandTimes(GetSecretValueCommand, 4);
  });

  it('refuses a key shorter than 32 characters, naming the secret and the version', async () => {
    secrets.on(GetSecretValueCommand, current).resolves({ SecretString: 'short' });

    await expect(keys().current()).rejects.toThrow(
      `The AWSCURRENT value of the page-token secret ${SECRET_ID} must be a string of at least 32 characters`,
    );
  });

  it('lets a refused read fail the request rather than treating it as "no key"', async () => {
    // Secrets Manager models no AccessDeniedException: the SDK raises a generic service error by that name.
    secrets
      .on(GetSecretValueCommand)
      .rejects(Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' }));

    await expect(keys().previous()).rejects.toThrow('not authorized');
  });
});
