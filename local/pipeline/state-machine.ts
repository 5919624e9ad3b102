import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { StateMachine, StateMachineDefinition } from 'aws-local-stepfunctions';
import { TWIN_CACHE_DIR } from '../cache';

/**
 * The runner of the ASL (aws-local-stepfunctions), built without costing the twin's start:
 *
 * - Validation (asl-validator, a JSON-schema check) takes the larger part of a second on this
 *   machine and gives the same answer for the same definition and library version; so a
 *   definition validated once is remembered by a hash of both, and an unchanged one is not
 *   validated again. A changed or never-seen definition is validated at start, as before, and a
 *   broken ASL still stops the start.
 * - The library (with the Lambda client and credential providers it imports) is loaded when the
 *   definition needs validating, or else after the start, before the first execution needs it.
 */

function libraryVersion(): string {
  const main = require.resolve('aws-local-stepfunctions');
  const manifest = JSON.parse(readFileSync(join(dirname(main), '..', 'package.json'), 'utf8')) as { version: string };
  return manifest.version;
}

/** The file whose presence says "this definition passed this library's validation". */
export function validatedMarker(definition: StateMachineDefinition): string {
  const key = createHash('sha256')
    .update(libraryVersion())
    .update('\0')
    .update(JSON.stringify(definition))
    .digest('hex')
    .slice(0, 16);
  return join(TWIN_CACHE_DIR, `asl-valid-${key}`);
}

async function build(definition: StateMachineDefinition, validate: boolean): Promise<StateMachine> {
  const { StateMachine: Machine } = await import('aws-local-stepfunctions');
  return new Machine(definition, validate ? {} : { validationOptions: { noValidate: true } });
}

/**
 * The runner, loaded on the first call of the function returned, when the definition passed
 * validation before; otherwise validated now (throws for an invalid definition), and remembered.
 */
export async function prepareStateMachine(definition: StateMachineDefinition): Promise<() => Promise<StateMachine>> {
  const marker = validatedMarker(definition);
  if (!existsSync(marker)) {
    const machine = await build(definition, true);
    try {
      mkdirSync(TWIN_CACHE_DIR, { recursive: true });
      writeFileSync(marker, '');
    } catch {
      // Read-only node_modules: validate again next time.
    }
    return () => Promise.resolve(machine);
  }
  let loading: Promise<StateMachine> | undefined;
  return () => (loading ??= build(definition, false));
}
