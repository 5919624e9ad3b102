import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Config } from '@jest/types';
import { CACHE_DIR } from '../../../../local/iam/app-roles';
import {
  denials,
  exercisedBy,
  mergeIamReports,
  readIamReports,
  readRecordedUsage,
  REPORT_DIR_VARIABLE,
  unusedGrants,
  USAGE_FILE,
} from '../../../../local/iam/usage';
import { e2eTestFiles, RAN_SUBDIR } from './suite';

/**
 * After the test run, the IAM usage of every twin the e2e files started, merged and written to
 * node_modules/.cache/travel-guide-twin/e2e-iam-report.json; the run fails on any denied call and,
 * when the whole e2e suite ran, on any grant of a function's role that no call used (except the
 * reviewed list in local/iam/usage.ts): the unused-grant check.
 */
export const REPORT_PATH = join(CACHE_DIR, 'e2e-iam-report.json');

export default function globalTeardown(globalConfig: Config.GlobalConfig): void {
  const dir = process.env[REPORT_DIR_VARIABLE];
  if (dir === undefined || !existsSync(dir)) return;
  const reports = readIamReports(dir);
  const ran = existsSync(join(dir, RAN_SUBDIR))
    ? readdirSync(join(dir, RAN_SUBDIR)).map((name) => readFileSync(join(dir, RAN_SUBDIR, name), 'utf8'))
    : [];
  rmSync(dir, { recursive: true, force: true });
  if (reports.length === 0) return;

  const report = mergeIamReports(reports);
  mkdirSync(CACHE_DIR, { recursive: true });
  writeFileSync(REPORT_PATH, `${JSON.stringify(report, null, 2)}\n`);
  const missing = e2eTestFiles().filter((file) => !ran.includes(file));
  const wholeSuite = missing.length === 0 && (globalConfig.testNamePattern ?? '') === '';

  const problems: string[] = [];
  const denied = denials(report);
  if (denied.length > 0)
    problems.push(
      `AWS calls the functions' roles do not allow (each would be AccessDenied on AWS):\n  ${denied.join('\n  ')}`,
    );
  if (wholeSuite) {
    const unused = unusedGrants(report);
    // The grants behind docs/permissions.md's "Exercised by": rewritten on request, else checked.
    // Only which grants were used is compared: the states and routes that used one can vary with
    // timing (a retry, a fault path), and a check that fails by chance would hide real failures.
    const usage = exercisedBy(report);
    if (process.env.UPDATE_IAM_USAGE === '1') writeFileSync(USAGE_FILE, `${JSON.stringify(usage, null, 2)}\n`);
    const recorded = Object.keys(readRecordedUsage());
    if (recorded.join('\n') !== Object.keys(usage).join('\n')) {
      problems.push(
        `${relative(process.cwd(), USAGE_FILE)} does not list the grants the e2e suite used: run \`UPDATE_IAM_USAGE=1 npx jest test/e2e\`, then \`npm run docs:permissions\``,
      );
    }
    if (unused.length > 0) {
      problems.push(
        `Grants no call of the e2e suite used (remove them, or add a reviewed reason to NOT_EXERCISED_BY_THE_TWIN in local/iam/usage.ts):\n  ${unused.join('\n  ')}`,
      );
    }
  }
  const summary = `IAM in the twin: ${report.allowed} calls allowed, ${report.denied} denied across ${reports.length} twins; report ${relative(process.cwd(), REPORT_PATH)}${wholeSuite ? '' : ' (not the whole e2e suite: unused grants not checked)'}`;
  if (problems.length > 0) throw new Error(`${summary}\n\n${problems.join('\n\n')}`);
  process.stdout.write(`\n${summary}\n`);
}
