import { createHandler } from '../../../functions/media/handler';
import type { MediaRecord } from '../../../functions/shared/media';
import { ALICE, BOB, apiEvent, errorOf, parse } from '../api/fakes';
import { mediaWorld } from './fakes';

/**
 * DELETE /media/{id} and GET /media?owner=me through the media handler, over in-memory stores
 * (the DynamoDB adapter is held to the same behaviour on an emulator in media-records-emulator,
 * the S3 eraser against a mocked S3 client in s3-media-objects.test.ts).
 */

const ready = (mediaId: string, ownerId = ALICE, createdAt = '2026-05-01T09:00:00.000Z'): MediaRecord => ({
  mediaId,
  ownerId,
  status: 'READY',
  renditions: [
    { name: 'w320', width: 320, height: 200, format: 'webp', key: `derived/${mediaId}/SEQ/w320.webp`, bytes: 100 },
  ],
  createdAt,
  updatedAt: createdAt,
});

const deleteMedia = (id: string, userId?: string) =>
  apiEvent({
    method: 'DELETE',
    resource: '/media/{id}',
    pathParameters: { id },
    ...(userId !== undefined ? { userId } : {}),
  });
const viewMedia = (id: string) => apiEvent({ method: 'GET', resource: '/media/{id}', pathParameters: { id } });
const listMine = (userId: string, query: Record<string, string> = { owner: 'me' }) =>
  apiEvent({ method: 'GET', resource: '/media', query, userId });

describe('DELETE /media/{id}', () => {
  it("erases the objects and then the record of the owner's media, answering 204", async () => {
    // Arrange
    const world = mediaWorld();
    world.media.put(ready('m1'));
    world.objects.store('m1', ['uploads/alice/m1', 'derived/m1/SEQ/w320.webp']);
    const handler = createHandler(world.deps);

    // Act
    const response = await handler(deleteMedia('m1', ALICE));

    // Assert
    expect(response.statusCode).toBe(204);
    expect(world.objects.calls).toEqual([{ ownerId: ALICE, mediaId: 'm1' }]);
    expect(world.objects.objects.has('m1')).toBe(false);
    expect(world.media.records.has('m1')).toBe(false);
  });

  it('refuses anyone but the owner with 403 and touches nothing', async () => {
    const world = mediaWorld();
    world.media.put(ready('m1'));
    const handler = createHandler(world.deps);

    const response = await handler(deleteMedia('m1', BOB));

    expect(errorOf(response)).toMatchObject({ status: 403, code: 'FORBIDDEN' });
    expect(world.objects.calls).toEqual([]);
    expect(world.media.records.get('m1')?.status).toBe('READY');
  });

  it('answers 401 without a caller', async () => {
    const handler = createHandler(mediaWorld().deps);

    const response = await handler(deleteMedia('m1'));

    expect(errorOf(response)).toMatchObject({ status: 401 });
  });

  it('answers 404 for absent media, and for a second DELETE of the same media', async () => {
    // Arrange
    const world = mediaWorld();
    world.media.put(ready('m1'));
    const handler = createHandler(world.deps);

    // Act
    const first = await handler(deleteMedia('m1', ALICE));
    const second = await handler(deleteMedia('m1', ALICE));
    const never = await handler(deleteMedia('never-uploaded', ALICE));

    // Assert
    expect(first.statusCode).toBe(204);
    expect(errorOf(second)).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    expect(errorOf(never)).toMatchObject({ status: 404, code: 'NOT_FOUND' });
  });

  it('refuses media still PROCESSING with 409, leaving it to the pipeline', async () => {
    const world = mediaWorld();
    world.media.put({ mediaId: 'm1', ownerId: ALICE, status: 'PROCESSING' });
    const handler = createHandler(world.deps);

    const response = await handler(deleteMedia('m1', ALICE));

    expect(errorOf(response)).toMatchObject({ status: 409, code: 'CONFLICT' });
    expect(world.media.records.get('m1')?.status).toBe('PROCESSING');
    expect(world.objects.calls).toEqual([]);
  });

  it.each(['PENDING', 'REJECTED', 'FAILED'] as const)('deletes %s media too', async (status) => {
    const world = mediaWorld();
    world.media.put({ mediaId: 'm1', ownerId: ALICE, status });
    const handler = createHandler(world.deps);

    const response = await handler(deleteMedia('m1', ALICE));

    expect(response.statusCode).toBe(204);
    expect(world.media.records.has('m1')).toBe(false);
  });

  describe('crash half-way', () => {
    it('leaves a DELETING record that is no longer served when the erasure fails part-way', async () => {
      // Arrange: S3 fails after one of three objects is gone.
      const world = mediaWorld();
      world.media.put(ready('m1'));
      world.objects.store('m1', ['uploads/alice/m1', 'derived/m1/SEQ/w320.webp', 'derived/m1/SEQ/analysis.jpg']);
      world.objects.failNext(1);
      const handler = createHandler(world.deps);

      // Act
      const failed = await handler(deleteMedia('m1', ALICE));
      const view = await handler(viewMedia('m1'));

      // Assert: the record still names the media (so the erasure can be finished) but serves nothing.
      expect(failed.statusCode).toBe(500);
      expect(world.media.records.get('m1')?.status).toBe('DELETING');
      expect(world.objects.objects.get('m1')).toEqual(['derived/m1/SEQ/w320.webp', 'derived/m1/SEQ/analysis.jpg']);
      expect(errorOf(view)).toMatchObject({ status: 404 });
    });

    it('shows the interrupted erasure to its owner as DELETING, and a second DELETE finishes it', async () => {
      // Arrange
      const world = mediaWorld();
      world.media.put(ready('m1'));
      world.objects.store('m1', ['uploads/alice/m1', 'derived/m1/SEQ/w320.webp']);
      world.objects.failNext(1);
      const handler = createHandler(world.deps);
      await handler(deleteMedia('m1', ALICE));

      // Act
      const listed = parse(await handler(listMine(ALICE))).body as { items: { mediaId: string; status: string }[] };
      const retried = await handler(deleteMedia('m1', ALICE));

      // Assert
      expect(listed.items.map(({ mediaId, status }) => ({ mediaId, status }))).toEqual([
        { mediaId: 'm1', status: 'DELETING' },
      ]);
      expect(retried.statusCode).toBe(204);
      expect(world.objects.objects.has('m1')).toBe(false);
      expect(world.media.records.has('m1')).toBe(false);
    });

    it('still refuses another user the retry of an interrupted erasure', async () => {
      const world = mediaWorld();
      world.media.put({ ...ready('m1'), status: 'DELETING' });
      const handler = createHandler(world.deps);

      const response = await handler(deleteMedia('m1', BOB));

      expect(errorOf(response)).toMatchObject({ status: 403 });
      expect(world.media.records.get('m1')?.status).toBe('DELETING');
    });

    it('never erases objects when the record could not be marked first', async () => {
      // Arrange: the pipeline changes the record between every read and the mark.
      const world = mediaWorld();
      world.media.put({ mediaId: 'm1', ownerId: ALICE, status: 'PENDING' });
      world.media.markDeleting = async () => false;
      const handler = createHandler(world.deps);

      // Act
      const response = await handler(deleteMedia('m1', ALICE));

      // Assert
      expect(errorOf(response)).toMatchObject({ status: 409 });
      expect(world.objects.calls).toEqual([]);
    });
  });
});

