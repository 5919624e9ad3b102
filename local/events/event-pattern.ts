/**
 * A small EventBridge event-pattern matcher: enough of the documented semantics to run the
 * repo's rule patterns (events/*.pattern.json) exactly as EventBridge would, and loud about the
 * rest. See https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html
 *
 * Supported: nested objects, arrays of alternatives (exact strings, numbers, booleans, null),
 * `prefix`, `suffix`, `equals-ignore-case`, `exists`, `anything-but` (one value or a list of
 * values). A pattern that uses anything else is rejected when compiled, so a new operator in a
 * rule file fails the twin's start instead of silently matching nothing (or everything).
 */

type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
type Primitive = null | boolean | number | string;

export class UnsupportedPatternError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsupportedPatternError';
  }
}

type ValueMatcher = (present: boolean, value: JsonValue | undefined) => boolean;
export type EventMatcher = (event: unknown) => boolean;

const SUPPORTED_OPERATORS = ['prefix', 'suffix', 'equals-ignore-case', 'exists', 'anything-but'];

function isPrimitive(value: unknown): value is Primitive {
  return value === null || ['string', 'number', 'boolean'].includes(typeof value);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A field's value as EventBridge sees it: an array matches if any of its elements does. */
function candidates(value: JsonValue | undefined): JsonValue[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

function compileOperator(path: string, operator: Record<string, unknown>): ValueMatcher {
  const names = Object.keys(operator);
  const [name] = names;
  if (names.length !== 1 || name === undefined || !SUPPORTED_OPERATORS.includes(name)) {
    throw new UnsupportedPatternError(
      `Pattern operator ${JSON.stringify(names)} at "${path}" is not supported by the local matcher (supported: ${SUPPORTED_OPERATORS.join(', ')}).`,
    );
  }
  const argument = operator[name];
  const strings =
    (test: (s: string) => boolean): ValueMatcher =>
    (_present, value) =>
      candidates(value).some((v) => typeof v === 'string' && test(v));

  switch (name) {
    case 'prefix':
      if (typeof argument !== 'string') throw new UnsupportedPatternError(`"prefix" at "${path}" must be a string.`);
      return strings((s) => s.startsWith(argument));
    case 'suffix':
      if (typeof argument !== 'string') throw new UnsupportedPatternError(`"suffix" at "${path}" must be a string.`);
      return strings((s) => s.endsWith(argument));
    case 'equals-ignore-case':
      if (typeof argument !== 'string') {
        throw new UnsupportedPatternError(`"equals-ignore-case" at "${path}" must be a string.`);
      }
      return strings((s) => s.toLowerCase() === argument.toLowerCase());
    case 'exists':
      if (typeof argument !== 'boolean') throw new UnsupportedPatternError(`"exists" at "${path}" must be a boolean.`);
      // EventBridge: exists matches leaf values only; an absent field matches exists:false.
      return (present) => present === argument;
    default: {
      // anything-but: one value or a list of values; nested operators (prefix, ...) are not implemented.
      const excluded = Array.isArray(argument) ? argument : [argument];
      if (!excluded.every(isPrimitive)) {
        throw new UnsupportedPatternError(
          `"anything-but" at "${path}" supports only plain values in the local matcher.`,
        );
      }
      return (present, value) =>
        present && candidates(value).some((v) => isPrimitive(v) && !excluded.some((x) => x === v));
    }
  }
}

function compileAlternatives(path: string, alternatives: unknown[]): ValueMatcher {
  if (alternatives.length === 0) {
    throw new UnsupportedPatternError(`Empty array at "${path}": EventBridge rejects such patterns.`);
  }
  const matchers = alternatives.map((alternative): ValueMatcher => {
    if (isPrimitive(alternative)) {
      return (_present, value) => candidates(value).some((v) => v === alternative);
    }
    if (isObject(alternative)) return compileOperator(path, alternative);
    throw new UnsupportedPatternError(`Nested array at "${path}" is not a valid pattern value.`);
  });
  return (present, value) => matchers.some((matcher) => matcher(present, value));
}

function compileObject(path: string, pattern: Record<string, unknown>): EventMatcher {
  const fields = Object.entries(pattern).map(([key, expected]) => {
    const fieldPath = path === '' ? key : `${path}.${key}`;
    if (key.startsWith('$')) {
      throw new UnsupportedPatternError(`"${key}" at "${fieldPath}" is not supported by the local matcher.`);
    }
    if (Array.isArray(expected)) {
      const matcher = compileAlternatives(fieldPath, expected);
      return (event: Record<string, unknown>): boolean => {
        const present = Object.prototype.hasOwnProperty.call(event, key) && !isObject(event[key]);
        return matcher(present, present ? (event[key] as JsonValue) : undefined);
      };
    }
    if (isObject(expected)) {
      const nested = compileObject(fieldPath, expected);
      return (event: Record<string, unknown>): boolean => isObject(event[key]) && nested(event[key]);
    }
    throw new UnsupportedPatternError(
      `Value at "${fieldPath}" must be an array of alternatives or an object, got ${JSON.stringify(expected)}.`,
    );
  });
  return (event: unknown): boolean => isObject(event) && fields.every((field) => field(event));
}

/** Compiles a pattern once; the returned function tests events against it. */
export function compileEventPattern(pattern: unknown): EventMatcher {
  if (!isObject(pattern)) throw new UnsupportedPatternError('An event pattern must be a JSON object.');
  return compileObject('', pattern);
}
