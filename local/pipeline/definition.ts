import { readFileSync } from 'node:fs';
import {
  isStepFunctionName,
  renderPipelineDefinition,
  STEP_FUNCTION_TIMEOUT_SECONDS,
  type PipelineWorkflowType,
  type StepFunctionName,
} from '../../infra/definitions/pipeline';
import { functionArnPlaceholder, functionArnSubstitutions } from '../../infra/definitions/pipeline-sources';

/**
 * Reads the ASL file CDK deploys and works out, from its own `${XxxFunctionArn}` placeholders,
 * which function serves each Task state: `${ThumbnailFunctionArn}` -> functions/thumbnail.
 * No second, hand-kept list of states exists anywhere in the twin, and the placeholders are
 * filled from the same substitutions the stack gives CloudFormation
 * (infra/definitions/pipeline-sources.ts), with local ARNs.
 */

export interface TaskBinding {
  stateName: string;
  placeholder: string;
  /** Folder under functions/ that holds the handler. */
  functionName: string;
}

export interface LoadedDefinition {
  /** The definition with every placeholder replaced by a fake but valid Lambda ARN. */
  definition: Record<string, unknown>;
  tasks: TaskBinding[];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `${ThumbnailFunctionArn}` -> `thumbnail`: the step function whose placeholder this is. */
export function functionNameFor(placeholder: string): StepFunctionName | undefined {
  return (Object.keys(STEP_FUNCTION_TIMEOUT_SECONDS) as string[])
    .filter(isStepFunctionName)
    .find((name) => placeholder === `\${${functionArnPlaceholder(name)}}`);
}

/** Walks States, Parallel Branches and Map Iterator/ItemProcessor: every Task, wherever it nests. */
function collectTasks(machine: Record<string, unknown>, into: TaskBinding[]): void {
  const states = machine.States;
  if (!isObject(states)) return;
  for (const [stateName, state] of Object.entries(states)) {
    if (!isObject(state)) continue;
    if (state.Type === 'Task') {
      const resource = state.Resource;
      const functionName = typeof resource === 'string' ? functionNameFor(resource) : undefined;
      if (typeof resource !== 'string' || functionName === undefined) {
        throw new Error(
          `Task state ${stateName} has Resource ${JSON.stringify(resource)}; the twin can only serve \${XxxFunctionArn} placeholders.`,
        );
      }
      into.push({ stateName, placeholder: resource, functionName });
    }
    for (const branch of Array.isArray(state.Branches) ? state.Branches : []) {
      if (isObject(branch)) collectTasks(branch, into);
    }
    for (const nested of [state.Iterator, state.ItemProcessor]) if (isObject(nested)) collectTasks(nested, into);
  }
}

export function loadDefinition(
  aslPath: string,
  options: { region: string; account: string; workflowType?: PipelineWorkflowType },
): LoadedDefinition {
  // Timeouts first, exactly as CDK renders them (the twin runs what a Standard stage deploys by default).
  const source = renderPipelineDefinition(readFileSync(aslPath, 'utf8'), options.workflowType ?? 'STANDARD');
  const parsed: unknown = JSON.parse(source);
  if (!isObject(parsed)) throw new Error(`${aslPath} is not a state machine definition`);
  const tasks: TaskBinding[] = [];
  collectTasks(parsed, tasks);
  const names = tasks.map((t) => t.stateName);
  const repeated = names.find((name, i) => names.indexOf(name) !== i);
  // aws-local-stepfunctions overrides Tasks by state name, so a name used twice would be ambiguous.
  if (repeated) throw new Error(`Task state name ${repeated} is used twice in ${aslPath}`);
  let substituted = source;
  const arns = functionArnSubstitutions(
    (name) => `arn:aws:lambda:${options.region}:${options.account}:function:travel-guide-local-${name}`,
  );
  for (const [key, arn] of Object.entries(arns)) substituted = substituted.replaceAll(`\${${key}}`, arn);
  const leftover = /\$\{[^}]+\}/.exec(substituted);
  if (leftover) throw new Error(`${aslPath} has a placeholder the twin does not know: ${leftover[0]}`);
  return { definition: JSON.parse(substituted) as Record<string, unknown>, tasks };
}
