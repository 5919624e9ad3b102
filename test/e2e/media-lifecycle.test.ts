import { ListObjectVersionsCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { startTwin, type Twin } from '../../local/twin';
import {
  photoJpeg,
  presign,
  requestJson,
  sentinelJpeg,
  tokenFor,
  twinS3Client,
  upload,
  waitForTerminal,
  type MediaView,
} from './support/twin-client';

/**
 * The media lifecycle on the twin, with real HTTP, the real handlers and both emulators: an
 * owner erases a photo (DELETE /media/{id}), checked through the S3 API, and finds their uploads
 * (GET /media?owner=me).
 */

let twin: Twin;
let s3: S3Client;
let alice: string;
let bob: string;

beforeAll(async () => {
  twin = await startTwin();
  s3 = twinS3Client(twin);
  [alice, bob] = await Promise.all([tokenFor(twin, 'alice'), tokenFor(twin, 'bob')]);
}, 60_000);

afterAll(async () => {
  s3?.destroy();
  await twin?.stop();
});

/** Every key of the media left in the bucket, by a plain listing and by a version listing. */
async function keysOf(ownerId: string, mediaId: string): Promise<{ objects: string[]; versions: string[] }> {
  const objects: string[] = [];
  const versions: string[] = [];
  for (const prefix of [`uploads/${ownerId}/${mediaId}`, `derived/${mediaId}/`]) {
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: twin.bucketName, Prefix: prefix }));
    objects.push(...(listed.Contents ?? []).map((object) => object.Key ?? ''));
    const versioned = await s3.send(new ListObjectVersionsCommand({ Bucket: twin.bucketName, Prefix: prefix }));
    versions.push(...(versioned.Versions ?? []).map((version) => `${version.Key ?? ''}@${version.VersionId ?? ''}`));
  }
  return { objects, versions };
}

describe('DELETE /media/{id}', () => {
  let mediaId: string;
  let before: { objects: string[]; versions: string[] };

  beforeAll(async () => {
    mediaId = await upload(twin, alice, await photoJpeg(400, 300));
    await waitForTerminal(twin, mediaId);
    before = await keysOf('alice', mediaId);
  }, 60_000);

  it('starts from a READY photo with its original and derived objects in the bucket', async () => {
    const view = await requestJson<MediaView>(twin, 'GET', `/media/${mediaId}`);

    expect(view.body.status).toBe('READY');
    expect(before.objects).toContain(`uploads/alice/${mediaId}`);
    expect(before.objects.filter((key) => key.startsWith(`derived/${mediaId}/`)).length).toBeGreaterThanOrEqual(2);
    // The twin's bucket is unversioned: each object is listed once, as version "null".
    expect(before.versions).toEqual(before.objects.map((key) => `${key}@null`));
  });

  it('refuses another user with 403, and leaves everything in place', async () => {
    const response = await requestJson(twin, 'DELETE', `/media/${mediaId}`, { token: bob });

    expect(response.status).toBe(403);
    expect((await requestJson<MediaView>(twin, 'GET', `/media/${mediaId}`)).body.status).toBe('READY');
    expect(await keysOf('alice', mediaId)).toEqual(before);
  });

  it('erases the record and every object for the owner: 204, then GET 404 and nothing left in S3', async () => {
    const response = await requestJson(twin, 'DELETE', `/media/${mediaId}`, { token: alice });

    expect(response.status).toBe(204);
    expect((await requestJson(twin, 'GET', `/media/${mediaId}`)).status).toBe(404);
    expect(await keysOf('alice', mediaId)).toEqual({ objects: [], versions: [] });
  });

  it('answers a second DELETE with 404, like any absent media', async () => {
    const response = await requestJson<{ error: { code: string } }>(twin, 'DELETE', `/media/${mediaId}`, {
      token: alice,
    });

    expect(response.status).toBe(404);
    expect(response.body.error.code).toBe('NOT_FOUND');
  });
});

/** Every key under a prefix, through the S3 API. */
async function keysUnder(prefix: string): Promise<string[]> {
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: twin.bucketName, Prefix: prefix }));
  return (listed.Contents ?? []).map((object) => object.Key ?? '');
}

/** The run of a media has ended once its last step is done (the takedown comes after the record). */
async function waitForRunEnd(mediaId: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (twin.runs.recent().some((run) => run.mediaId === mediaId && run.executionStatus !== 'RUNNING')) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`run of ${mediaId} did not end`);
}

