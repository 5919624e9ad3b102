import type { Context } from 'aws-lambda';
import type { z } from 'zod';
import { isDomainError, MalformedEventError } from './errors';
import { logger, metrics, tracer } from './powertools';

/*
 * What every step handler does around its core: validate the input at the seam, give the logs the
 * Lambda context, log a failure once with its class, and flush metrics even when the step throws.
 */

/**
 * Validates a step's input against the shape the ASL passes.
 * @throws MalformedEventError naming each offending field, so a wiring bug is obvious in the execution history.
 */
export function parseStepInput<T>(schema: z.ZodType<T>, event: unknown, step: string): T {
  const result = schema.safeParse(event);
  if (result.success) return result.data;
  const problems = result.error.issues
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(input)'}: ${issue.message}`)
    .join('; ');
  throw new MalformedEventError(`Malformed ${step} input: ${problems}`);
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
      logger.warn('Step failed with a domain error', { errorName: error.name, errorCode: error.code, errorMessage: error.message });
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
