import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './paths';

/**
 * Memory of each step function as the CDK constructs configure it, read from their source (a synth
 * would bundle every function and take far longer than the benchmark itself). Falls back to the
 * PipelineFunction default for a function that sets none.
 */
export function functionMemory(): { memoryMb: Record<string, number>; defaultMb: number; source: string } {
  const constructs = join(REPO_ROOT, 'infra', 'constructs');
  const defaults = readFileSync(join(constructs, 'pipeline-function.ts'), 'utf8');
  const defaultMb = Number(/\bmemorySize:\s*(\d+)/.exec(defaults)?.[1] ?? 128);
  const memoryMb: Record<string, number> = {};
  for (const file of ['media-pipeline.ts', 'articles-api.ts']) {
    let text: string;
    try {
      text = readFileSync(join(constructs, file), 'utf8');
    } catch {
      continue;
    }
    for (const block of text.split('new PipelineFunction(').slice(1)) {
      const props = block.slice(0, block.indexOf('})') + 1);
      const name = /\bname:\s*'([a-z0-9-]+)'/.exec(props)?.[1];
      if (name === undefined) continue;
      memoryMb[name] = Number(/\bmemorySize:\s*(\d+)/.exec(props)?.[1] ?? defaultMb);
    }
  }
  return { memoryMb, defaultMb, source: 'infra/constructs/{pipeline-function,media-pipeline,articles-api}.ts' };
}
