import { Metrics } from '@aws-lambda-powertools/metrics';

/**
 * The EMF metrics instance of a pipeline step's bundle (namespace from
 * POWERTOOLS_METRICS_NAMESPACE, set by the function construct). Its own module, apart from the
 * logger and tracer, so only the functions that emit metrics bundle the Metrics utility.
 */
export const metrics = new Metrics({ namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'TravelGuide' });
