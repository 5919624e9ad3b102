import { randomUUID } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import { prepareStateMachine, validatedMarker } from '../../../local/pipeline/state-machine';

/**
 * The twin validates an ASL definition once and remembers it passed; an unchanged definition is not
 * validated again, a new one is, and an invalid one still fails (the twin's start with it).
 */

/** A definition no earlier run has seen, so its marker cannot exist yet; `next` names the state after Echo. */
function definition(next?: string): StateMachineDefinition {
  return {
    Comment: randomUUID(),
    StartAt: 'Echo',
    States: { Echo: { Type: 'Pass', Result: { ok: true }, ...(next === undefined ? { End: true } : { Next: next }) } },
  } as unknown as StateMachineDefinition;
}

const markers: string[] = [];
afterAll(() => {
  for (const marker of markers) rmSync(marker, { force: true });
});

describe('prepareStateMachine', () => {
  it('validates a new definition, remembers it, and runs it', async () => {
    const valid = definition();
    const marker = validatedMarker(valid);
    markers.push(marker);
    expect(existsSync(marker)).toBe(false);
    const machine = await (await prepareStateMachine(valid))();
    expect(existsSync(marker)).toBe(true);
    await expect(machine.run({}).result).resolves.toEqual({ ok: true });
    // Remembered: the second preparation loads the runner without validating, and it runs the same.
    const again = await (await prepareStateMachine(valid))();
    await expect(again.run({}).result).resolves.toEqual({ ok: true });
  });

  it('refuses an invalid definition and remembers nothing', async () => {
    const invalid = definition('NoSuchState');
    const marker = validatedMarker(invalid);
    markers.push(marker);
    await expect(prepareStateMachine(invalid)).rejects.toThrow();
    expect(existsSync(marker)).toBe(false);
  });
});
