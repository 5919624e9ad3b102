/**
 * Writes docs/openapi.json, the REST API's OpenAPI 3.1 document, from the route table and the
 * functions' zod schemas (functions/api/openapi.ts).
 *
 *   npm run docs:openapi          write it
 *   npm run docs:openapi:check    exit 1 when the committed file is out of date
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildOpenApiDocument } from '../functions/api/openapi';

export const OPENAPI_PATH = path.resolve(__dirname, '..', 'docs', 'openapi.json');
export const OPENAPI_REGENERATE_HINT = 'run `npm run docs:openapi` to update docs/openapi.json';

/** The file's exact text: two-space JSON and a final newline (what prettier keeps as it is). */
export function renderOpenApiDocument(): string {
  return `${JSON.stringify(buildOpenApiDocument(), null, 2)}\n`;
}

function main(): void {
  const text = renderOpenApiDocument();
  if (process.argv.includes('--check')) {
    let committed = '';
    try {
      committed = readFileSync(OPENAPI_PATH, 'utf8');
    } catch {
      // A missing file is out of date too.
    }
    if (committed !== text) {
      process.stderr.write(`docs/openapi.json is out of date: ${OPENAPI_REGENERATE_HINT}\n`);
      process.exit(1);
    }
    process.stdout.write('docs/openapi.json is up to date\n');
    return;
  }
  mkdirSync(path.dirname(OPENAPI_PATH), { recursive: true });
  writeFileSync(OPENAPI_PATH, text);
  process.stdout.write(`wrote ${path.relative(process.cwd(), OPENAPI_PATH)}\n`);
}

if (require.main === module) main();
