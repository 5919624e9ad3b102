import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { startSecretsManagerEmulator, type SecretsManagerEmulator } from '../../../local/emulators/secrets-manager';
import { runAsFunction } from '../../../local/iam/caller';
import type { IamEnforcer, IamRequest, Refusal } from '../../../local/iam/enforcer';
import { guardSdkClients, setSdkEnforcer } from '../../../local/iam/sdk-guard';

/**
 * The twin's Secrets Manager, through the real SDK client: AWS's version stages on a rotation, its
 * errors, and the IAM guard in front of it answering as Secrets Manager does for a refused call.
 */

const KEY_1 = 'a'.repeat(64);
const KEY_2 = 'b'.repeat(64);
const KEY_3 = 'c'.repeat(64);

let emulator: SecretsManagerEmulator;
let client: SecretsManagerClient;
let arn: string;

beforeAll(async () => {
  emulator = await startSecretsManagerEmulator({ port: 0, region: 'eu-west-1', account: '000000000000' });
  client = new SecretsManagerClient({
    region: 'eu-west-1',
    endpoint: emulator.endpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  arn = emulator.createSecret('page-token', KEY_1);
});

afterAll(async () => {
  setSdkEnforcer(undefined);
  client.destroy();
  await emulator.close();
});

const valueOf = async (input: { VersionStage?: string; SecretId?: string }): Promise<string | undefined> =>
  (await client.send(new GetSecretValueCommand({ SecretId: arn, ...input }))).SecretString;

describe("the twin's Secrets Manager", () => {
  it('names a secret with an ARN that ends in six random characters, and finds it by ARN or by name', async () => {
    expect(arn).toMatch(/^arn:aws:secretsmanager:eu-west-1:000000000000:secret:page-token-[A-Za-z0-9]{6}$/);
    await expect(valueOf({ SecretId: 'page-token' })).resolves.toBe(KEY_1);
  });

  it('has no AWSPREVIOUS before the first rotation, and says so as Secrets Manager does', async () => {
    const error = await client
      .send(new GetSecretValueCommand({ SecretId: 'never-rotated', VersionStage: 'AWSPREVIOUS' }))
      .catch((e: unknown) => e);
    emulator.createSecret('never-rotated', KEY_1);
    const missingStage = await client
      .send(new GetSecretValueCommand({ SecretId: 'never-rotated', VersionStage: 'AWSPREVIOUS' }))
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ResourceNotFoundException);
    expect(missingStage).toBeInstanceOf(ResourceNotFoundException);
    expect((missingStage as Error).message).toBe(
      "Secrets Manager can't find the specified secret value for staging label: AWSPREVIOUS",
    );
  });

  it('rotates on PutSecretValue: the new value is AWSCURRENT, the old one AWSPREVIOUS, the one before is gone', async () => {
    // Act
    await client.send(new PutSecretValueCommand({ SecretId: arn, SecretString: KEY_2 }));
    const afterFirst = [await valueOf({}), await valueOf({ VersionStage: 'AWSPREVIOUS' })];
    await client.send(new PutSecretValueCommand({ SecretId: arn, SecretString: KEY_3 }));
    const afterSecond = [await valueOf({}), await valueOf({ VersionStage: 'AWSPREVIOUS' })];
    const described = await client.send(new DescribeSecretCommand({ SecretId: arn }));

    // Assert
    expect(afterFirst).toEqual([KEY_2, KEY_1]);
    expect(afterSecond).toEqual([KEY_3, KEY_2]);
    expect(Object.values(described.VersionIdsToStages ?? {}).sort()).toEqual([['AWSCURRENT'], ['AWSPREVIOUS']]);
  });
});

describe("the twin's IAM guard in front of Secrets Manager", () => {
  const asked: IamRequest[] = [];
  let refuse = false;
  const enforcer = {
    secretArn: (secretId: string) => secretId,
    authorize: async (_caller: unknown, requests: readonly IamRequest[]): Promise<Refusal | undefined> => {
      asked.push(...requests);
      const [request] = requests;
      return refuse && request
        ? { ...request, message: `User: articles is not authorized to perform: ${request.action}` }
        : undefined;
    },
  } as unknown as IamEnforcer;

  beforeAll(async () => {
    setSdkEnforcer(enforcer);
    await guardSdkClients();
  });

  it("asks for secretsmanager:GetSecretValue on the secret's ARN, whatever the version stage", async () => {
    asked.length = 0;
    refuse = false;

    await runAsFunction({ fn: 'articles', via: 'GET /articles' }, () => valueOf({ VersionStage: 'AWSPREVIOUS' }));

    expect(asked).toEqual([{ action: 'secretsmanager:GetSecretValue', resource: arn }]);
  });

  it('answers a refused call with the AccessDeniedException (HTTP 400) Secrets Manager gives', async () => {
    refuse = true;

    const error = (await runAsFunction({ fn: 'articles', via: 'GET /articles' }, () => valueOf({})).catch(
      (e: unknown) => e,
    )) as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };

    expect(error.name).toBe('AccessDeniedException');
    expect(error.$metadata?.httpStatusCode).toBe(400);
    expect(error.message).toContain('not authorized to perform: secretsmanager:GetSecretValue');
  });

  it("leaves the twin's own calls (no function caller) unchecked", async () => {
    refuse = true;
    asked.length = 0;

    await expect(valueOf({})).resolves.toBe(KEY_3);
    expect(asked).toEqual([]);
  });
});
