import { Logger } from '@aws-lambda-powertools/logger';
import { Tracer } from '@aws-lambda-powertools/tracer';

/**
 * One logger and tracer instance per function bundle. The service name comes from
 * POWERTOOLS_SERVICE_NAME, set by the function construct. Metrics live in ./metrics, so a
 * function that emits none (the API functions) does not carry the Metrics utility in its bundle.
 */
export const logger = new Logger();
export const tracer = new Tracer();
