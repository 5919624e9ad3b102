import { ParameterNotFoundError } from '@aws-lambda-powertools/parameters/errors';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { checkedKey, type PageTokenKeys } from './page-token';

/**
 * The page-token keys read at run time from one Secrets Manager secret, with Powertools
 * Parameters: the AWSCURRENT version signs, AWSCURRENT and AWSPREVIOUS verify. Nothing of the key
 * is in the function's configuration (its environment names the secret only), and a rotation
 * (a new AWSCURRENT, the old one becoming AWSPREVIOUS) reaches every execution environment
 * within `maxAgeSeconds`, without a deploy.
 *
 * Each version stage has a provider of its own, because Powertools caches by secret id alone
 * (not by the VersionStage passed to the SDK). The first list call of an execution environment
 * that needs a key pays one GetSecretValue; later calls use the cache until it is `maxAgeSeconds`
 * old. AWSPREVIOUS is read only when a token fails the current key, and its absence (a secret
 * never rotated) is remembered as long as a value would be.
 */
export interface SecretsManagerPageTokenKeysOptions {
  client: SecretsManagerClient;
  /** The secret's ARN (or name). */
  secretId: string;
  /** How long a key read is reused, in seconds. */
  maxAgeSeconds: number;
  /** The least time between two forced reads (PageTokenKeys.refresh). @default 10 */
  minRefreshSeconds?: number;
}

const PREVIOUS = { VersionStage: 'AWSPREVIOUS' } as const;

export class SecretsManagerPageTokenKeys implements PageTokenKeys {
  readonly #current: SecretsProvider;
  readonly #previous: SecretsProvider;
  readonly #secretId: string;
  readonly #maxAge: number;
  readonly #minRefreshMs: number;
  /** Date.now() until which "this secret has no AWSPREVIOUS" is believed. */
  #noPreviousUntil = 0;
  /** Date.now() of the last forced read. */
  #lastRefresh = Number.NEGATIVE_INFINITY;

  constructor(options: SecretsManagerPageTokenKeysOptions) {
    this.#current = new SecretsProvider({ awsSdkV3Client: options.client });
    this.#previous = new SecretsProvider({ awsSdkV3Client: options.client });
    this.#secretId = options.secretId;
    this.#maxAge = options.maxAgeSeconds;
    this.#minRefreshMs = (options.minRefreshSeconds ?? 10) * 1000;
  }

  current(): Promise<string> {
    return this.#readCurrent(false);
  }

  previous(): Promise<string | undefined> {
    return this.#readPrevious(false);
  }

  async refresh(): Promise<boolean> {
    if (Date.now() - this.#lastRefresh < this.#minRefreshMs) return false;
    this.#lastRefresh = Date.now();
    await this.#readCurrent(true);
    await this.#readPrevious(true);
    return true;
  }

  async #readCurrent(forceFetch: boolean): Promise<string> {
    const value = await this.#current.get(this.#secretId, { maxAge: this.#maxAge, forceFetch });
    return checkedKey(value, `The AWSCURRENT value of the page-token secret ${this.#secretId}`);
  }

  async #readPrevious(forceFetch: boolean): Promise<string | undefined> {
    if (!forceFetch && Date.now() < this.#noPreviousUntil) return undefined;
    try {
      const value = await this.#previous.get(this.#secretId, {
        maxAge: this.#maxAge,
        forceFetch,
        throwOnMissing: true,
        sdkOptions: PREVIOUS,
      });
      this.#noPreviousUntil = 0;
      return checkedKey(value, `The AWSPREVIOUS value of the page-token secret ${this.#secretId}`);
    } catch (error: unknown) {
      // A secret that was never rotated has no AWSPREVIOUS version: Secrets Manager answers ResourceNotFoundException.
      if (!(error instanceof ParameterNotFoundError)) throw error;
      this.#noPreviousUntil = Date.now() + this.#maxAge * 1000;
      return undefined;
    }
  }
}
