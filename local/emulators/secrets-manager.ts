import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listenOnLoopback } from '../listen';

/**
 * The twin's Secrets Manager: an HTTP endpoint speaking Secrets Manager's own protocol (JSON 1.1,
 * `X-Amz-Target: secretsmanager.<Operation>`), so the functions use the real SDK client, pointed
 * here by AWS_ENDPOINT_URL_SECRETS_MANAGER. No npm package emulates Secrets Manager offline, so
 * this answers the operations the app and a developer rotating a key need, with AWS's version
 * stages: GetSecretValue (by AWSCURRENT, AWSPREVIOUS, another stage or a VersionId),
 * PutSecretValue (the new version becomes AWSCURRENT, the one before it AWSPREVIOUS, as
 * `aws secretsmanager put-secret-value` rotates on AWS), DescribeSecret and ListSecretVersionIds.
 * Secrets live in memory: a restart makes new keys. Signatures are not checked (any credentials
 * are an administrator's, as the twin's other emulators); each function's own calls are checked
 * against its role by the twin's IAM guard (local/iam/sdk-guard.ts) before they get here.
 */

export interface SecretsManagerEmulator {
  endpoint: string;
  port: number;
  /** Adds a secret with one version (AWSCURRENT); returns its ARN, which ends in six random characters as on AWS. */
  createSecret(name: string, value: string): string;
  /** The same as the PutSecretValue API: a new AWSCURRENT, the old one becomes AWSPREVIOUS. Returns the new version id. */
  putSecretValue(secretId: string, value: string): string;
  close(): Promise<void>;
}

interface SecretVersion {
  id: string;
  value: string;
  stages: Set<string>;
  created: number;
}

interface Secret {
  arn: string;
  name: string;
  created: number;
  versions: SecretVersion[];
}

class ServiceError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

const CURRENT = 'AWSCURRENT';
const PREVIOUS = 'AWSPREVIOUS';
const NOT_FOUND = "Secrets Manager can't find the specified secret.";
const MAX_BODY = 1024 * 1024;

const seconds = (ms: number): number => Math.floor(ms / 1000) + (ms % 1000) / 1000;

export class SecretStore {
  private readonly secrets = new Map<string, Secret>();

  constructor(
    private readonly region: string,
    private readonly account: string,
  ) {}

  create(name: string, value: string): string {
    if (this.secrets.has(name)) throw new ServiceError('ResourceExistsException', `The secret ${name} already exists.`);
    const suffix = randomBytes(6).toString('base64url').replace(/[-_]/g, 'x').slice(0, 6);
    const now = Date.now();
    const secret: Secret = {
      arn: `arn:aws:secretsmanager:${this.region}:${this.account}:secret:${name}-${suffix}`,
      name,
      created: now,
      versions: [{ id: randomUUID(), value, stages: new Set([CURRENT]), created: now }],
    };
    this.secrets.set(name, secret);
    return secret.arn;
  }

  /** A secret by name, full ARN, or ARN without the random suffix, as Secrets Manager accepts them. */
  find(secretId: unknown): Secret {
    if (typeof secretId !== 'string' || secretId === '')
      throw new ServiceError('InvalidParameterException', 'SecretId is required.');
    for (const secret of this.secrets.values()) {
      if (secretId === secret.name || secretId === secret.arn || secret.arn.startsWith(`${secretId}-`)) return secret;
    }
    throw new ServiceError('ResourceNotFoundException', NOT_FOUND);
  }

  get(input: Record<string, unknown>): Record<string, unknown> {
    const secret = this.find(input.SecretId);
    const { VersionId: versionId, VersionStage: stage } = input;
    let version: SecretVersion | undefined;
    if (versionId !== undefined) {
      version = secret.versions.find((v) => v.id === versionId);
      if (version === undefined || (stage !== undefined && !version.stages.has(String(stage))))
        throw new ServiceError(
          'ResourceNotFoundException',
          `Secrets Manager can't find the specified secret value for VersionId: ${String(versionId)}`,
        );
    } else {
      const wanted = stage === undefined ? CURRENT : String(stage);
      version = secret.versions.find((v) => v.stages.has(wanted));
      if (version === undefined)
        throw new ServiceError(
          'ResourceNotFoundException',
          `Secrets Manager can't find the specified secret value for staging label: ${wanted}`,
        );
    }
    return {
      ARN: secret.arn,
      Name: secret.name,
      VersionId: version.id,
      SecretString: version.value,
      VersionStages: [...version.stages],
      CreatedDate: seconds(version.created),
    };
  }

