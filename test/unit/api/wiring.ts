import type { ApiHandler } from '../../../functions/api/rest-handler';
import { apiEvent, errorOf } from './fakes';

/** Puts back after each test of the enclosing describe block the process environment a test changed. */
export function restoreEnvAfterEach(): void {
  const saved = { ...process.env };

  afterEach(() => {
    process.env = { ...saved };
  });
}

/**
 * The Lambda entry point of an API function wires itself from `env` (what the CDK construct and
 * the twin set) and answers a bad id on `resource` with a 400 before it calls AWS.
 */
export function describeEntryPoint(handler: ApiHandler, resource: string, env: Record<string, string>): void {
  describe('the Lambda entry point', () => {
    restoreEnvAfterEach();

    it('wires itself from the environment and validates before calling AWS', async () => {
      Object.assign(process.env, env);

      const error = errorOf(await handler(apiEvent({ method: 'GET', resource, pathParameters: { id: '../x' } })));

      expect(error).toEqual({
        status: 400,
        code: 'VALIDATION_ERROR',
        message: 'id: must be 1 to 128 letters, digits, "-" or "_"',
      });
    });
  });
}

/** `wire` (an API function's awsDependencies) refuses to start when any one of `names` is missing from `env`. */
export function itFailsFastWithoutEach(names: string[], env: Record<string, string>, wire: () => unknown): void {
  it.each(names)('fails fast without %s', (name) => {
    Object.assign(process.env, env);
    delete process.env[name];

    expect(() => wire()).toThrow(name);
  });
}
