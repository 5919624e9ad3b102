import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from '../repository';
import { STEP_FUNCTION_TIMEOUT_SECONDS, type StepFunctionName } from './pipeline';

/**
 * The files the media pipeline is built from, and how their placeholders are filled: the stack
 * (infra/constructs/media-pipeline.ts) and the local twin (local/twin.ts, local/pipeline/) both
 * read them from here, so the twin runs exactly what the stack deploys.
 */

/** The ASL definition. */
export const STATE_MACHINE_DEFINITION = path.join(REPO_ROOT, 'statemachines', 'media-pipeline.asl.json');
/** The EventBridge rule pattern of uploads (`${MediaBucketName}`). */
export const UPLOADED_PATTERN = path.join(REPO_ROOT, 'events', 'media-uploaded.pattern.json');
/** The rule target's input transformer: what an execution receives. */
export const UPLOADED_INPUT = path.join(REPO_ROOT, 'events', 'media-uploaded.input.json');
/** The rule on this state machine's executions that ended without settling their media (`${StateMachineArn}`). */
export const EXECUTION_ENDED_PATTERN = path.join(REPO_ROOT, 'events', 'execution-ended.pattern.json');

/**
 * A rule pattern file in EventBridge's own JSON, with each `${Name}` value put where the file
 * says it.
 * @throws when the file names a value not given
 */
export function rulePattern(file: string, values: Readonly<Record<string, string>>): Record<string, unknown> {
  const substitute = (value: unknown): unknown => {
    if (typeof value === 'string') {
      const name = /^\$\{([A-Za-z]+)\}$/.exec(value)?.[1];
      if (name === undefined) return value;
      const replacement = values[name];
      if (replacement === undefined) throw new Error(`${file}: no value for \${${name}}`);
      return replacement;
    }
    if (Array.isArray(value)) return value.map(substitute);
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, substitute(inner)]));
    }
    return value;
  };
  return substitute(JSON.parse(readFileSync(file, 'utf8'))) as Record<string, unknown>;
}

/** The ASL's placeholder for a step function's ARN: `thumbnail` → `ThumbnailFunctionArn`. */
export function functionArnPlaceholder(name: StepFunctionName): string {
  return `${name.charAt(0).toUpperCase()}${name.slice(1)}FunctionArn`;
}

/**
 * The state machine's definition substitutions: every step function's ARN under its placeholder
 * (CDK's `definitionSubstitutions`; the twin fills the same keys with its local ARNs).
 */
export function functionArnSubstitutions(arnOf: (name: StepFunctionName) => string): Record<string, string> {
  return Object.fromEntries(
    (Object.keys(STEP_FUNCTION_TIMEOUT_SECONDS) as StepFunctionName[]).map((name) => [
      functionArnPlaceholder(name),
      arnOf(name),
    ]),
  );
}
