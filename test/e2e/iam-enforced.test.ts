import { loadAppTemplates } from '../../local/iam/app-roles';
import { unusedGrants } from '../../local/iam/usage';
import { startTwin, type Twin } from '../../local/twin';
import type { StackTemplate } from '../iam/support/cfn-resolver';
import { photoJpeg, requestJson, tokenFor, upload, waitForTerminal } from './support/twin-client';

/**
 * Proof that the twin's IAM enforcement bites, on the app's own synthesized roles with one change
 * each: the thumbnail role loses its s3:PutObject on derived/* (the run must end FAILED with an
 * access-denied fault, as it would deployed) and gains an s3:DeleteObject on uploads/* that no code
 * calls (the unused-grant check must name it). This twin's report is not part of the suite's.
 */

type Statement = { Action: string | string[]; Effect: string; Resource: unknown };

/** The thumbnail role's policy statements in a copy of the templates. */
function thumbnailStatements(stacks: StackTemplate[]): Statement[] {
  const resources = stacks.find((stack) => stack.stackName === 'TravelGuide-dev')?.template.Resources ?? {};
  const policyId = Object.keys(resources).find((id) => id.startsWith('PipelineThumbnailRoleDefaultPolicy'));
  const document = (policyId === undefined ? undefined : resources[policyId]?.Properties?.PolicyDocument) as
    { Statement: Statement[] } | undefined;
  if (document === undefined) throw new Error('no default policy on the thumbnail role');
  return document.Statement;
}

const derivedOf = (resource: unknown): boolean => JSON.stringify(resource).includes('/derived/*');

let twin: Twin;
let removed: Statement;

beforeAll(async () => {
  const stacks = structuredClone((await loadAppTemplates()).stacks);
  const statements = thumbnailStatements(stacks);
  const index = statements.findIndex((s) => [s.Action].flat().includes('s3:PutObject') && derivedOf(s.Resource));
  const [putDerived] = statements.splice(index, 1);
  if (index < 0 || putDerived === undefined) throw new Error('the thumbnail role has no s3:PutObject on derived/*');
  removed = putDerived;
  const bucketArn = JSON.stringify(putDerived.Resource).match(/"Fn::GetAtt":\["(MediaBucket[0-9A-F]{8})","Arn"\]/)?.[1];
  statements.push({
    Effect: 'Allow',
    Action: 's3:DeleteObject',
    Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketArn, 'Arn'] }, '/uploads/*']] },
  });
  twin = await startTwin({ iam: true, iamTemplates: stacks, retryIntervalOverrides: { CreateThumbnails: 10 } });
}, 120_000);

afterAll(async () => {
  await twin?.stop();
});

describe("a role without the thumbnail step's s3:PutObject on derived/*", () => {
  let mediaId: string;
  let view: Awaited<ReturnType<typeof waitForTerminal>>;

  beforeAll(async () => {
    const token = await tokenFor(twin, 'alice');
    mediaId = await upload(twin, token, await photoJpeg(320, 240));
    view = await waitForTerminal(twin, mediaId, 40_000);
  }, 60_000);

  it('was a real statement of the synthesized role', () => {
    expect([removed.Action].flat()).toEqual(['s3:PutObject']);
  });

  it('ends the run FAILED with the access-denied fault S3 gives', () => {
    // Arrange
    const run = twin.runs.recent().find((candidate) => candidate.mediaId === mediaId);

    // Assert: a pipeline fault (the execution fails and alarms), not a bad upload; the API tells
    // the client no internals, the execution's failure names the refused call.
    expect(view.status).toBe('FAILED');
    expect(view.error?.code).toBe('PIPELINE_ERROR');
    expect(run?.outcome).toBe('FAILED');
    expect(run?.executionStatus).toBe('FAILED');
    expect(run?.failure?.error).toBe('AccessDenied');
    expect(run?.failure?.cause).toMatch(
      /not authorized to perform: s3:PutObject on resource: arn:aws:s3:::MediaBucket\/derived\//,
    );
  });

  it('records the denial in the usage report, with the state that made the call', async () => {
    // Act
    const response = await requestJson<{
      denied: number;
      functions: {
        fn: string;
        decisions: { action: string; resource: string; decision: string; count: number; via: string[] }[];
      }[];
    }>(twin, 'GET', '/_local/iam');

    // Assert: one row per refused object (the renditions are written in parallel), nothing else refused.
    const denied = response.body.functions.flatMap((usage) =>
      usage.decisions.filter((row) => row.decision === 'denied').map((row) => ({ fn: usage.fn, ...row })),
    );
    expect(denied.length).toBeGreaterThan(0);
    expect(denied.reduce((sum, row) => sum + row.count, 0)).toBe(response.body.denied);
    for (const row of denied) {
      expect(row).toMatchObject({ fn: 'thumbnail', action: 's3:PutObject', via: ['CreateThumbnails'] });
      expect(row.resource).toMatch(new RegExp(`^bucket:MediaBucket/derived/${mediaId}/`));
    }
  });
});

describe('a role with a statement no code uses', () => {
  it('is named by the unused-grant check', () => {
    // Act
    const unused = unusedGrants(twin.iamReport()).filter((line) => line.startsWith('thumbnail '));

    // Assert: the thumbnail step read its upload, so only the added grant is unused.
    expect(unused).toEqual(['thumbnail s3:DeleteObject bucket:MediaBucket/uploads/*']);
  });
});