describe('takedown of rejected content', () => {
  let mediaId: string;
  let view: MediaView;

  beforeAll(async () => {
    mediaId = await upload(twin, alice, await sentinelJpeg(400, 300));
    view = await waitForTerminal(twin, mediaId);
    await waitForRunEnd(mediaId);
  }, 60_000);

  it('shows REJECTED with no URL', async () => {
    const response = await requestJson<MediaView>(twin, 'GET', `/media/${mediaId}`);

    expect(view.status).toBe('REJECTED');
    expect(response.body.status).toBe('REJECTED');
    expect(JSON.stringify(response.body)).not.toMatch(/https?:\/\//);
  });

  it('leaves nothing of it under uploads/ or derived/, and its original under quarantine/', async () => {
    expect(await keysUnder(`uploads/alice/${mediaId}`)).toEqual([]);
    expect(await keysUnder(`derived/${mediaId}/`)).toEqual([]);
    expect(await keysUnder(`quarantine/alice/${mediaId}`)).toEqual([`quarantine/alice/${mediaId}`]);
  });

  it('keeps the quarantined original until its days have passed, then expires it (the lifecycle command)', async () => {
    const early = await requestJson<{ expired: string[] }>(twin, 'POST', '/_local/lifecycle', {
      body: { daysFromNow: 29 },
    });
    const kept = await keysUnder(`quarantine/alice/${mediaId}`);
    const late = await requestJson<{ expired: string[] }>(twin, 'POST', '/_local/lifecycle', {
      body: { daysFromNow: 31 },
    });

    expect(early.body.expired).not.toContain(`quarantine/alice/${mediaId}`);
    expect(kept).toEqual([`quarantine/alice/${mediaId}`]);
    expect(late.body.expired).toContain(`quarantine/alice/${mediaId}`);
    expect(await keysUnder(`quarantine/alice/${mediaId}`)).toEqual([]);
  });

  it('ends its run at the takedown', () => {
    const run = twin.runs.recent().find((candidate) => candidate.mediaId === mediaId);

    expect(run?.executionStatus).toBe('SUCCEEDED');
    expect(run?.steps.map((step) => step.name)).toContain('TakeDownRejected');
  });
});

describe('a failed upload', () => {
  it('is moved out of uploads/ to failed/, with nothing under derived/', async () => {
    // Arrange: bytes that are no image.
    const ticket = await presign(twin, alice, 'image/png', 64);
    const { postToPresignedUrl } = await import('./support/twin-client');
    await postToPresignedUrl(ticket, Buffer.alloc(64, 7), 'image/png');

    // Act
    const view = await waitForTerminal(twin, ticket.mediaId);
    await waitForRunEnd(ticket.mediaId);

    // Assert
    expect(view.status).toBe('FAILED');
    expect(await keysUnder(`uploads/alice/${ticket.mediaId}`)).toEqual([]);
    expect(await keysUnder(`derived/${ticket.mediaId}/`)).toEqual([]);
    expect(await keysUnder(`failed/alice/${ticket.mediaId}`)).toEqual([`failed/alice/${ticket.mediaId}`]);

    // The owner's DELETE erases it there too.
    const deleted = await requestJson(twin, 'DELETE', `/media/${ticket.mediaId}`, { token: alice });
    expect(deleted.status).toBe(204);
    expect(await keysUnder(`failed/alice/${ticket.mediaId}`)).toEqual([]);
  }, 60_000);
});

describe('an upload that arrives after its media was deleted', () => {
  it('is removed from uploads/ by its run, and the media stays gone', async () => {
    // Arrange: the owner deletes the media while its upload form is still valid.
    const ticket = await presign(twin, alice, 'image/jpeg', 20_000);
    const deleted = await requestJson(twin, 'DELETE', `/media/${ticket.mediaId}`, { token: alice });
    const { postToPresignedUrl } = await import('./support/twin-client');

    // Act: the upload arrives anyway (S3 accepts the form until it expires).
    const stored = await postToPresignedUrl(ticket, await photoJpeg(120, 90), 'image/jpeg');
    await waitForRunEnd(ticket.mediaId);

    // Assert
    expect(deleted.status).toBe(204);
    expect(stored >= 200 && stored < 300).toBe(true);
    const run = twin.runs.recent().find((candidate) => candidate.mediaId === ticket.mediaId);
    expect(run?.steps.map((step) => step.name)).toContain('RemoveUnissuedUpload');
    expect(await keysUnder(`uploads/alice/${ticket.mediaId}`)).toEqual([]);
    expect(await keysUnder(`derived/${ticket.mediaId}/`)).toEqual([]);
    expect((await requestJson(twin, 'GET', `/media/${ticket.mediaId}`)).status).toBe(404);
  }, 60_000);
});

describe('GET /media?owner=me', () => {
  const UPLOADS = 25;
  let carol: string;
  let carolIds: string[];
  let daveId: string;

  beforeAll(async () => {
    let dave: string;
    [carol, dave] = await Promise.all([tokenFor(twin, 'carol'), tokenFor(twin, 'dave')]);
    // Upload tickets, one after the other so each has its own createdAt: listing needs records, not processing.
    carolIds = [];
    for (let i = 0; i < UPLOADS; i += 1) {
      carolIds.push((await presign(twin, carol, 'image/jpeg', 1000)).mediaId);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    daveId = (await presign(twin, dave, 'image/png', 1000)).mediaId;
  }, 60_000);

  it("pages through all 25 of the caller's uploads, newest first, with their status, and none of another user's", async () => {
    // Arrange
    const seen: { mediaId: string; status: string }[] = [];
    let nextToken: string | undefined;
    let pages = 0;

    // Act
    do {
      const query = `owner=me&limit=10${nextToken !== undefined ? `&nextToken=${encodeURIComponent(nextToken)}` : ''}`;
      const response = await requestJson<{ items: { mediaId: string; status: string }[]; nextToken?: string }>(
        twin,
        'GET',
        `/media?${query}`,
        {
          token: carol,
        },
      );
      expect(response.status).toBe(200);
      seen.push(...response.body.items.map(({ mediaId, status }) => ({ mediaId, status })));
      nextToken = response.body.nextToken;
      pages += 1;
    } while (nextToken !== undefined && pages < 10);

    // Assert
    expect(pages).toBe(3);
    expect(seen.map((item) => item.mediaId)).toEqual([...carolIds].reverse());
    expect(seen.every((item) => item.status === 'PENDING')).toBe(true);
    expect(seen.map((item) => item.mediaId)).not.toContain(daveId);
  });

  it('needs a token', async () => {
    const response = await requestJson(twin, 'GET', '/media?owner=me');

    expect(response.status).toBe(401);
  });
});
