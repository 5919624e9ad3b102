/** The types of local/start.cjs (`npm start`), for the tests. */
export declare const CACHE_DIR: string;
export declare const MANIFEST: string;
/** The cache key of a bundle built from these inputs (paths relative to root). */
export declare function bundleKey(inputs: readonly string[], root?: string): string;
/** The functions whose handler.ts exists under root/functions. */
export declare function handlerList(root: string): string[];
/** The bundle of the current sources, built when missing or stale. */
export declare function twinBundle(): Promise<{ path: string; built: boolean }>;
