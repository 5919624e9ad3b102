/**
 * What the thumbnail section times: the real handler; the same S3 calls made with the bare SDK
 * around the core (tells the handler's own code apart from the cost of S3 I/O); the pure core
 * from memory; plain sharp from memory.
 */
export const VARIANTS = ['handler', 'sdkAroundCore', 'core', 'plainSharp'] as const;
export type Variant = (typeof VARIANTS)[number];

export interface ThumbnailStepResult {
  runs: number;
  images: {
    name: string;
    bytes: number;
    /** Wall clock per run (ms). */
    samples: Record<Variant, number[]>;
    /** CPU time of this process per run (ms, all threads): the emulator runs elsewhere, so not counted. */
    cpuMs: Record<Variant, number[]>;
    outputs: number;
    /** Per handler run: the GetObject (serial, before any decode) and the PutObject that ended last (the tail). */
    s3: { getMs: number[]; lastPutMs: number[] };
  }[];
}
