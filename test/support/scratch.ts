import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The variable naming the test run's scratch folder, set by the global setup. */
export const SCRATCH_DIR_VARIABLE = 'TRAVEL_GUIDE_TEST_SCRATCH';

/**
 * A new folder in the test run's scratch folder, which the global teardown removes with all it
 * holds; outside a jest run (no scratch folder), in the system's temporary folder.
 */
export function scratchFolder(prefix: string): string {
  return mkdtempSync(join(process.env[SCRATCH_DIR_VARIABLE] ?? tmpdir(), prefix));
}
