import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  ListObjectsV2Command,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { createHandler } from '../../../functions/takedown/handler';

const s3Mock = mockClient(S3Client);
const handler = createHandler({ s3: new S3Client({ region: 'eu-west-1' }) });

const MEDIA_ID = '01JDX3ZK2Q4V5W6X7Y8Z9A0B1C';
const UPLOAD = {
  bucket: 'travel-guide-media-dev',
  key: `uploads/alice/${MEDIA_ID}`,
  size: 184320,
  etag: 'b1946ac92492d2347c6235b4d2611184',
  sequencer: '00617F08299329D189',
  versionId: 'IYV3p45BT0ac8hjHg1houSdS1a.Mro8e',
};

beforeEach(() => {
  s3Mock.reset();
});

describe('takedown remove-version (RemoveReusedUpload)', () => {
  it('deletes exactly the reused version of exactly the upload key, and nothing else', async () => {
    // Arrange
    s3Mock.on(DeleteObjectCommand).resolves({});

    // Act
    const result = await handler({ action: 'remove-version', upload: UPLOAD });

    // Assert
    expect(result).toEqual({ mediaId: MEDIA_ID, derivedDeleted: 0, removedVersion: UPLOAD.versionId });
    expect(s3Mock).toHaveReceivedCommandTimes(DeleteObjectCommand, 1);
    expect(s3Mock).toHaveReceivedCommandWith(DeleteObjectCommand, {
      Bucket: UPLOAD.bucket,
      Key: UPLOAD.key,
      VersionId: UPLOAD.versionId,
    });
    expect(s3Mock).not.toHaveReceivedCommand(DeleteObjectsCommand);
    expect(s3Mock).not.toHaveReceivedCommand(ListObjectsV2Command);
  });

  it('succeeds when the version is already gone (a retry after a delete that went through)', async () => {
    // Arrange
    s3Mock.on(DeleteObjectCommand).rejects(
      new S3ServiceException({
        name: 'NoSuchVersion',
        $fault: 'client',
        $metadata: { httpStatusCode: 404 },
        message: 'The specified version does not exist.',
      }),
    );

    // Act
    const result = await handler({ action: 'remove-version', upload: UPLOAD });

    // Assert
    expect(result.removedVersion).toBe(UPLOAD.versionId);
  });

  it('lets any other S3 error fail the step, so the ASL retries it', async () => {
    // Arrange
    s3Mock.on(DeleteObjectCommand).rejects(
      new S3ServiceException({
        name: 'AccessDenied',
        $fault: 'client',
        $metadata: { httpStatusCode: 403 },
        message: 'Access Denied',
      }),
    );

    // Act
    const attempt = handler({ action: 'remove-version', upload: UPLOAD });

    // Assert
    await expect(attempt).rejects.toThrow(/Access Denied/);
  });

  it.each([
    ['without a version id', undefined],
    ['with version "null" (an object written without versioning: the only bytes)', 'null'],
  ])('deletes nothing %s', async (_case, versionId) => {
    // Arrange
    const { versionId: _dropped, ...unversioned } = UPLOAD;
    const upload = versionId === undefined ? unversioned : { ...unversioned, versionId };

    // Act
    const attempt = handler({ action: 'remove-version', upload });

    // Assert
    await expect(attempt).rejects.toThrow(/version id/);
    expect(s3Mock).not.toHaveReceivedCommand(DeleteObjectCommand);
  });
});
