import * as path from 'node:path';

/**
 * The files a fresh module registry loads for one module of the repository (a path from its root,
 * e.g. `functions/media/handler`): what that module's bundle evaluates at cold start.
 */
export function modulesLoadedBy(modulePath: string): string[] {
  let loaded: string[] = [];
  jest.isolateModules(() => {
    const before = new Set(Object.keys(require.cache));
    jest.requireActual(path.resolve(__dirname, '..', '..', '..', modulePath));
    loaded = Object.keys(require.cache).filter((file) => !before.has(file));
  });
  return loaded;
}
