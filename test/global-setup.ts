import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '@jest/types';
import iamGlobalSetup from './e2e/support/iam/global-setup';
import { SCRATCH_DIR_VARIABLE } from './support/scratch';

/**
 * Before the test run: its scratch folder (cloud assemblies of the synth tests and the like, which
 * the global teardown removes), then the IAM setup of the e2e suite.
 */
export default async function globalSetup(globalConfig: Config.GlobalConfig): Promise<void> {
  process.env[SCRATCH_DIR_VARIABLE] = mkdtempSync(join(tmpdir(), 'travel-guide-test-'));
  await iamGlobalSetup(globalConfig);
}
