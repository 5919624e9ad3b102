import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The e2e suite's test files, which together must exercise every grant of every function's role. */
export const E2E_DIR = resolve(__dirname, '..', '..');

export function e2eTestFiles(): string[] {
  return readdirSync(E2E_DIR)
    .filter((name) => name.endsWith('.test.ts'))
    .map((name) => join(E2E_DIR, name))
    .sort();
}

/** Where each test file of the run notes that it ran (test/e2e/support/iam/test-file.ts), under the report folder. */
export const RAN_SUBDIR = 'ran';
