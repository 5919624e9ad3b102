import { PayloadTooLargeError, UnsupportedMediaTypeError } from '../../../functions/api/errors';
import { MediaService } from '../../../functions/media/media-service';
import { ALICE, FixedClock, InMemoryMediaStore, SequentialIds } from '../api/fakes';
import { PageTokenCodec } from '../../../functions/articles/page-token';
import { FakePageTokenKeys } from '../articles/fakes';
import { FakeDownloadSigner, InMemoryObjectEraser, InMemoryUploadQuota, RecordingUploadSigner } from './fakes';

/** The media core without the HTTP seam: upload tickets and media views. */

function mediaCore(uploads = new RecordingUploadSigner(), clock = new FixedClock()) {
  const media = new InMemoryMediaStore();
  const service = new MediaService({
    media,
    uploadSigner: uploads,
    downloadSigner: new FakeDownloadSigner(),
    uploadQuota: new InMemoryUploadQuota(),
    objects: new InMemoryObjectEraser(),
    pageTokens: new PageTokenCodec(new FakePageTokenKeys()),
    clock,
    ids: new SequentialIds(),
    settings: { maxUploadBytes: 1000, uploadUrlTtlSeconds: 60, downloadUrlTtlSeconds: 30 },
  });
  return { service, media, uploads };
}

describe('MediaService', () => {
  it('pins the declared size as the upper bound and the server-chosen key', async () => {
    const { service, uploads } = mediaCore();

    await service.createUpload(ALICE, { contentType: 'image/webp', contentLength: 700 });

    expect(uploads.requests).toEqual([
      { key: `uploads/${ALICE}/id-0001`, contentType: 'image/webp', minBytes: 1, maxBytes: 700, expiresInSeconds: 60 },
    ]);
  });

  it('reports the expiration the signer signed, not one from its own clock', async () => {
    // Arrange: the signer's clock runs 2.75 s ahead of the service's, and signs in whole seconds.
    const signerClock = new FixedClock(new Date('2026-05-01T10:00:02.750Z'));
    const { service } = mediaCore(new RecordingUploadSigner(signerClock));

    // Act
    const ticket = await service.createUpload(ALICE, { contentType: 'image/png', contentLength: 1 });

    // Assert
    expect(ticket.expiresAt).toBe('2026-05-01T10:01:02.000Z');
  });

  it('writes the PENDING record with the owner', async () => {
    const { service, media } = mediaCore();

    await service.createUpload(ALICE, { contentType: 'image/jpeg', contentLength: 1 });

    expect(media.records.get('id-0001')).toEqual({
      mediaId: 'id-0001',
      ownerId: ALICE,
      status: 'PENDING',
      createdAt: '2026-05-01T10:00:00.000Z',
      updatedAt: '2026-05-01T10:00:00.000Z',
      // The form's expiry (uploadUrlTtlSeconds 60), and TTL a week later
      uploadExpiresAt: '2026-05-01T10:01:00.000Z',
      removeAt: Date.parse('2026-05-08T10:01:00.000Z') / 1000,
    });
  });

  it('shows a ticket whose upload never came as EXPIRED once its form expired and the grace ran out', async () => {
    // Arrange
    const clock = new FixedClock();
    const { service } = mediaCore(new RecordingUploadSigner(clock), clock);
    const { mediaId } = await service.createUpload(ALICE, { contentType: 'image/jpeg', contentLength: 1 });

    // Act: just before the end (form expiry + 15 min grace), then at it
    clock.advance((60 + 15 * 60) * 1000 - 1);
    const before = await service.view(mediaId);
    clock.advance(1);
    const after = await service.view(mediaId);

    // Assert
    expect(before.status).toBe('PENDING');
    expect(after).toMatchObject({ status: 'EXPIRED', error: { code: 'UPLOAD_EXPIRED' } });
  });

  it('refuses an unsupported type before signing anything', async () => {
    const { service, uploads } = mediaCore();

    await expect(service.createUpload(ALICE, { contentType: 'image/heic', contentLength: 1 })).rejects.toBeInstanceOf(
      UnsupportedMediaTypeError,
    );
    expect(uploads.requests).toHaveLength(0);
  });

  it('refuses a size above the maximum before signing anything', async () => {
    const { service, uploads } = mediaCore();

    await expect(
      service.createUpload(ALICE, { contentType: 'image/jpeg', contentLength: 1001 }),
    ).rejects.toBeInstanceOf(PayloadTooLargeError);
    expect(uploads.requests).toHaveLength(0);
  });

  it('signs renditions with the download TTL', async () => {
    const { service, media } = mediaCore();
    media.put({
      mediaId: 'm1',
      ownerId: ALICE,
      status: 'READY',
      renditions: [{ name: 'thumb', width: 1, height: 1, format: 'webp', key: 'derived/m1/thumb.webp', bytes: 1 }],
    });

    const view = await service.view('m1');

    expect(view.renditions).toEqual([
      {
        name: 'thumb',
        width: 1,
        height: 1,
        format: 'webp',
        bytes: 1,
        url: 'https://bucket.example/derived/m1/thumb.webp?expires=30',
      },
    ]);
  });
});
