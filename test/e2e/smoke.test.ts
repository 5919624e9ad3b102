import { AdminDeleteUserCommand, RespondToAuthChallengeCommand } from '@aws-sdk/client-cognito-identity-provider';
import 'aws-sdk-client-mock-jest';
import { startTwin, type Twin } from '../../local/twin';
import { runSmoke } from '../../smoke/cli';
import { FAKE_OUTPUTS, mockStage, type MockedStage } from '../fixtures/smoke-aws';
import { requestJson, tokenFor } from './support/twin-client';

/**
 * The smoke command's journeys against a running twin, in this process: the `--stage` path with
 * the AWS control plane mocked and the twin standing in for the deployed API (its token in place
 * of Cognito's), and the `--local` path against a twin whose pipeline breaks.
 */

let twin: Twin;

beforeAll(async () => {
  twin = await startTwin();
}, 60_000);

afterAll(async () => {
  await twin?.stop();
});

/** The media a user still has, through GET /media?owner=me. */
async function mediaLeft(userId: string): Promise<string[]> {
  const response = await requestJson<{ items: { mediaId: string; status: string }[] }>(
    twin,
    'GET',
    '/media?owner=me&limit=100',
    { token: await tokenFor(twin, userId) },
  );
  expect(response.status).toBe(200);
  return response.body.items.map((item) => `${item.mediaId} ${item.status}`);
}

const MEDIA_DELETED = /^delete media [0-9a-f-]{36} +ok .*204, then GET answers 404/gm;

async function smoke(args: string[]): Promise<{ code: number; output: string }> {
  let output = '';
  const code = await runSmoke(args, {
    write: (text) => {
      output += text;
    },
  });
  return { code, output };
}

describe("--stage, with the AWS clients mocked and the twin as the stage's API", () => {
  let stage: MockedStage;
  let result: { code: number; output: string };

  beforeAll(async () => {
    stage = mockStage({ apiUrl: `${twin.apiUrl}/`, idToken: () => tokenFor(twin, 'cognito-user-sub') });
    result = await smoke(['--stage', 'dev', '--timeout', '20']);
  }, 60_000);

  afterAll(() => {
    stage.restore();
  });

  it('passes every journey with the token the SRP sign-in returned', () => {
    expect(result.output).toMatch(/^PASSED: \d+ steps in /m);
    expect(result.code).toBe(0);
    expect(stage.cognito).toHaveReceivedCommandTimes(RespondToAuthChallengeCommand, 1);
    expect(result.output).toMatch(/^create an article +ok .* by cognito-user-sub$/m);
  });

  it('leaves out the twin-only rejection journey and keeps the corrupt upload', () => {
    expect(result.output).not.toContain('magenta');
    expect(result.output).toMatch(/^see it end FAILED \(CORRUPT_IMAGE\) +ok /m);
  });

  it('deletes the article, then the user, last', () => {
    const steps = result.output.split('\n').map((line) => line.split(/\s{2,}/)[0]);

    expect(steps.slice(-8).filter((step) => step?.startsWith('delete'))).toEqual(
      expect.arrayContaining(['delete the article', 'delete the throw-away user']),
    );
    expect(steps.indexOf('delete the throw-away user')).toBeGreaterThan(steps.indexOf('delete the article'));
    expect(stage.cognito).toHaveReceivedCommandWith(AdminDeleteUserCommand, { UserPoolId: FAKE_OUTPUTS.userPoolId });
  });

  it("deletes both media it created, and leaves none of the user's media behind", async () => {
    expect(result.output.match(MEDIA_DELETED)).toHaveLength(2);
    expect(result.output).not.toContain('Left behind');
    expect(await mediaLeft('cognito-user-sub')).toEqual([]);
  });
});

describe('--local, against a twin whose thumbnail function is gone', () => {
  let result: { code: number; output: string };

  beforeAll(async () => {
    // One injected failure per upload the journeys make (photo, corrupt file, magenta photo).
    for (let i = 0; i < 3; i++) {
      twin.injectFault('CreateThumbnails', {
        name: 'Lambda.ResourceNotFoundException',
        message: 'Function not found: thumbnail',
      });
    }
    result = await smoke(['--local', twin.apiUrl, '--timeout', '10']);
  }, 60_000);

  it('fails with exit code 1 and a line naming the step, the media and what it ended as', () => {
    expect(result.code).toBe(1);
    expect(result.output).toMatch(
      /^FAILED: wait for READY: media [0-9a-f-]{36} ended FAILED \(PIPELINE_ERROR: [^)]+\) instead of READY$/m,
    );
  });

  it('stops the broken journey there, runs the others, and still deletes the article', () => {
    expect(result.output).not.toContain('fetch a rendition');
    expect(result.output).toMatch(/^FAILED: see it end FAILED \(CORRUPT_IMAGE\): /m);
    expect(result.output).toMatch(/^delete the article +ok /m);
    expect(result.output).toMatch(/^FAILED: \d+ of \d+ steps failed$/m);
  });

  it('still deletes the three media it created, FAILED ones too, and leaves none of them behind', async () => {
    const userId = /user (smoke-[\w-]+)/.exec(result.output)?.[1];

    expect(result.output.match(MEDIA_DELETED)).toHaveLength(3);
    expect(result.output).not.toContain('Left behind');
    expect(userId).toBeDefined();
    expect(await mediaLeft(userId ?? '')).toEqual([]);
  });
});
