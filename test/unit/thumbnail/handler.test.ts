import { GetObjectCommand, NoSuchKey, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import sharp from 'sharp';
import type { UploadRef } from '../../../functions/shared/media';
import { createHandler, DERIVED_CACHE_CONTROL, entityTag } from '../../../functions/thumbnail/handler';
import { jpegWithOrientationAndGps, textFile } from '../../fixtures/images';
import { objectBody } from '../../fixtures/s3';

const s3Mock = mockClient(S3Client);

const UPLOAD: UploadRef = {
  bucket: 'media-bucket',
  key: 'uploads/alice/01JDX3ZK2Q4V5W6X7Y8Z9A0B1C',
  size: 0, // set per test from the fixture
  etag: 'b1946ac92492d2347c6235b4d2611184',
  sequencer: '00617f08299329d189',
};
const DERIVED = 'derived/01JDX3ZK2Q4V5W6X7Y8Z9A0B1C/00617F08299329D189/';

function handlerWith(limits: { maxInputPixels?: number; maxInputBytes?: number } = {}) {
  return createHandler({ s3: new S3Client({}), limits });
}

function serve(bytes: Buffer, contentLength: number = bytes.length): void {
  s3Mock.on(GetObjectCommand).resolves({ Body: objectBody(bytes), ContentLength: contentLength });
  s3Mock.on(PutObjectCommand).resolves({});
}

beforeEach(() => {
  s3Mock.reset();
});

describe('thumbnail handler', () => {
  it('reads the upload named by the event', async () => {
    // Arrange
    const bytes = await jpegWithOrientationAndGps();
    serve(bytes);

    // Act
    await handlerWith()({ upload: { ...UPLOAD, size: bytes.length } });

    // Assert
    expect(s3Mock).toHaveReceivedCommandTimes(GetObjectCommand, 1);
    expect(s3Mock).toHaveReceivedCommandWith(GetObjectCommand, { Bucket: UPLOAD.bucket, Key: UPLOAD.key });
  });

  it("reads only the object version the event describes, with If-Match on the event's ETag, quoted", async () => {
    // Arrange: S3 events carry the ETag without quotes
    const bytes = await jpegWithOrientationAndGps();
    serve(bytes);

    // Act
    await handlerWith()({ upload: { ...UPLOAD, size: bytes.length } });

    // Assert
    expect(s3Mock).toHaveReceivedCommandWith(GetObjectCommand, { IfMatch: '"b1946ac92492d2347c6235b4d2611184"' });
  });

  it('marks an upload replaced after its event (412 PreconditionFailed) as UploadChangedError and writes nothing', async () => {
    // Arrange: what the SDK throws for S3's 412 answer to a failed If-Match
    s3Mock.on(GetObjectCommand).rejects(preconditionFailed());
    s3Mock.on(PutObjectCommand).resolves({});

    // Act
    const result = handlerWith()({ upload: { ...UPLOAD, size: 10 } });

    // Assert
    await expect(result).rejects.toMatchObject({
      name: 'UploadChangedError',
      code: 'UPLOAD_CHANGED',
      message: expect.stringMatching(/replaced/),
    });
    expect(s3Mock).toHaveReceivedCommandTimes(PutObjectCommand, 0);
  });

  it('treats any 412 answer to the read as UploadChangedError, whatever error name the SDK gives it', async () => {
    // Arrange: a 412 without an error body (the SDK then names the error after the status)
    s3Mock.on(GetObjectCommand).rejects(s3ClientError('Unknown', 412, 'Unknown'));

    // Act
    const result = handlerWith()({ upload: { ...UPLOAD, size: 10 } });

    // Assert
    await expect(result).rejects.toMatchObject({ name: 'UploadChangedError' });
  });

  it('marks an upload deleted after its event (NoSuchKey) as UploadMissingError', async () => {
    // Arrange
    s3Mock
      .on(GetObjectCommand)
      .rejects(new NoSuchKey({ message: 'The specified key does not exist.', $metadata: { httpStatusCode: 404 } }));

    // Act
    const result = handlerWith()({ upload: { ...UPLOAD, size: 10 } });

    // Assert
    await expect(result).rejects.toMatchObject({ name: 'UploadMissingError', code: 'UPLOAD_MISSING' });
  });

  it('keeps the S3 error as the cause of the domain error, for the logs', async () => {
    // Arrange
    const s3Error = preconditionFailed();
    s3Mock.on(GetObjectCommand).rejects(s3Error);

    // Act
    const result = handlerWith()({ upload: { ...UPLOAD, size: 10 } });

    // Assert
    await expect(result).rejects.toMatchObject({ cause: s3Error });
  });

  it('writes four renditions and the analysis JPEG under derived/{mediaId}/{sequencer}/ with type and caching', async () => {
    // Arrange
    const bytes = await jpegWithOrientationAndGps();
    serve(bytes);

    // Act
    await handlerWith()({ upload: { ...UPLOAD, size: bytes.length } });

    // Assert
    const puts = s3Mock.commandCalls(PutObjectCommand).map((call) => call.args[0].input);
    expect(puts.map((put) => [put.Key, put.ContentType, put.CacheControl, put.Bucket]).sort()).toEqual(
      [
        [`${DERIVED}analysis.jpg`, 'image/jpeg'],
        [`${DERIVED}large.jpg`, 'image/jpeg'],
        [`${DERIVED}large.webp`, 'image/webp'],
        [`${DERIVED}small.jpg`, 'image/jpeg'],
        [`${DERIVED}small.webp`, 'image/webp'],
      ].map(([key, type]) => [key, type, DERIVED_CACHE_CONTROL, UPLOAD.bucket]),
    );
  });

  it('uploads real images with no metadata', async () => {
    // Arrange
    const bytes = await jpegWithOrientationAndGps();
    serve(bytes);

    // Act
    await handlerWith()({ upload: { ...UPLOAD, size: bytes.length } });

    // Assert
    const bodies = s3Mock.commandCalls(PutObjectCommand).map((call) => call.args[0].input.Body as Buffer);
    const metadata = await Promise.all(bodies.map((body) => sharp(body).metadata()));
    expect(metadata.map((m) => [m.width, m.height, m.exif])).toEqual(bodies.map(() => [300, 400, undefined]));
  });

  it('returns the original, the renditions and the analysis image for the next steps', async () => {
    // Arrange
    const bytes = await jpegWithOrientationAndGps();
    serve(bytes);

    // Act
    const result = await handlerWith()({ upload: { ...UPLOAD, size: bytes.length } });

    // Assert
    expect(result).toMatchObject({
      mediaId: '01JDX3ZK2Q4V5W6X7Y8Z9A0B1C',
      ownerId: 'alice',
      original: { key: UPLOAD.key, bytes: bytes.length, contentType: 'image/jpeg', width: 300, height: 400 },
      analysis: { bucket: UPLOAD.bucket, key: `${DERIVED}analysis.jpg`, width: 300, height: 400 },
    });
    expect(result.renditions.map((r) => [r.name, r.format, r.key, r.width, r.height])).toEqual([
      ['large', 'webp', `${DERIVED}large.webp`, 300, 400],
      ['large', 'jpeg', `${DERIVED}large.jpg`, 300, 400],
      ['small', 'webp', `${DERIVED}small.webp`, 300, 400],
      ['small', 'jpeg', `${DERIVED}small.jpg`, 300, 400],
    ]);
  });

  it('reports the byte size of each rendition as uploaded', async () => {
    // Arrange
    const bytes = await jpegWithOrientationAndGps();
    serve(bytes);

    // Act
    const result = await handlerWith()({ upload: { ...UPLOAD, size: bytes.length } });

    // Assert
    const uploaded = new Map(
      s3Mock
        .commandCalls(PutObjectCommand)
        .map((call) => [call.args[0].input.Key, (call.args[0].input.Body as Buffer).length]),
    );
    expect(result.renditions.map((r) => r.bytes)).toEqual(result.renditions.map((r) => uploaded.get(r.key)));
  });

  it('refuses an upload the event says is over the byte limit without reading it', async () => {
    // Arrange
    serve(textFile());

    // Act
    const result = handlerWith({ maxInputBytes: 1000 })({ upload: { ...UPLOAD, size: 1001 } });

    // Assert
    await expect(result).rejects.toMatchObject({
      name: 'ImageTooLargeError',
      message: 'Upload is 1001 bytes; the limit is 1000 bytes',
    });
    expect(s3Mock).toHaveReceivedCommandTimes(GetObjectCommand, 0);
  });

  it('refuses an object whose Content-Length is over the byte limit', async () => {
    // Arrange
    const bytes = await jpegWithOrientationAndGps();
    serve(bytes, 5000);

    // Act
    const result = handlerWith({ maxInputBytes: 4000 })({ upload: { ...UPLOAD, size: 10 } });

    // Assert
    await expect(result).rejects.toMatchObject({ name: 'ImageTooLargeError' });
  });

  it('stops reading a body that grows past the byte limit', async () => {
    // Arrange: neither the event nor Content-Length tells the truth
    const bytes = await jpegWithOrientationAndGps();
    s3Mock.on(GetObjectCommand).resolves({ Body: objectBody(bytes, 256) });

    // Act
    const result = handlerWith({ maxInputBytes: 1024 })({ upload: { ...UPLOAD, size: 10 } });

    // Assert
    await expect(result).rejects.toMatchObject({
      name: 'ImageTooLargeError',
      message: expect.stringContaining('more than 1024'),
    });
  });

  it('refuses a text file uploaded as an image and writes nothing', async () => {
    // Arrange
    const bytes = textFile();
    serve(bytes);

    // Act
    const result = handlerWith()({ upload: { ...UPLOAD, size: bytes.length } });

    // Assert
    await expect(result).rejects.toMatchObject({ name: 'UnsupportedMediaError', code: 'UNSUPPORTED_MEDIA' });
    expect(s3Mock).toHaveReceivedCommandTimes(PutObjectCommand, 0);
  });

  it('refuses a key outside uploads/{ownerId}/{mediaId} without touching S3', async () => {
    // Act
    const result = handlerWith()({ upload: { ...UPLOAD, key: 'uploads/alice/../bob/x', size: 10 } });

    // Assert
    await expect(result).rejects.toMatchObject({ name: 'InvalidUploadKeyError' });
    expect(s3Mock.calls()).toHaveLength(0);
  });

  it('names the missing field of a malformed event', async () => {
    // Act
    const result = handlerWith()({ upload: { bucket: 'media-bucket', key: UPLOAD.key } });

    // Assert
    await expect(result).rejects.toMatchObject({
      name: 'MalformedEventError',
      message: expect.stringMatching(/upload\.size.*upload\.etag.*upload\.sequencer/),
    });
  });

  it('lets any other S3 failure through unchanged, for the state machine to record as a pipeline fault', async () => {
    // Arrange: without s3:ListBucket, S3 also answers a deleted key this way; it cannot be told from a real denial
    s3Mock.on(GetObjectCommand).rejects(s3ClientError('AccessDenied', 403, 'Access Denied'));

    // Act
    const result = handlerWith()({ upload: { ...UPLOAD, size: 10 } });

    // Assert
    await expect(result).rejects.toMatchObject({ name: 'AccessDenied' });
  });
});

describe('entityTag', () => {
  it('quotes the bare ETag an S3 event carries', () => {
    expect(entityTag('b1946ac92492d2347c6235b4d2611184')).toBe('"b1946ac92492d2347c6235b4d2611184"');
  });

  it('quotes the ETag of a multipart upload as it is, part count included', () => {
    expect(entityTag('3858f62230ac3c915f300c664312c11f-9')).toBe('"3858f62230ac3c915f300c664312c11f-9"');
  });

  it('does not quote an ETag that is already quoted a second time', () => {
    expect(entityTag('"b1946ac92492d2347c6235b4d2611184"')).toBe('"b1946ac92492d2347c6235b4d2611184"');
  });
});

/** A client error as the SDK throws it for an S3 answer with `status` and the error code `name`. */
function s3ClientError(name: string, status: number, message: string): S3ServiceException {
  return new S3ServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: status }, message });
}

function preconditionFailed(): S3ServiceException {
  return s3ClientError('PreconditionFailed', 412, 'At least one of the pre-conditions you specified did not hold');
}
