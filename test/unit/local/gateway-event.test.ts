import { buildProxyEvent, matchRoute, type HttpRequestFacts } from '../../../local/api/gateway-event';

/** The twin's proxy events: every header and query name, whatever it is, arrives as data. */

const PROTOTYPE_NAMES = Object.getOwnPropertyNames(Object.prototype);

function eventFor(request: Partial<HttpRequestFacts>) {
  const match = matchRoute('GET', '/articles');
  if (match.kind !== 'route') throw new Error('GET /articles must be a route');
  return buildProxyEvent(
    { method: 'GET', path: '/articles', query: '', rawHeaders: [], body: null, sourceIp: '127.0.0.1', ...request },
    match,
    { accountId: '000000000000', stage: 'local' },
  );
}

describe('header and query maps of the proxy event', () => {
  it('covers every Object.prototype member name', () => {
    expect(PROTOTYPE_NAMES).toEqual(
      expect.arrayContaining(['__proto__', 'constructor', 'toString', 'valueOf', 'hasOwnProperty']),
    );
  });

  it.each(PROTOTYPE_NAMES)('carries a header named %s as an own property holding the sent value', (name) => {
    const event = eventFor({ rawHeaders: [name, 'x', name, 'y'] });

    expect(Object.getOwnPropertyDescriptor(event.headers, name)?.value).toBe('y');
    expect(Object.getOwnPropertyDescriptor(event.multiValueHeaders, name)?.value).toEqual(['x', 'y']);
    expect(Object.getPrototypeOf(event.headers)).toBe(Object.prototype);
  });

  it.each(PROTOTYPE_NAMES)(
    'carries a query parameter named %s, plain and percent-encoded, as an own property',
    (name) => {
      const encoded = [...name].map((c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`).join('');
      const event = eventFor({ query: `${name}=1&${encoded}=2` });

      expect(Object.getOwnPropertyDescriptor(event.queryStringParameters, name)?.value).toBe('2');
      expect(Object.getOwnPropertyDescriptor(event.multiValueQueryStringParameters, name)?.value).toEqual(['1', '2']);
    },
  );

  it('splits the query string at ";" as well as "&", as API Gateway does', () => {
    const event = eventFor({ query: 'limit=5;nextToken=abc&tag=a;tag=b' });

    expect(event.queryStringParameters).toEqual({ limit: '5', nextToken: 'abc', tag: 'b' });
    expect(event.multiValueQueryStringParameters?.tag).toEqual(['a', 'b']);
  });

  it('hands over the last of repeated headers in the single-value map', () => {
    const event = eventFor({ rawHeaders: ['Authorization', 'Bearer first', 'Authorization', 'Bearer second'] });

    expect(event.headers.Authorization).toBe('Bearer second');
    expect(event.multiValueHeaders.Authorization).toEqual(['Bearer first', 'Bearer second']);
  });
});
