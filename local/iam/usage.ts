import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { DecisionRow, FunctionUsage, IamReport } from './enforcer';

/**
 * The usage report across twins: each e2e test file starts its own twin, which writes its report
 * into the folder named by TWIN_IAM_REPORT_DIR when it stops; after the suite they are merged and
 * checked for denials and for grants no call used.
 */

export const REPORT_DIR_VARIABLE = 'TWIN_IAM_REPORT_DIR';

/**
 * What the whole e2e suite's calls used, per grant (`function action resource` → the states,
 * routes and presigned requests): written by the e2e run with UPDATE_IAM_USAGE=1
 * (test/e2e/support/iam/global-teardown.ts), read by the generator of docs/permissions.md.
 */
export const USAGE_FILE = resolve(__dirname, '..', '..', 'docs', 'iam-usage.json');

/** The recorded usage, or none when the file is missing. */
export function readRecordedUsage(file = USAGE_FILE): Record<string, string[]> {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, string[]>;
  } catch {
    return {};
  }
}

/**
 * Grants the twin cannot exercise, each with the reason; every other grant of a function's role
 * must be used by some call of the e2e suite. Keyed by action, on whatever resource the role has
 * it (the approved sets in test/iam pin the resource).
 */
export const NOT_EXERCISED_BY_THE_TWIN: Readonly<Record<string, string>> = {
  'logs:CreateLogStream':
    "Lambda itself creates the function's log stream with the role; the twin's handlers log to the console.",
  'logs:PutLogEvents':
    "Lambda itself ships the function's stdout to CloudWatch Logs with the role; the twin's handlers log to the console.",
  'xray:PutTraceSegments': "The Lambda runtime's X-Ray daemon sends the segments; the twin runs with tracing off.",
  'xray:PutTelemetryRecords': "The Lambda runtime's X-Ray daemon sends telemetry; the twin runs with tracing off.",
  'sqs:SendMessage':
    "Lambda itself sends an asynchronous invocation's event to the function's dead-letter queue with the role once its retries fail; the twin has no SQS and keeps such events itself (the watcher's: in memory, or in DIR/dead-letters/watcher/ with --data-dir; Twin.watcherDeadLetters).",
};

/** Writes one twin's report where the test run collects them (nothing when no folder is set). */
export function writeIamReport(report: IamReport, dir = process.env[REPORT_DIR_VARIABLE]): void {
  if (dir === undefined || dir === '') return;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `twin-${process.pid}-${randomBytes(4).toString('hex')}.json`), JSON.stringify(report));
}

export function readIamReports(dir: string): IamReport[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((name) => name.startsWith('twin-') && name.endsWith('.json'))
    .map((name) => JSON.parse(readFileSync(join(dir, name), 'utf8')) as IamReport);
}

const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** One report: counts summed and `via` united per (function, action, resource, decision). */
export function mergeIamReports(reports: readonly IamReport[]): IamReport {
  const functions = new Map<string, FunctionUsage>();
  for (const report of reports) {
    for (const usage of report.functions) {
      const merged = functions.get(usage.fn) ?? { fn: usage.fn, role: usage.role, grants: usage.grants, decisions: [] };
      for (const row of usage.decisions) {
        const same = merged.decisions.find(
          (d) => d.action === row.action && d.resource === row.resource && d.decision === row.decision,
        );
        if (same === undefined) merged.decisions.push({ ...row, via: [...row.via] });
        else {
          same.count += row.count;
          same.via = [...new Set([...same.via, ...row.via])].sort(compareText);
        }
      }
      functions.set(usage.fn, merged);
    }
  }
  const all = [...functions.values()].sort((a, b) => compareText(a.fn, b.fn));
  for (const usage of all)
    usage.decisions.sort(
      (a, b) =>
        compareText(a.action, b.action) || compareText(a.resource, b.resource) || compareText(a.decision, b.decision),
    );
  const total = (decision: DecisionRow['decision']): number =>
    all
      .flatMap((usage) => usage.decisions)
      .filter((row) => row.decision === decision)
      .reduce((sum, row) => sum + row.count, 0);
  return {
    enforcing: reports.some((report) => report.enforcing),
    allowed: total('allowed'),
    denied: total('denied'),
    functions: all,
  };
}

/** Every denied call, one line per (function, action, resource). */
export function denials(report: IamReport): string[] {
  return report.functions.flatMap((usage) =>
    usage.decisions
      .filter((row) => row.decision === 'denied')
      .map((row) => `${usage.fn} ${row.action} ${row.resource} (${row.count}×, via ${row.via.join(', ')})`),
  );
}

/** Grants of each function's role that no allowed call used, except the reviewed list. */
export function unusedGrants(
  report: IamReport,
  reviewed: Readonly<Record<string, string>> = NOT_EXERCISED_BY_THE_TWIN,
): string[] {
  return report.functions.flatMap((usage) =>
    usage.grants
      .filter((grant) => reviewed[grant.action] === undefined)
      .filter(
        (grant) =>
          !usage.decisions.some(
            (row) => row.decision === 'allowed' && row.action === grant.action && row.resource === grant.resource,
          ),
      )
      .map((grant) => `${usage.fn} ${grant.action} ${grant.resource}`),
  );
}

/**
 * Which ASL states, API routes and presigned requests used each grant, keyed `function action
 * resource` (the resource as docs/permissions.md names it): the "Exercised by" column, recorded
 * from the whole e2e suite into docs/iam-usage.json.
 */
export function exercisedBy(report: IamReport): Record<string, string[]> {
  const entries = report.functions.flatMap((usage) =>
    usage.decisions
      .filter((row) => row.decision === 'allowed')
      .map((row) => [`${usage.fn} ${row.action} ${row.resource}`, row.via] as const),
  );
  return Object.fromEntries(entries.sort(([a], [b]) => compareText(a, b)));
}
