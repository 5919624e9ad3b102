import type { Context } from 'aws-lambda';

/** What Lambda calls: the real handler modules' `handler`, or one built with `createHandler(deps)`. */
export type LambdaHandler = (event: unknown, context: Context) => unknown;

/**
 * The error Lambda reports for a handler that threw: the type is the error's `name` (which the
 * ASL matches in Retry/Catch) and the cause is the JSON Step Functions shows for Lambda errors.
 */
export class LambdaFunctionError extends Error {
  constructor(errorType: string, errorMessage: string) {
    super(JSON.stringify({ errorType, errorMessage }));
    this.name = errorType;
  }
}

function toLambdaError(error: unknown): LambdaFunctionError {
  if (error instanceof Error) return new LambdaFunctionError(error.name || 'Error', error.message);
  return new LambdaFunctionError('Error', String(error));
}

/** Lambda passes JSON in and out: the same round trip drops undefined, turns Dates to strings, and isolates states from each other's objects. */
function viaJson(value: unknown): unknown {
  return value === undefined ? null : JSON.parse(JSON.stringify(value));
}

/** Invokes a handler the way the Lambda service does for a Step Functions Task: JSON in, JSON out, errors as Lambda reports them. */
export async function invokeAsLambda(handler: LambdaHandler, input: unknown, context: Context): Promise<unknown> {
  try {
    return viaJson(await handler(viaJson(input), context));
  } catch (error: unknown) {
    throw toLambdaError(error);
  }
}

/**
 * Lambda's own timeout: an invocation still running after `timeoutMs` fails with
 * `Sandbox.Timedout` and Lambda's message, counted from the start of the invocation. (The Task's
 * TimeoutSeconds, a few seconds longer, only fires when Lambda itself does not answer.)
 */
export async function withFunctionTimeout<T>(invocation: Promise<T>, timeoutMs: number, requestId: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new LambdaFunctionError(
            'Sandbox.Timedout',
            `RequestId: ${requestId} Error: Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`,
          ),
        ),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([invocation, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}
