import { readFile } from 'node:fs/promises';
import { runAsChild } from '../lib/child';
import { plainSharpRenditions } from '../lib/plain-sharp';

/*
 * One worker of the machine's limit: raw sharp making the pipeline's renditions and analysis JPEG
 * from memory, one image after another, nothing else. `npm run load` runs one per core at once.
 * Arguments: the input files, in the order to process them. The first is processed once more
 * before the clock starts (sharp's and libvips' start-up is not a cost of the pipeline).
 */

export interface MachineLimitWorkerResult {
  images: number;
  ms: number;
}

runAsChild<MachineLimitWorkerResult>(async (files) => {
  const inputs = await Promise.all(files.map((file) => readFile(file)));
  const first = inputs[0];
  if (first === undefined) throw new Error('no input files');
  await plainSharpRenditions(first);
  const started = performance.now();
  for (const input of inputs) await plainSharpRenditions(input);
  return { images: inputs.length, ms: performance.now() - started };
});
