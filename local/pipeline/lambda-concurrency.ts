import { availableParallelism } from 'node:os';

/**
 * Lambda's execution model, as far as a burst can see it: each function runs at most as many
 * invocations at once as it has execution environments. A function with reserved concurrency
 * gets exactly that many; every other function shares the account's concurrency limit. An
 * invocation beyond the limit is refused at once with `Lambda.TooManyRequestsException` (a
 * synchronous invoke, which is what a Step Functions Task does, is never queued by Lambda), and
 * the ASL's Retry decides when to try again. Nothing waits inside another invocation's timer.
 *
 * On AWS reserved concurrency is carved out of the account limit; here the account limit is
 * sized to this machine's cores while reservations follow Rekognition's quota, so the reserved
 * functions are counted apart from the shared pool (with AWS's default of 1,000 the difference
 * does not matter).
 */

export interface LambdaConcurrencySettings {
  /** Concurrent invocations shared by every function without a reservation. */
  accountLimit: number;
  /** Reserved concurrency by function name (functions/<name>). */
  reserved?: Readonly<Record<string, number>>;
}

export interface FunctionConcurrencyStats {
  limit: number;
  reserved: boolean;
  running: number;
  peak: number;
  invocations: number;
  throttles: number;
}

/** The twin's default: two environments per core (an invocation waits on S3 and DynamoDB part of the time). */
export function defaultAccountConcurrency(cores = availableParallelism()): number {
  return Math.max(2, 2 * cores);
}

/** What Lambda answers over the limit, as Step Functions reports it for a Task. */
export class LambdaThrottledError extends Error {
  readonly reason: 'ConcurrentInvocationLimitExceeded' | 'ReservedFunctionConcurrentInvocationLimitExceeded';

  constructor(functionName: string, reserved: boolean) {
    const reason = reserved ? 'ReservedFunctionConcurrentInvocationLimitExceeded' : 'ConcurrentInvocationLimitExceeded';
    super(
      `Rate Exceeded. (Service: AWSLambda; Status Code: 429; Error Code: TooManyRequestsException; Reason: ${reason}; Function: ${functionName})`,
    );
    this.name = 'Lambda.TooManyRequestsException';
    this.reason = reason;
  }
}

export class LambdaConcurrency {
  private readonly accountLimit: number;
  private readonly reserved: ReadonlyMap<string, number>;
  private sharedRunning = 0;
  private sharedPeak = 0;
  private readonly stats = new Map<string, FunctionConcurrencyStats>();

  constructor(settings: LambdaConcurrencySettings) {
    if (!Number.isSafeInteger(settings.accountLimit) || settings.accountLimit < 1) {
      throw new Error(`The account concurrency limit must be a positive integer, got ${settings.accountLimit}`);
    }
    for (const [name, limit] of Object.entries(settings.reserved ?? {})) {
      if (!Number.isSafeInteger(limit) || limit < 1)
        throw new Error(`Reserved concurrency of ${name} must be a positive integer, got ${limit}`);
    }
    this.accountLimit = settings.accountLimit;
    this.reserved = new Map(Object.entries(settings.reserved ?? {}));
  }

  private statsOf(functionName: string): FunctionConcurrencyStats {
    let stats = this.stats.get(functionName);
    if (stats === undefined) {
      const reserved = this.reserved.get(functionName);
      stats = {
        limit: reserved ?? this.accountLimit,
        reserved: reserved !== undefined,
        running: 0,
        peak: 0,
        invocations: 0,
        throttles: 0,
      };
      this.stats.set(functionName, stats);
    }
    return stats;
  }

  /**
   * Takes one execution environment of the function.
   * @returns the function that gives it back (call it once, when the invocation has really ended)
   * @throws LambdaThrottledError when the function or the account is at its limit
   */
  acquire(functionName: string): () => void {
    const stats = this.statsOf(functionName);
    const reserved = this.reserved.has(functionName);
    const full = reserved ? stats.running >= stats.limit : this.sharedRunning >= this.accountLimit;
    if (full) {
      stats.throttles++;
      throw new LambdaThrottledError(functionName, reserved);
    }
    stats.running++;
    stats.invocations++;
    stats.peak = Math.max(stats.peak, stats.running);
    if (!reserved) {
      this.sharedRunning++;
      this.sharedPeak = Math.max(this.sharedPeak, this.sharedRunning);
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      stats.running--;
      if (!reserved) this.sharedRunning--;
    };
  }

  /** Limits, running invocations and throttles per function, for /_local/health and the load benchmark. */
  snapshot(): {
    accountLimit: number;
    sharedRunning: number;
    sharedPeak: number;
    functions: Record<string, FunctionConcurrencyStats>;
  } {
    return {
      accountLimit: this.accountLimit,
      sharedRunning: this.sharedRunning,
      sharedPeak: this.sharedPeak,
      functions: Object.fromEntries([...this.stats].map(([name, stats]) => [name, { ...stats }])),
    };
  }

  /** One line for the twin's start banner. */
  describe(): string {
    const reserved = [...this.reserved].map(([name, limit]) => `${name} ${limit} reserved`);
    return [`${this.accountLimit} shared`, ...reserved].join(', ');
  }
}
