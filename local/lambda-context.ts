import type { Context } from 'aws-lambda';
import { randomUUID } from 'node:crypto';

/** A Lambda context for in-process invocations: what Powertools and handlers read from it. */
export function lambdaContext(options: {
  functionName: string;
  region: string;
  account: string;
  timeoutMs: number;
}): Context {
  const deadline = Date.now() + options.timeoutMs;
  const requestId = randomUUID();
  const unsupported = (): never => {
    throw new Error('Callback-style completion is not supported by the local twin; return a value or a promise.');
  };
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: options.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${options.region}:${options.account}:function:${options.functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${options.functionName}`,
    logStreamName: `local/[$LATEST]${requestId.replace(/-/g, '')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}
