import { join } from 'node:path';
import { REPO_ROOT } from '../infra/repository';

/** What the twin keeps between starts to start faster (role templates, validated definitions); safe to delete. */
export const TWIN_CACHE_DIR = join(REPO_ROOT, 'node_modules', '.cache', 'travel-guide-twin');
