import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { AppFunction } from './app-function';

/** A function shown on the dashboard (and, for a pipeline step, alarmed on). */
export interface ObservedFunction {
  /** Label on the dashboard and in the alarm description, e.g. `thumbnail`. */
  readonly name: string;
  /** The function. */
  readonly fn: AppFunction;
}

/** What a monitored part adds its alarms and widgets to. */
export interface AlarmBoard {
  /** The stage's dashboard. */
  readonly dashboard: cloudwatch.Dashboard;
  /** Adds an alarm at or above `threshold` in one five-minute period, named after the stack, notifying the alarm topic. */
  alarm(alarmId: string, description: string, metric: cloudwatch.IMetric, threshold?: number): cloudwatch.Alarm;
}

/** The period of every alarm and graph. */
export const FIVE_MINUTES = Duration.minutes(5);
/** A five-minute sum. */
export const FIVE_MINUTE_SUM = { period: FIVE_MINUTES, statistic: cloudwatch.Stats.SUM };

/** p50, p90 and p99 of one metric. */
export function percentiles(make: (statistic: string) => cloudwatch.IMetric): cloudwatch.IMetric[] {
  return ['p50', 'p90', 'p99'].map((statistic) => make(statistic));
}

/** Three graphs of some functions, side by side: duration p50, duration p99, errors and throttles. */
export function functionGraphs(subject: string, functions: readonly ObservedFunction[]): cloudwatch.GraphWidget[] {
  const duration = (statistic: string): cloudwatch.GraphWidget =>
    new cloudwatch.GraphWidget({
      title: `${subject} duration ${statistic}`,
      width: 8,
      left: functions.map(({ name, fn }) =>
        fn.function.metricDuration({ period: FIVE_MINUTES, statistic, label: name }),
      ),
    });
  return [
    duration('p50'),
    duration('p99'),
    new cloudwatch.GraphWidget({
      title: `${subject} errors and throttles`,
      width: 8,
      left: functions.map(({ name, fn }) => fn.function.metricErrors({ ...FIVE_MINUTE_SUM, label: `${name} errors` })),
      right: functions.map(({ name, fn }) =>
        fn.function.metricThrottles({ ...FIVE_MINUTE_SUM, label: `${name} throttles` }),
      ),
    }),
  ];
}
