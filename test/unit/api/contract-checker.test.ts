import type { ApiExchange } from '../../../local/api/server';
import { ContractChecker } from '../../e2e/support/contract';

const checker = new ContractChecker();

const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));
const exchange = (partial: Partial<ApiExchange> & Pick<ApiExchange, 'method' | 'path' | 'status'>): ApiExchange => ({
  contentType: 'application/json',
  body: Buffer.alloc(0),
  ...partial,
});
const article = {
  id: 'a1',
  authorId: 'alice',
  title: 'Lisbon by tram',
  body: 'Take the 28.',
  tags: [],
  createdAt: '2026-12-02T10:00:00.000Z',
  updatedAt: '2026-12-02T10:00:00.000Z',
};

describe('the e2e contract check (docs/openapi.json)', () => {
  it('accepts an answer with a declared status and a body of its schema', () => {
    expect(checker.check(exchange({ method: 'GET', path: '/articles/a1', status: 200, body: json(article) }))).toBe(
      undefined,
    );
  });

  it('refuses a status the operation does not declare', () => {
    expect(checker.check(exchange({ method: 'GET', path: '/articles/a1', status: 409, body: json(article) }))).toMatch(
      /status not declared for GET \/articles\/\{id\}/,
    );
  });

  it('refuses a body with a field the schema does not have', () => {
    const leaky = { ...article, ownerEmail: 'alice@example.com' };
    expect(checker.check(exchange({ method: 'GET', path: '/articles/a1', status: 200, body: json(leaky) }))).toMatch(
      /does not match #\/components\/schemas\/Article/,
    );
  });

  it('refuses an error that is not in the error shape', () => {
    expect(
      checker.check(exchange({ method: 'POST', path: '/articles', status: 400, body: json({ message: 'bad' }) })),
    ).toMatch(/does not match #\/components\/schemas\/Error/);
  });

  it('refuses a body on a response that declares none', () => {
    expect(checker.check(exchange({ method: 'DELETE', path: '/articles/a1', status: 204, body: json({}) }))).toMatch(
      /declares no body/,
    );
  });

  it('requires the unknown-route 404 for what the document does not list, and leaves /_local/* alone', () => {
    const notFound = json({ error: { code: 'NOT_FOUND', message: 'Route not found' } });
    expect(checker.check(exchange({ method: 'PATCH', path: '/articles', status: 404, body: notFound }))).toBe(
      undefined,
    );
    expect(checker.check(exchange({ method: 'GET', path: '/nowhere', status: 200, body: json({}) }))).toMatch(
      /outside the contract must get 404/,
    );
    expect(checker.check(exchange({ method: 'GET', path: '/_local/health', status: 200 }))).toBe(undefined);
  });
});