  put(input: Record<string, unknown>): Record<string, unknown> {
    const secret = this.find(input.SecretId);
    if (typeof input.SecretString !== 'string' || input.SecretString === '')
      throw new ServiceError('InvalidParameterException', 'You must provide either SecretString or SecretBinary.');
    const token = typeof input.ClientRequestToken === 'string' ? input.ClientRequestToken : randomUUID();
    const repeated = secret.versions.find((v) => v.id === token);
    if (repeated !== undefined) {
      // Idempotent retry of the same request; the same token with another value is refused, as on AWS.
      if (repeated.value !== input.SecretString)
        throw new ServiceError(
          'ResourceExistsException',
          'You can’t modify an existing version, you can only create a new version.',
        );
      return { ARN: secret.arn, Name: secret.name, VersionId: repeated.id, VersionStages: [...repeated.stages] };
    }
    const stages = Array.isArray(input.VersionStages) ? input.VersionStages.map(String) : [CURRENT];
    const version: SecretVersion = { id: token, value: input.SecretString, stages: new Set(), created: Date.now() };
    for (const stage of stages) this.moveStage(secret, stage, version);
    secret.versions.push(version);
    // A version with no stage left is deprecated; AWS keeps about 100 of them, the twin keeps none.
    secret.versions = secret.versions.filter((v) => v.stages.size > 0);
    return { ARN: secret.arn, Name: secret.name, VersionId: version.id, VersionStages: [...version.stages] };
  }

  describe(input: Record<string, unknown>): Record<string, unknown> {
    const secret = this.find(input.SecretId);
    return {
      ARN: secret.arn,
      Name: secret.name,
      CreatedDate: seconds(secret.created),
      VersionIdsToStages: Object.fromEntries(secret.versions.map((v) => [v.id, [...v.stages]])),
    };
  }

  listVersions(input: Record<string, unknown>): Record<string, unknown> {
    const secret = this.find(input.SecretId);
    return {
      ARN: secret.arn,
      Name: secret.name,
      Versions: secret.versions.map((v) => ({
        VersionId: v.id,
        VersionStages: [...v.stages],
        CreatedDate: seconds(v.created),
      })),
    };
  }

  /** Moves a stage label to `to`; moving AWSCURRENT also moves AWSPREVIOUS to the version that held AWSCURRENT. */
  private moveStage(secret: Secret, stage: string, to: SecretVersion): void {
    const from = secret.versions.find((v) => v.stages.has(stage));
    from?.stages.delete(stage);
    to.stages.add(stage);
    if (stage === CURRENT && from !== undefined && from !== to) {
      for (const v of secret.versions) v.stages.delete(PREVIOUS);
      from.stages.add(PREVIOUS);
    }
  }
}

const OPERATIONS: Readonly<Record<string, (store: SecretStore, input: Record<string, unknown>) => unknown>> = {
  GetSecretValue: (store, input) => store.get(input),
  PutSecretValue: (store, input) => store.put(input),
  DescribeSecret: (store, input) => store.describe(input),
  ListSecretVersionIds: (store, input) => store.listVersions(input),
};

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, {
    'content-type': 'application/x-amz-json-1.1',
    'x-amzn-requestid': randomUUID(),
  });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new ServiceError('InvalidRequestException', 'Request body too large.');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function answer(store: SecretStore, req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    const target = String(req.headers['x-amz-target'] ?? '');
    const operation =
      req.method === 'POST' && target.startsWith('secretsmanager.') ? OPERATIONS[target.slice(15)] : undefined;
    if (operation === undefined)
      throw new ServiceError(
        'UnknownOperationException',
        `The twin's Secrets Manager does not support ${target || req.method}.`,
      );
    const text = await readBody(req);
    let input: unknown;
    try {
      input = text === '' ? {} : JSON.parse(text);
    } catch {
      throw new ServiceError('SerializationException', 'The request body is not JSON.');
    }
    if (typeof input !== 'object' || input === null || Array.isArray(input))
      throw new ServiceError('SerializationException', 'The request body is not a JSON object.');
    reply(res, 200, operation(store, input as Record<string, unknown>));
  } catch (error: unknown) {
    if (error instanceof ServiceError) reply(res, 400, { __type: error.type, Message: error.message });
    else reply(res, 500, { __type: 'InternalServiceError', Message: 'The twin’s Secrets Manager failed.' });
  }
}

export async function startSecretsManagerEmulator(options: {
  port: number;
  region: string;
  account: string;
}): Promise<SecretsManagerEmulator> {
  const store = new SecretStore(options.region, options.account);
  const server = createServer((req, res) => void answer(store, req, res));
  const listening = await listenOnLoopback(server, options.port);
  return {
    endpoint: listening.url,
    port: listening.port,
    createSecret: (name, value) => store.create(name, value),
    putSecretValue: (secretId, value) => String(store.put({ SecretId: secretId, SecretString: value }).VersionId),
    close: () => listening.close(),
  };
}
