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
 *
 * Where this machine differs from Lambda: every environment of a Lambda function has its own CPU,
 * while here all handlers share this machine's cores. A CPU-bound function (the thumbnail step:
 * sharp decoding and encoding) is therefore given environments of its own, sized to the cores
 * (`cpuBound`), counted apart from the shared pool like a reservation: thumbnails run as fast as
 * the cores allow, and the light steps (record, detectors) always find an environment, as they
 * would on Lambda, instead of waiting behind a burst of thumbnails.
 */

/** Functions whose invocations keep a core busy for their whole run; on Lambda each has a vCPU or more. */
export const CPU_BOUND_FUNCTIONS: readonly string[] = ['thumbnail'];

export interface LambdaConcurrencySettings {
  /** Concurrent invocations shared by every function without a reservation. */
  accountLimit: number;
  /** Reserved concurrency by function name (functions/<name>). */
  reserved?: Readonly<Record<string, number>>;
  /**
   * Environments of each CPU-bound function ({@link CPU_BOUND_FUNCTIONS}), sized to this machine's
   * cores rather than set by the stack, and counted apart from the shared pool.
   * @default no CPU-bound limit: those functions share the pool
   */
  cpuBound?: number;
}

export interface FunctionConcurrencyStats {
  limit: number;
  /** The function has environments of its own: a reservation (as on AWS) or the twin's CPU-bound limit. */
  reserved: boolean;
  /** Whose limit: the stack's reserved concurrency, the twin's CPU-bound limit, or the shared account pool. */
  pool: 'reserved' | 'cpu-bound' | 'shared';
  running: number;
  peak: number;
  invocations: number;
  throttles: number;
}

/** The twin's default: two environments per core (an invocation waits on S3 and DynamoDB part of the time). */
export function defaultAccountConcurrency(cores = availableParallelism()): number {
  return Math.max(2, 2 * cores);
}

/**
 * The twin's default for each CPU-bound function: two environments per core. One thumbnail keeps
 * about one core busy but waits on S3 part of the time, so two per core keep the cores busy while
 * each invocation still runs at close to its own speed (far within its Lambda timeout).
 */
export function defaultCpuBoundConcurrency(cores = availableParallelism()): number {
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
  /** Functions with environments of their own: the stack's reservations and the twin's CPU-bound limit. */
  private readonly reserved: ReadonlyMap<string, { limit: number; pool: 'reserved' | 'cpu-bound' }>;
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
    const { cpuBound } = settings;
    if (cpuBound !== undefined && (!Number.isSafeInteger(cpuBound) || cpuBound < 1))
      throw new Error(`The CPU-bound concurrency limit must be a positive integer, got ${cpuBound}`);
    this.accountLimit = settings.accountLimit;
    const own = new Map<string, { limit: number; pool: 'reserved' | 'cpu-bound' }>();
    if (cpuBound !== undefined)
      for (const name of CPU_BOUND_FUNCTIONS) own.set(name, { limit: cpuBound, pool: 'cpu-bound' });
    // A reservation the stack sets wins: it is the function's limit on AWS too.
    for (const [name, limit] of Object.entries(settings.reserved ?? {})) own.set(name, { limit, pool: 'reserved' });
    this.reserved = own;
  }

  private statsOf(functionName: string): FunctionConcurrencyStats {
    let stats = this.stats.get(functionName);
    if (stats === undefined) {
      const own = this.reserved.get(functionName);
      stats = {
        limit: own?.limit ?? this.accountLimit,
        reserved: own !== undefined,
        pool: own?.pool ?? 'shared',
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
    const own = [...this.reserved].map(
      ([name, { limit, pool }]) => `${name} ${limit} ${pool === 'reserved' ? 'reserved' : 'of its own (CPU-bound)'}`,
    );
    return [`${this.accountLimit} shared`, ...own].join(', ');
  }
}
