import { readFile } from 'node:fs/promises';
import { runAsChild } from '../lib/child';
import sharp from 'sharp';
import { createRenditions } from '../../functions/thumbnail/renditions';

/*
 * Child process: peak resident set size of the thumbnail step's core on one large photo, read
 * from the kernel's high-water mark (process.resourceUsage().maxRSS, KiB) after the work is done.
 * The core holds what the handler holds (input bytes, the bounded intermediate, the outputs);
 * the handler adds the SDK client, which the "baseline" number includes as the modules loaded.
 *
 * argv: resultFile inputFile
 */

export interface PeakRssResult {
  inputBytes: number;
  /** maxRSS after loading sharp and reading the input, before any pixel work (KiB). */
  baselineKiB: number;
  /** maxRSS at the end (KiB). */
  peakKiB: number;
  elapsedMs: number;
  outputs: number;
  sharpConcurrency: number;
}

async function measure([inputFile]: string[]): Promise<PeakRssResult> {
  if (inputFile === undefined) throw new Error('usage: peak-rss resultFile inputFile');
  // As the handler does: one image per invocation, no operation cache.
  sharp.cache(false);
  const bytes = await readFile(inputFile);
  const baselineKiB = process.resourceUsage().maxRSS;
  const started = performance.now();
  const set = await createRenditions(bytes, { maxInputPixels: 100_000_000 }, async () => undefined);
  const elapsedMs = performance.now() - started;
  const result: PeakRssResult = {
    inputBytes: bytes.length,
    baselineKiB,
    peakKiB: process.resourceUsage().maxRSS,
    elapsedMs,
    outputs: set.renditions.length + 1,
    sharpConcurrency: sharp.concurrency(),
  };
  return result;
}

runAsChild(measure);
