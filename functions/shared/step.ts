import type { Context } from 'aws-lambda';
import { safeParse } from 'zod/mini';
import type * as z from 'zod/mini';
import './zod-locale';
import { isDomainError, MalformedEventError } from './errors';
import { logger, tracer } from './powertools';
import { metrics } from './metrics';

/*
 * What every step handler does around its core: validate the input at the seam, give the logs the
 * Lambda context, log a failure once with its class, and flush metrics even when the step throws.
 */

/**
 * Validates a step's input against the shape the ASL passes.
 * @throws MalformedEventError naming each offending field, so a wiring bug is obvious in the execution history.
 */
export function parseStepInput<T>(schema: z.core.$ZodType<T>, event: unknown, step: string): T {
  appendExecutionId(event);
  const result = safeParse(schema, event);
  if (result.success) return result.data;
  const problems = result.error.issues
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(input)'}: ${issue.message}`)
    .join('; ');
  throw new MalformedEventError(`Malformed ${step} input: ${problems}`);
}

/**
 * The ASL passes `$$.Execution.Id` to every Task as `executionId`: appended to every log line and
 * to the EMF metadata, it ties a step's logs and metrics to one execution's history.
 */
function appendExecutionId(event: unknown): void {
  if (typeof event !== 'object' || event === null || !('executionId' in event)) return;
  const { executionId } = event;
  if (typeof executionId !== 'string' || executionId.length === 0) return;
  logger.appendKeys({ executionId });
  metrics.addMetadata('executionId', executionId);
}

/** Runs one invocation of a step with fresh log keys, and publishes the metrics it stored. */
export async function runStep<T>(context: Context | undefined, body: () => Promise<T>): Promise<T> {
  // Module-scope logger: keys appended by the previous invocation in this environment must not leak.
  logger.resetKeys();
  if (context !== undefined) logger.addContext(context);
  tracer.annotateColdStart();
  try {
    return await body();
  } catch (error: unknown) {
    // Bad uploads are expected traffic (warn); anything else is a fault worth an alarm (error).
    if (isDomainError(error)) {
      logger.warn('Step failed with a domain error', {
        errorName: error.name,
        errorCode: error.code,
        errorMessage: error.message,
      });
    } else {
      if (error instanceof Error) logger.error('Step failed', error);
      else logger.error('Step failed', { error: String(error) });
    }
    if (error instanceof Error) tracer.addErrorAsMetadata(error);
    throw error;
  } finally {
    // A step that failed early stored nothing; publishing would only log a warning.
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  }
}
