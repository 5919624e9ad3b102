import { DeleteObjectsCommand, ListObjectVersionsCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { S3MediaObjectEraser } from '../../../functions/media/s3-media-objects';

/**
 * The erasure behind DELETE /media/{id} against a mocked S3 client, playing a versioned bucket
 * (the twin's s3rver keeps no versions): every version and delete marker of the media's original
 * and derived objects is listed, page by page, and deleted by version id — real erasure, not a
 * delete marker.
 */

const BUCKET = 'media-bucket';
const s3 = mockClient(S3Client);
const eraser = new S3MediaObjectEraser(new S3Client({ region: 'eu-west-1' }), BUCKET);

beforeEach(() => {
  s3.reset();
  s3.on(DeleteObjectsCommand).resolves({});
  // A prefix a test does not set up holds nothing.
  s3.on(ListObjectVersionsCommand).resolves({});
});

function deletedVersions(): { Key?: string; VersionId?: string }[] {
  return s3.commandCalls(DeleteObjectsCommand).flatMap((call) => call.args[0].input.Delete?.Objects ?? []);
}

describe('S3MediaObjectEraser', () => {
  it('deletes every version and delete marker of the original and of the derived objects', async () => {
    // Arrange: the original was overwritten once (two versions); a rendition was deleted by mistake (a marker over its version).
    s3.on(ListObjectVersionsCommand, { Prefix: 'uploads/alice/m1' }).resolves({
      Versions: [
        { Key: 'uploads/alice/m1', VersionId: 'o2', IsLatest: true },
        { Key: 'uploads/alice/m1', VersionId: 'o1', IsLatest: false },
      ],
    });
    s3.on(ListObjectVersionsCommand, { Prefix: 'derived/m1/' }).resolves({
      Versions: [
        { Key: 'derived/m1/SEQ/w320.webp', VersionId: 'r1', IsLatest: false },
        { Key: 'derived/m1/SEQ/analysis.jpg', VersionId: 'a1', IsLatest: true },
      ],
      DeleteMarkers: [{ Key: 'derived/m1/SEQ/w320.webp', VersionId: 'dm1', IsLatest: true }],
    });

    // Act
    const count = await eraser.erase({ ownerId: 'alice', mediaId: 'm1' });

    // Assert
    expect(count).toBe(5);
    expect(deletedVersions()).toEqual([
      { Key: 'uploads/alice/m1', VersionId: 'o2' },
      { Key: 'uploads/alice/m1', VersionId: 'o1' },
      { Key: 'derived/m1/SEQ/w320.webp', VersionId: 'r1' },
      { Key: 'derived/m1/SEQ/analysis.jpg', VersionId: 'a1' },
      { Key: 'derived/m1/SEQ/w320.webp', VersionId: 'dm1' },
    ]);
    expect(s3).toHaveReceivedCommandWith(DeleteObjectsCommand, { Bucket: BUCKET });
  });

  it("erases a bad upload's original where the pipeline moved it (failed/), every version", async () => {
    // Arrange: DiscardFailedUpload copied the original to failed/ and deleted it from uploads/.
    s3.on(ListObjectVersionsCommand, { Prefix: 'uploads/alice/m1' }).resolves({
      Versions: [{ Key: 'uploads/alice/m1', VersionId: 'o1', IsLatest: false }],
      DeleteMarkers: [{ Key: 'uploads/alice/m1', VersionId: 'dm1', IsLatest: true }],
    });
    s3.on(ListObjectVersionsCommand, { Prefix: 'failed/alice/m1' }).resolves({
      Versions: [
        { Key: 'failed/alice/m1', VersionId: 'f1', IsLatest: true },
        { Key: 'failed/alice/m10', VersionId: 'x1', IsLatest: true },
      ],
    });

    // Act
    const count = await eraser.erase({ ownerId: 'alice', mediaId: 'm1' });

    // Assert
    expect(count).toBe(3);
    expect(deletedVersions()).toEqual([
      { Key: 'uploads/alice/m1', VersionId: 'o1' },
      { Key: 'uploads/alice/m1', VersionId: 'dm1' },
      { Key: 'failed/alice/m1', VersionId: 'f1' },
    ]);
  });

  it('never deletes another media whose original key starts with this one', async () => {
    // Arrange: uploads/alice/m1 is a prefix of uploads/alice/m10.
    s3.on(ListObjectVersionsCommand, { Prefix: 'uploads/alice/m1' }).resolves({
      Versions: [
        { Key: 'uploads/alice/m1', VersionId: 'o1' },
        { Key: 'uploads/alice/m10', VersionId: 'x1' },
      ],
    });
    s3.on(ListObjectVersionsCommand, { Prefix: 'derived/m1/' }).resolves({});

    // Act
    await eraser.erase({ ownerId: 'alice', mediaId: 'm1' });

    // Assert
    expect(deletedVersions()).toEqual([{ Key: 'uploads/alice/m1', VersionId: 'o1' }]);
  });

  it('follows truncated listings with the key and version id markers', async () => {
    // Arrange
    s3.on(ListObjectVersionsCommand, { Prefix: 'uploads/alice/m1' }).resolves({});
    s3.on(ListObjectVersionsCommand, { Prefix: 'derived/m1/' })
      .resolvesOnce({
        Versions: [{ Key: 'derived/m1/S/a.webp', VersionId: 'v1' }],
        IsTruncated: true,
        NextKeyMarker: 'derived/m1/S/a.webp',
        NextVersionIdMarker: 'v1',
      })
      .resolvesOnce({ Versions: [{ Key: 'derived/m1/S/b.webp', VersionId: 'v2' }], IsTruncated: false });

    // Act
    await eraser.erase({ ownerId: 'alice', mediaId: 'm1' });

    // Assert
    expect(s3).toHaveReceivedCommandWith(ListObjectVersionsCommand, {
      Prefix: 'derived/m1/',
      KeyMarker: 'derived/m1/S/a.webp',
      VersionIdMarker: 'v1',
    });
    expect(deletedVersions().map((version) => version.VersionId)).toEqual(['v1', 'v2']);
  });

  it('deletes nothing and reports 0 when nothing is left (a finished or empty media)', async () => {
    s3.on(ListObjectVersionsCommand).resolves({});

    const count = await eraser.erase({ ownerId: 'alice', mediaId: 'm1' });

    expect(count).toBe(0);
    expect(s3).not.toHaveReceivedCommand(DeleteObjectsCommand);
  });

  it('fails when S3 reports a version it could not delete, so the record stays DELETING', async () => {
    s3.on(ListObjectVersionsCommand, { Prefix: 'uploads/alice/m1' }).resolves({
      Versions: [{ Key: 'uploads/alice/m1', VersionId: 'o1' }],
    });
    s3.on(ListObjectVersionsCommand, { Prefix: 'derived/m1/' }).resolves({});
    s3.on(DeleteObjectsCommand).resolves({
      Errors: [{ Key: 'uploads/alice/m1', VersionId: 'o1', Code: 'AccessDenied', Message: 'Access Denied' }],
    });

    await expect(eraser.erase({ ownerId: 'alice', mediaId: 'm1' })).rejects.toThrow(
      /could not delete 1 of 1 .*AccessDenied/,
    );
  });

  it('deletes in batches of at most 1,000 versions', async () => {
    const versions = Array.from({ length: 1500 }, (_, i) => ({ Key: `derived/m1/S/${i}.webp`, VersionId: `v${i}` }));
    s3.on(ListObjectVersionsCommand, { Prefix: 'uploads/alice/m1' }).resolves({});
    s3.on(ListObjectVersionsCommand, { Prefix: 'derived/m1/' }).resolves({ Versions: versions });

    await eraser.erase({ ownerId: 'alice', mediaId: 'm1' });

    expect(s3.commandCalls(DeleteObjectsCommand).map((call) => call.args[0].input.Delete?.Objects?.length)).toEqual([
      1000, 500,
    ]);
  });
});
