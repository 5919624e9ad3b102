import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stageConfig } from '../../infra/config';
import { startS3Emulator, type S3Emulator } from '../../local/emulators/s3';
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

interface CorsRule {
  AllowedOrigins: string[];
  AllowedMethods: string[];
  AllowedHeaders?: string[];
  ExposedHeaders?: string[];
  MaxAge?: number;
}

/**
 * The twin's S3 answers a CORS preflight for the bucket as the synthesized bucket's CORS rule says
 * (S3 answers 200 with the matching rule's origin, methods and headers, and 403 when no rule
 * matches the origin, the method or a requested header).
 */
describe("the twin's S3 CORS", () => {
  const [bucket] = Object.values(synth.template.toJSON().Resources as Resources).filter(
    (resource) => resource.Type === 'AWS::S3::Bucket' && resource.Properties.CorsConfiguration !== undefined,
  );
  const rules = (bucket?.Properties.CorsConfiguration as { CorsRules: CorsRule[] } | undefined)?.CorsRules ?? [];
  let root: string;
  let emulator: S3Emulator;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'twin-s3-cors-'));
    emulator = await startS3Emulator({
      port: 0,
      directory: join(root, 's3'),
      bucket: 'cors-bucket',
      allowedOrigins: ORIGINS,
      onRecord: () => undefined,
    });
  });

  afterAll(async () => {
    await emulator?.close();
    rmSync(root, { recursive: true, force: true });
  });

  /** Whether the synthesized rule allows this preflight. */
  function stackAllows(origin: string, method: string, headers: readonly string[]): boolean {
    return rules.some(
      (rule) =>
        rule.AllowedOrigins.includes(origin) &&
        rule.AllowedMethods.includes(method) &&
        headers.every((header) => (rule.AllowedHeaders ?? []).includes(header.toLowerCase())),
    );
  }

  it('has one CORS rule on the media bucket to compare with, exposing no header', () => {
    expect(rules).toHaveLength(1);
    expect(rules[0]?.AllowedOrigins).toEqual(ORIGINS);
    expect(rules[0]?.ExposedHeaders).toBeUndefined();
  });

  it.each([
    ['an allowed origin posting a form', ORIGINS[1] ?? '', 'POST', []],
    ['an allowed origin posting with Content-Type', ORIGINS[2] ?? '', 'POST', ['content-type']],
    ['an allowed origin reading', ORIGINS[0] ?? '', 'GET', []],
    ['an origin that is not allowed', 'https://evil.example', 'POST', []],
    ['an allowed origin asking for another header', ORIGINS[0] ?? '', 'POST', ['x-amz-meta-note']],
    ['an allowed origin asking for PUT', ORIGINS[0] ?? '', 'PUT', []],
  ])("answers %s as the stack's rule does", async (_case, origin, method, headers) => {
    // Act
    const response = await send(`${emulator.endpoint}/cors-bucket/uploads/u/m`, {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': method,
        ...(headers.length > 0 ? { 'access-control-request-headers': headers.join(',') } : {}),
      },
    });

    // Assert: s3rver answers a matched preflight with `*` where S3 echoes the origin; a browser
    // accepts either for the uncredentialed requests of a presigned POST or a signed GET.
    const allowed = stackAllows(origin, method, headers);
    expect(response.status).toBe(allowed ? 200 : 403);
    if (allowed) expect(['*', origin]).toContain(response.headers['access-control-allow-origin']);
    else expect(response.headers['access-control-allow-origin']).toBeUndefined();
    expect(response.headers['access-control-expose-headers']).toBeUndefined();
  });
});
