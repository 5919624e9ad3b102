import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPORT_DIR_VARIABLE } from '../../../../local/iam/usage';
import { E2E_DIR, RAN_SUBDIR } from './suite';

// Every e2e test file notes that it ran, so that after the run the IAM check knows whether the
// whole suite ran (only then can a grant nobody used be called unused).
afterAll(() => {
  const dir = process.env[REPORT_DIR_VARIABLE];
  const { testPath } = expect.getState();
  if (dir === undefined || testPath === undefined || !testPath.startsWith(E2E_DIR)) return;
  mkdirSync(join(dir, RAN_SUBDIR), { recursive: true });
  writeFileSync(join(dir, RAN_SUBDIR, createHash('sha256').update(testPath).digest('hex').slice(0, 16)), testPath);
});
