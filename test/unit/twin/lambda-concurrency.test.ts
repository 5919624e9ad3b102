import {
  defaultAccountConcurrency,
  defaultCpuBoundConcurrency,
  LambdaConcurrency,
  LambdaThrottledError,
} from '../../../local/pipeline/lambda-concurrency';
import { LambdaFunctionError, withFunctionTimeout } from '../../../local/pipeline/lambda-invoke';

/*
 * The twin's model of Lambda's execution environments: a bounded number of concurrent
 * invocations, refused at once beyond it (never queued), as a synchronous invoke is on AWS.
 */

describe('Lambda concurrency in the twin', () => {
  /** The refusal of an invocation beyond the environments set apart for its function. */
  const BEYOND_ITS_OWN_POOL = expect.objectContaining({
    reason: 'ReservedFunctionConcurrentInvocationLimitExceeded',
  }) as Error;

  /** The twin's Lambda with `options`, two invocations of `fn` running. */
  function withTwoRunning(options: ConstructorParameters<typeof LambdaConcurrency>[0], fn: string): LambdaConcurrency {
    const lambda = new LambdaConcurrency(options);
    lambda.acquire(fn);
    lambda.acquire(fn);
    return lambda;
  }

  it('refuses an invocation beyond the account limit with Lambda.TooManyRequestsException', () => {
    // Arrange
    const lambda = new LambdaConcurrency({ accountLimit: 2 });
    lambda.acquire('thumbnail');
    lambda.acquire('record');

    // Act
    const refused = (() => {
      try {
        lambda.acquire('thumbnail');
        return undefined;
      } catch (error: unknown) {
        return error;
      }
    })();

    // Assert
    expect(refused).toBeInstanceOf(LambdaThrottledError);
    expect(refused).toMatchObject({
      name: 'Lambda.TooManyRequestsException',
      reason: 'ConcurrentInvocationLimitExceeded',
    });
    expect((refused as Error).message).toMatch(/Rate Exceeded.*TooManyRequestsException/);
    expect(lambda.snapshot().functions.thumbnail).toMatchObject({ running: 1, invocations: 1, throttles: 1 });
  });

  it('admits the next invocation once a running one has given its environment back', () => {
    // Arrange
    const lambda = new LambdaConcurrency({ accountLimit: 1 });
    const release = lambda.acquire('thumbnail');

    // Act
    release();
    release(); // a second release of the same environment must not free another one
    lambda.acquire('labels');

    // Assert
    expect(() => lambda.acquire('record')).toThrow(LambdaThrottledError);
    expect(lambda.snapshot().sharedRunning).toBe(1);
  });

  it('limits a function with reserved concurrency to its reservation, apart from the shared pool', () => {
    // Arrange
    const lambda = withTwoRunning({ accountLimit: 1, reserved: { labels: 2 } }, 'labels');

    // Act
    const third = (): unknown => lambda.acquire('labels');
    const shared = lambda.acquire('thumbnail');

    // Assert
    expect(third).toThrow(BEYOND_ITS_OWN_POOL);
    expect(typeof shared).toBe('function');
    expect(lambda.snapshot().functions.labels).toMatchObject({
      limit: 2,
      reserved: true,
      running: 2,
      peak: 2,
      throttles: 1,
    });
  });

  it('gives the CPU-bound thumbnail function environments of its own, so the light steps never wait behind it', () => {
    // Arrange
    const lambda = withTwoRunning({ accountLimit: 1, cpuBound: 2 }, 'thumbnail');

    // Act
    const third = (): unknown => lambda.acquire('thumbnail');
    const record = lambda.acquire('record');

    // Assert
    expect(third).toThrow(BEYOND_ITS_OWN_POOL);
    expect(typeof record).toBe('function');
    expect(() => lambda.acquire('labels')).toThrow(LambdaThrottledError);
    expect(lambda.snapshot()).toMatchObject({
      sharedRunning: 1,
      functions: { thumbnail: { limit: 2, pool: 'cpu-bound', running: 2, throttles: 1 }, record: { pool: 'shared' } },
    });
  });

  it("lets a reservation the stack sets win over the twin's CPU-bound limit", () => {
    const lambda = new LambdaConcurrency({ accountLimit: 4, cpuBound: 4, reserved: { thumbnail: 1 } });

    lambda.acquire('thumbnail');

    expect(() => lambda.acquire('thumbnail')).toThrow(LambdaThrottledError);
    expect(lambda.snapshot().functions.thumbnail).toMatchObject({ limit: 1, pool: 'reserved' });
    expect(lambda.describe()).toBe('4 shared, thumbnail 1 reserved');
  });

  it('sizes its defaults to the cores: two environments per core for the shared pool and for thumbnails', () => {
    expect(defaultAccountConcurrency(2)).toBe(4);
    expect(defaultCpuBoundConcurrency(2)).toBe(4);
    expect(defaultCpuBoundConcurrency(1)).toBe(2);
    expect(new LambdaConcurrency({ accountLimit: 4, cpuBound: 4 }).describe()).toBe(
      '4 shared, thumbnail 4 of its own (CPU-bound)',
    );
  });

  it('refuses a limit that is not a positive whole number', () => {
    expect(() => new LambdaConcurrency({ accountLimit: 0 })).toThrow(/positive integer/);
    expect(() => new LambdaConcurrency({ accountLimit: 2, reserved: { labels: 1.5 } })).toThrow(/labels/);
    expect(() => new LambdaConcurrency({ accountLimit: 2, cpuBound: 0 })).toThrow(/CPU-bound/);
  });
});

describe("a function's own timeout in the twin", () => {
  it('fails an invocation still running at its timeout with Sandbox.Timedout, as Lambda reports it', async () => {
    // Arrange
    const neverEnds = new Promise<never>(() => undefined);

    // Act
    const outcome = withFunctionTimeout(neverEnds, 5, 'request-1');

    // Assert
    await expect(outcome).rejects.toBeInstanceOf(LambdaFunctionError);
    await expect(outcome).rejects.toMatchObject({ name: 'Sandbox.Timedout' });
    await expect(outcome).rejects.toThrow(/Task timed out after 0\.01 seconds/);
  });

  it('passes through the result of an invocation that ends in time', async () => {
    await expect(withFunctionTimeout(Promise.resolve({ ok: true }), 1000, 'request-2')).resolves.toEqual({ ok: true });
  });
});
