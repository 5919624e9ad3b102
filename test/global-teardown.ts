import { rmSync } from 'node:fs';
import type { Config } from '@jest/types';
import iamGlobalTeardown from './e2e/support/iam/global-teardown';
import { SCRATCH_DIR_VARIABLE } from './support/scratch';

/** After the test run: the scratch folder removed, then the IAM report of the e2e suite checked. */
export default function globalTeardown(globalConfig: Config.GlobalConfig): void {
  const scratch = process.env[SCRATCH_DIR_VARIABLE];
  if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
  iamGlobalTeardown(globalConfig);
}
