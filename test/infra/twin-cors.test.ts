import { stageConfig } from '../../infra/config';
import { LocalTokenIssuer } from '../../local/api/auth';
import { startApiServer, type ApiServer } from '../../local/api/server';
import { RunLog } from '../../local/pipeline/runs';
import { send } from '../e2e/support/http';
import { synthStack } from './support';

/**
 * The twin's gateway answers a CORS preflight as the synthesized stack does: the OPTIONS methods'
 * mock integration (status, static response headers, and the response template that puts a
 * request's Origin in place of the first allowed one), for several allowed origins.
 */

const ORIGINS = ['https://app.example', 'https://admin.example', 'http://localhost:5173'];

interface MockIntegration {
  IntegrationResponses: {
    StatusCode: string;
    ResponseParameters: Record<string, string>;
    ResponseTemplates?: Record<string, string>;
  }[];
}

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

const synth = synthStack({ config: { ...stageConfig('dev'), allowedOrigins: ORIGINS } });
const preflights = Object.values(synth.template.toJSON().Resources as Resources).filter(
  (resource) => resource.Type === 'AWS::ApiGateway::Method' && resource.Properties.HttpMethod === 'OPTIONS',
);

/** What API Gateway answers a preflight from `origin` with, read from one synthesized OPTIONS method. */
function stackAnswer(method: (typeof preflights)[number], origin: string | undefined) {
  const [response] = (method.Properties.Integration as MockIntegration).IntegrationResponses;
  if (response === undefined) throw new Error('OPTIONS method without an integration response');
  const headers: Record<string, string> = {};
  for (const [parameter, value] of Object.entries(response.ResponseParameters)) {
    // 'method.response.header.Name': "'static value'"
    headers[parameter.replace(/^method\.response\.header\./, '').toLowerCase()] = value.replace(/^'(.*)'$/, '$1');
  }
  const template = response.ResponseTemplates?.['application/json'] ?? '';
  const overriding = [...template.matchAll(/\$origin == "([^"]*)"/g)].map((match) => match[1]);
  if (/responseOverride\.header\.Access-Control-Allow-Origin = \$origin/.test(template) && origin !== undefined) {
    if (overriding.includes(origin)) headers['access-control-allow-origin'] = origin;
  }
  return { status: Number(response.StatusCode), headers };
}

describe("the twin's CORS preflight", () => {
  let server: ApiServer;

  beforeAll(async () => {
    server = await startApiServer({
      port: 0,
      tokens: new LocalTokenIssuer('twin-cors-test'),
      apiHandlers: {
        articles: () => Promise.reject(new Error('a preflight never reaches a function')),
        media: () => Promise.reject(new Error('a preflight never reaches a function')),
      },
      runLog: new RunLog(),
      health: async () => ({ ready: true }),
      allowedOrigins: ORIGINS,
      accountId: '000000000000',
      region: 'eu-west-1',
    });
  });

  afterAll(async () => {
    await server?.close();
  });

  it('has an OPTIONS method on every API resource to compare with', () => {
    const resources = Object.values(synth.template.toJSON().Resources as Resources).filter(
      (resource) => resource.Type === 'AWS::ApiGateway::Resource',
    );

    expect(preflights.length).toBe(resources.length + 1);
  });

  it.each([
    ['the first allowed origin', ORIGINS[0]],
    ['another allowed origin', ORIGINS[2]],
    ['an origin that is not allowed', 'https://evil.example'],
    ['no origin', undefined],
  ])('answers %s as the stack does, on every resource', async (_case, origin) => {
    for (const path of ['/articles', '/articles/abc', '/media/uploads', '/media/abc']) {
      const response = await send(`${server.url}${path}`, {
        method: 'OPTIONS',
        headers: {
          ...(origin === undefined ? {} : { origin }),
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization,content-type',
        },
      });
      const expected = stackAnswer(firstPreflight(), origin);

      expect({ path, status: response.status, headers: pick(response.headers, Object.keys(expected.headers)) }).toEqual(
        { path, ...expected },
      );
      // Nothing beyond what the stack sends, but Node's own framing headers.
      expect(
        Object.keys(response.headers).filter(
          (name) => !(name in expected.headers) && !['date', 'connection', 'keep-alive'].includes(name),
        ),
      ).toEqual([]);
    }
  });

  it('reads the same answer from every synthesized OPTIONS method', () => {
    for (const origin of [...ORIGINS, undefined]) {
      const answers = preflights.map((method) => stackAnswer(method, origin));

      expect(answers.every((answer) => JSON.stringify(answer) === JSON.stringify(answers[0]))).toBe(true);
    }
  });
});

function firstPreflight(): (typeof preflights)[number] {
  const [method] = preflights;
  if (method === undefined) throw new Error('the stack has no OPTIONS method');
  return method;
}

function pick(headers: Record<string, unknown>, names: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(names.map((name) => [name, headers[name]]));
}
