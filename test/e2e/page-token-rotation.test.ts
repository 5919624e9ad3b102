import { PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { EMULATOR_ACCESS_KEY_ID, EMULATOR_SECRET_ACCESS_KEY } from '../../local/settings';
import { startTwin, type Twin } from '../../local/twin';
import { requestJson, tokenFor } from './support/twin-client';

/**
 * Rotating the page-token key without a deploy, through the twin: the articles function reads the
 * key from the twin's Secrets Manager with its own role (IAM enforced), caches it for
 * `pageTokenSecretMaxAge` (1 s here, 300 s by default), signs with AWSCURRENT and still accepts
 * AWSPREVIOUS — so a listing in progress survives one rotation, not two.
 */

interface Listing {
  items: { id: string }[];
  nextToken?: string;
}

const MAX_AGE_SECONDS = 1;

let twin: Twin;
let secrets: SecretsManagerClient;

beforeAll(async () => {
  twin = await startTwin({ pageTokenSecretMaxAge: MAX_AGE_SECONDS });
  secrets = new SecretsManagerClient({
    region: twin.region,
    endpoint: twin.secretsManagerEndpoint,
    credentials: { accessKeyId: EMULATOR_ACCESS_KEY_ID, secretAccessKey: EMULATOR_SECRET_ACCESS_KEY },
  });
  const token = await tokenFor(twin, 'alice');
  for (const title of ['First', 'Second', 'Third']) {
    const created = await requestJson(twin, 'POST', '/articles', { token, body: { title, body: 'A walk.' } });
    if (created.status !== 201) throw new Error(`POST /articles answered ${created.status}`);
  }
}, 60_000);

afterAll(async () => {
  secrets?.destroy();
  await twin?.stop();
});

/** What an operator runs: `aws secretsmanager put-secret-value`, then the cache age passes. */
async function rotate(): Promise<void> {
  await secrets.send(
    new PutSecretValueCommand({ SecretId: twin.pageTokenSecretArn, SecretString: randomBytes(32).toString('hex') }),
  );
  await sleep(MAX_AGE_SECONDS * 1000 + 100);
}

const firstPage = async (): Promise<Listing> => (await requestJson<Listing>(twin, 'GET', '/articles?limit=1')).body;
const nextPage = (nextToken: string) =>
  requestJson<Listing>(twin, 'GET', `/articles?limit=1&nextToken=${encodeURIComponent(nextToken)}`);

describe('a page-token key rotation', () => {
  it('keeps a listing in flight across one rotation and refuses its old tokens after a second', async () => {
    // Arrange: a token signed with the first key.
    const before = await firstPage();

    // Act: one rotation; the token from before it still pages on, and new tokens use the new key.
    await rotate();
    const afterOne = await nextPage(before.nextToken ?? '');
    const resigned = await firstPage();
    await rotate();
    const afterTwo = await nextPage(before.nextToken ?? '');
    const newer = await nextPage(afterOne.body.nextToken ?? '');

    // Assert
    expect(afterOne.status).toBe(200);
    expect(afterOne.body.items[0]?.id).not.toBe(before.items[0]?.id);
    expect(resigned.items[0]?.id).toBe(before.items[0]?.id);
    expect(resigned.nextToken).not.toBe(before.nextToken);
    expect(afterTwo.status).toBe(400);
    expect(afterTwo.body).toEqual({
      error: { code: 'VALIDATION_ERROR', message: 'nextToken: is not a valid page token' },
    });
    expect(newer.status).toBe(200);
  }, 30_000);

  it("reads the key with the articles function's own role, recorded for GET /articles", async () => {
    const report = twin.iamReport();

    const rows = report.functions.find((usage) => usage.fn === 'articles')?.decisions ?? [];

    expect(report.denied).toBe(0);
    expect(rows.filter((row) => row.action.startsWith('secretsmanager:'))).toEqual([
      expect.objectContaining({
        action: 'secretsmanager:GetSecretValue',
        resource: 'secret:ArticlesPageTokenSecret',
        decision: 'allowed',
        via: ['GET /articles'],
      }),
    ]);
  });
});
