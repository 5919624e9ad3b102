import { E2E_DIR } from './iam/suite';

// Every answer a twin's REST API gives during an end-to-end test is checked against
// docs/openapi.json (support/contract.ts); a test in which one did not match fails.
const { testPath } = expect.getState();
if (testPath !== undefined && testPath.startsWith(E2E_DIR)) {
  const violations: string[] = [];
  let stop: (() => void) | undefined;
  beforeAll(async () => {
    const [{ observeApiExchanges }, { ContractChecker }] = await Promise.all([
      import('../../../local/api/server'),
      import('./contract'),
    ]);
    const checker = new ContractChecker();
    stop = observeApiExchanges((exchange) => {
      const problem = checker.check(exchange);
      if (problem !== undefined) violations.push(problem);
    });
  });
  afterEach(() => {
    const found = violations.splice(0);
    expect(found.length === 0 ? 'every answer matches docs/openapi.json' : found.join('\n')).toBe(
      'every answer matches docs/openapi.json',
    );
  });
  afterAll(() => stop?.());
}
