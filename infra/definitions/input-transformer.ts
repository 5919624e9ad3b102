import { readFileSync } from 'node:fs';

/**
 * EventBridge input transformers, written once as a file in events/ (`*.input.json`): CDK puts the
 * transformer on the rule's target, and the local twin applies the very same InputPathsMap and
 * InputTemplate string to each event before it starts an execution. What the state machine
 * receives (and keeps in its history) is therefore the same on AWS and in the twin.
 *
 * The file holds the template as a JSON object whose leaf strings may be `"<name>"`; such a
 * whole-value placeholder is rendered unquoted, which EventBridge fills in with the value as JSON
 * (a string keeps its quotes, a number stays a number).
 */

/** The two properties of an EventBridge target's InputTransformer. */
export interface InputTransformer {
  readonly inputPathsMap: Record<string, string>;
  readonly inputTemplate: string;
}

const PLACEHOLDER = /^<([A-Za-z0-9_.-]+)>$/;
/** EventBridge's path syntax that this project uses: `$.a.b-c.d` (dot notation, dashes, underscores, indices). */
const PATH = /^\$(\.[A-Za-z0-9_-]+|\[\d+\])+$/;

/** Renders the template object as the InputTemplate string EventBridge expects. */
export function renderInputTemplate(template: unknown, variables: ReadonlySet<string>): string {
  const render = (value: unknown): string => {
    if (typeof value === 'string') {
      const placeholder = PLACEHOLDER.exec(value);
      if (placeholder?.[1] !== undefined) {
        if (!variables.has(placeholder[1]))
          throw new Error(`InputTemplate uses <${placeholder[1]}>, which InputPathsMap does not define`);
        return `<${placeholder[1]}>`;
      }
      if (/<[^>]*>/.test(value))
        throw new Error(`InputTemplate string "${value}": only whole-value placeholders are supported`);
      return JSON.stringify(value);
    }
    if (Array.isArray(value)) return `[${value.map(render).join(',')}]`;
    if (value !== null && typeof value === 'object') {
      return `{${Object.entries(value)
        .map(([key, inner]) => `${JSON.stringify(key)}:${render(inner)}`)
        .join(',')}}`;
    }
    return JSON.stringify(value);
  };
  return render(template);
}

/** Reads an `events/*.input.json` file. */
export function loadInputTransformer(file: string): InputTransformer {
  const raw = JSON.parse(readFileSync(file, 'utf8')) as {
    InputPathsMap?: Record<string, string>;
    InputTemplate?: unknown;
  };
  const inputPathsMap = raw.InputPathsMap ?? {};
  for (const [name, path] of Object.entries(inputPathsMap)) {
    if (!PATH.test(path))
      throw new Error(`${file}: InputPathsMap.${name} = ${JSON.stringify(path)} is not a supported JSON path`);
  }
  if (raw.InputTemplate === undefined) throw new Error(`${file} has no InputTemplate`);
  return { inputPathsMap, inputTemplate: renderInputTemplate(raw.InputTemplate, new Set(Object.keys(inputPathsMap))) };
}

function valueAt(event: unknown, path: string): unknown {
  let current: unknown = event;
  for (const [, field, index] of path.slice(1).matchAll(/\.([A-Za-z0-9_-]+)|\[(\d+)\]/g)) {
    if (current === null || typeof current !== 'object') return undefined;
    current = field !== undefined ? (current as Record<string, unknown>)[field] : (current as unknown[])[Number(index)];
  }
  return current;
}

/**
 * What EventBridge sends the target: each `<name>` of the template replaced by the value its path
 * selects. Unquoted, the value goes in as JSON (a missing one as null); inside a JSON string, as
 * its text. The result must be JSON, as the state machine's input must.
 */
export function applyInputTransformer(transformer: InputTransformer, event: unknown): unknown {
  let inString = false;
  let out = '';
  const template = transformer.inputTemplate;
  for (let i = 0; i < template.length; i++) {
    const char = template[i] ?? '';
    if (char === '"' && template[i - 1] !== '\\') inString = !inString;
    if (char === '<') {
      const end = template.indexOf('>', i);
      const name = end === -1 ? undefined : template.slice(i + 1, end);
      const path = name !== undefined ? transformer.inputPathsMap[name] : undefined;
      if (name !== undefined && path !== undefined) {
        const value = valueAt(event, path);
        out += inString
          ? JSON.stringify(typeof value === 'string' ? value : JSON.stringify(value ?? null)).slice(1, -1)
          : JSON.stringify(value ?? null);
        i = end;
        continue;
      }
    }
    out += char;
  }
  return JSON.parse(out) as unknown;
}
