import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '@jest/types';
import { loadAppTemplates } from '../../../../local/iam/app-roles';
import { REPORT_DIR_VARIABLE } from '../../../../local/iam/usage';
import { e2eTestFiles } from './suite';

/**
 * Before the test run: a folder for the twins' IAM usage reports (each e2e file starts its own
 * twin), and the app's roles synthesized once into the cache, so no e2e file synthesizes the app.
 */
export default async function globalSetup(globalConfig: Config.GlobalConfig): Promise<void> {
  process.env[REPORT_DIR_VARIABLE] = mkdtempSync(join(tmpdir(), 'travel-guide-iam-'));
  const patterns = globalConfig.testPathPatterns.patterns;
  const e2eMayRun =
    patterns.length === 0 ||
    e2eTestFiles().some((file) => patterns.some((pattern) => new RegExp(pattern, 'i').test(file)));
  if (e2eMayRun && process.env.IAM !== 'off') await loadAppTemplates();
}
