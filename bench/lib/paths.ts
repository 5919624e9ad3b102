import { join } from 'node:path';
import { REPO_ROOT } from '../../infra/repository';

export { REPO_ROOT };
/** Ignored by git and eslint: generated inputs, bundles and child results. */
export const BENCH_TMP = join(REPO_ROOT, 'bench', 'tmp');
export const INPUT_DIR = join(BENCH_TMP, 'inputs');
export const BUNDLE_DIR = join(BENCH_TMP, 'bundles');
export const RESULTS_FILE = join(REPO_ROOT, 'bench', 'results.json');
/** What `npm start` runs (package.json): the twin from its cached bundle, in this one process. */
export const TWIN_START_SCRIPT = join(REPO_ROOT, 'local', 'start.cjs');
