import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TWIN_CACHE_DIR } from '../../../local/cache';
import { bundleKey, CACHE_DIR, handlerList } from '../../../local/start.cjs';

/** A repository in miniature: two functions, a tsconfig and one source file. */
function makeRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'twin-bundle-key-'));
  for (const fn of ['articles', 'media']) {
    mkdirSync(join(root, 'functions', fn), { recursive: true });
    writeFileSync(join(root, 'functions', fn, 'handler.ts'), `export const handler = () => '${fn}';\n`);
  }
  mkdirSync(join(root, 'functions', 'shared'));
  mkdirSync(join(root, 'local'));
  writeFileSync(join(root, 'local', 'main.ts'), 'export const port = 3000;\n');
  writeFileSync(join(root, 'tsconfig.json'), '{}\n');
  return root;
}

describe('the cached twin bundle behind npm start (local/start.cjs)', () => {
  const roots: string[] = [];
  afterAll(() => roots.forEach((root) => rmSync(root, { recursive: true, force: true })));
  const root = (): string => {
    const made = makeRoot();
    roots.push(made);
    return made;
  };

  it('lives in the twin cache folder', () => {
    expect(CACHE_DIR).toBe(TWIN_CACHE_DIR);
  });

  it('lists the functions that have a handler, which the twin can load by name', () => {
    expect(handlerList(root())).toEqual(['articles', 'media']);
  });

  it('keeps its key while the sources are unchanged', () => {
    const dir = root();
    const inputs = ['local/main.ts', 'functions/articles/handler.ts'];

    expect(bundleKey(inputs, dir)).toBe(bundleKey(inputs, dir));
  });

  it('gets a new key when an input, tsconfig.json or the list of handlers changes', () => {
    const dir = root();
    const inputs = ['local/main.ts', 'functions/articles/handler.ts'];
    const keys = [bundleKey(inputs, dir)];

    writeFileSync(join(dir, 'local', 'main.ts'), 'export const port = 3001;\n');
    keys.push(bundleKey(inputs, dir));
    writeFileSync(join(dir, 'tsconfig.json'), '{"compilerOptions":{}}\n');
    keys.push(bundleKey(inputs, dir));
    mkdirSync(join(dir, 'functions', 'sweeper'));
    writeFileSync(join(dir, 'functions', 'sweeper', 'handler.ts'), 'export const handler = () => 1;\n');
    keys.push(bundleKey(inputs, dir));

    expect(new Set(keys).size).toBe(4);
  });

  it('refuses a key when an input is gone (the bundle is built again)', () => {
    const dir = root();
    rmSync(join(dir, 'local', 'main.ts'));

    expect(() => bundleKey(['local/main.ts'], dir)).toThrow(/ENOENT/);
  });
});