describe('GET /media?owner=me', () => {
  function worldWith(count: number) {
    const world = mediaWorld();
    for (let i = 0; i < count; i += 1) {
      world.media.put(
        ready(`a${String(i).padStart(2, '0')}`, ALICE, `2026-05-01T09:${String(i).padStart(2, '0')}:00.000Z`),
      );
    }
    world.media.put(ready('b00', BOB, '2026-05-01T09:30:00.000Z'));
    return world;
  }

  it("lists only the caller's media, newest first, each with its status", async () => {
    const handler = createHandler(worldWith(3).deps);

    const page = parse(await handler(listMine(ALICE))).body as {
      items: { mediaId: string; status: string }[];
      nextToken?: string;
    };

    expect(page.items.map((item) => [item.mediaId, item.status])).toEqual([
      ['a02', 'READY'],
      ['a01', 'READY'],
      ['a00', 'READY'],
    ]);
    expect(page.nextToken).toBeUndefined();
  });

  it('pages with a signed nextToken until every item was seen once', async () => {
    // Arrange
    const handler = createHandler(worldWith(25).deps);
    const seen: string[] = [];
    let nextToken: string | undefined;

    // Act
    do {
      const page = parse(
        await handler(listMine(ALICE, { owner: 'me', limit: '10', ...(nextToken ? { nextToken } : {}) })),
      ).body as {
        items: { mediaId: string }[];
        nextToken?: string;
      };
      seen.push(...page.items.map((item) => item.mediaId));
      nextToken = page.nextToken;
    } while (nextToken !== undefined);

    // Assert
    expect(seen).toHaveLength(25);
    expect(new Set(seen).size).toBe(25);
    expect(seen[0]).toBe('a24');
  });

  it('refuses a tampered nextToken with 400', async () => {
    const handler = createHandler(worldWith(3).deps);
    const { nextToken } = parse(await handler(listMine(ALICE, { owner: 'me', limit: '1' }))).body as {
      nextToken: string;
    };

    const response = await handler(listMine(ALICE, { owner: 'me', nextToken: `${nextToken.slice(0, -2)}AA` }));

    expect(errorOf(response)).toMatchObject({ status: 400, code: 'VALIDATION_ERROR' });
    expect(errorOf(response).message).toMatch(/^nextToken:/);
  });

  it('requires owner=me, naming the parameter', async () => {
    const handler = createHandler(worldWith(1).deps);

    const missing = await handler(listMine(ALICE, {}));
    const someoneElse = await handler(listMine(ALICE, { owner: BOB }));

    expect(errorOf(missing)).toMatchObject({ status: 400 });
    expect(errorOf(missing).message).toMatch(/^owner:/);
    expect(errorOf(someoneElse).message).toMatch(/^owner:/);
  });

  it('answers 401 without a caller', async () => {
    const handler = createHandler(worldWith(1).deps);

    const response = await handler(apiEvent({ method: 'GET', resource: '/media', query: { owner: 'me' } }));

    expect(errorOf(response)).toMatchObject({ status: 401 });
  });
});
