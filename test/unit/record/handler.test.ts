import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  ProvisionedThroughputExceededException,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { createHandler } from '../../../functions/record/handler';
import type { ModerateResult } from '../../../functions/shared/media';
import { APPROVED, LABELS, MEDIA_ID, REJECTED, SEQ, THUMBNAIL, UPLOAD } from './fixtures';

const documentsMock = mockClient(DynamoDBDocumentClient);
const TABLE = 'MediaTable';
const NOW = new Date('2026-11-28T17:20:15.000Z');

const handler = createHandler({
  documents: DynamoDBDocumentClient.from(new DynamoDBClient({})),
  mediaTableName: TABLE,
  now: () => NOW,
});

function conditionFailed(item?: Record<string, unknown>): ConditionalCheckFailedException {
  return new ConditionalCheckFailedException({
    message: 'The conditional request failed',
    $metadata: {},
    ...(item === undefined ? {} : { Item: item as ConditionalCheckFailedException['Item'] }),
  });
}

function sentUpdate() {
  const calls = documentsMock.commandCalls(UpdateCommand);
  expect(calls).toHaveLength(1);
  const input = calls[0]?.args[0].input;
  if (input === undefined) throw new Error('no UpdateCommand sent');
  return input;
}

beforeEach(() => {
  documentsMock.reset();
  documentsMock.on(UpdateCommand).resolves({});
});

describe('record handler: processing', () => {
  it('claims the record with one conditional UpdateItem on the media table', async () => {
    // Act
    await handler({ action: 'processing', upload: UPLOAD });

    // Assert
    expect(sentUpdate()).toMatchObject({
      TableName: TABLE,
      Key: { mediaId: MEDIA_ID },
      ConditionExpression: expect.stringMatching(/^#status = :pending AND #ownerId = :ownerId AND /),
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      ExpressionAttributeValues: expect.objectContaining({
        ':processing': 'PROCESSING',
        ':ownerId': 'alice',
        ':seq': SEQ,
        ':etag': UPLOAD.etag,
        ':now': NOW.toISOString(),
      }),
    });
  });

  it('proceeds when the claim succeeds', async () => {
    // Act
    const result = await handler({ action: 'processing', upload: UPLOAD });

    // Assert
    expect(result).toEqual({ proceed: true, mediaId: MEDIA_ID });
  });

  it('stops a duplicate delivery of the same object version', async () => {
    // Arrange
    documentsMock
      .on(UpdateCommand)
      .rejects(conditionFailed({ mediaId: { S: MEDIA_ID }, status: { S: 'PROCESSING' }, sourceSequencer: { S: SEQ } }));

    // Act
    const result = await handler({ action: 'processing', upload: UPLOAD });

    // Assert
    expect(result).toEqual({ proceed: false, reason: 'duplicate', mediaId: MEDIA_ID });
  });

  it('stops a run superseded by a newer upload of the same key', async () => {
    // Arrange
    documentsMock.on(UpdateCommand).rejects(
      conditionFailed({
        mediaId: { S: MEDIA_ID },
        status: { S: 'READY' },
        sourceSequencer: { S: '0000000000000000617F0829FFFFFFFF' },
      }),
    );

    // Act
    const result = await handler({ action: 'processing', upload: UPLOAD });

    // Assert
    expect(result).toEqual({ proceed: false, reason: 'superseded', mediaId: MEDIA_ID });
  });

  it('refuses an upload no ticket was issued for (no record to claim)', async () => {
    // Arrange
    documentsMock.on(UpdateCommand).rejects(conditionFailed());

    // Act
    const result = await handler({ action: 'processing', upload: UPLOAD });

    // Assert
    expect(result).toEqual({ proceed: false, reason: 'unissued', mediaId: MEDIA_ID });
  });

  it('refuses a key that names no media, for the state machine to end the run', async () => {
    // Act
    const result = handler({ action: 'processing', upload: { ...UPLOAD, key: 'uploads/alice' } });

    // Assert
    await expect(result).rejects.toMatchObject({ name: 'InvalidUploadKeyError' });
    expect(documentsMock).toHaveReceivedCommandTimes(UpdateCommand, 0);
  });
});

describe('record handler: complete', () => {
  /** The RecordResult step's call for UPLOAD, processed into THUMBNAIL and LABELS, with this verdict. */
  const complete = (moderation: ModerateResult): ReturnType<typeof handler> =>
    handler({ action: 'complete', upload: UPLOAD, thumbnail: THUMBNAIL, labels: LABELS, moderation });

  it('writes READY once, conditional on this version still PROCESSING', async () => {
    // Act
    const result = await complete(APPROVED);

    // Assert
    expect(result).toEqual({ written: true, mediaId: MEDIA_ID, status: 'READY' });
    expect(sentUpdate()).toMatchObject({
      TableName: TABLE,
      Key: { mediaId: MEDIA_ID },
      ConditionExpression: '#sourceSequencer = :seq AND #status = :processing',
      ExpressionAttributeValues: expect.objectContaining({
        ':status': 'READY',
        ':seq': SEQ,
        ':processing': 'PROCESSING',
        ':renditions': THUMBNAIL.renditions,
        ':labels': LABELS.labels,
        ':moderation': APPROVED,
      }),
    });
  });

  it('writes REJECTED without renditions when moderation rejects', async () => {
    // Act
    const result = await complete(REJECTED);

    // Assert
    expect(result).toEqual({ written: true, mediaId: MEDIA_ID, status: 'REJECTED' });
    const input = sentUpdate();
    expect(input.ExpressionAttributeValues?.[':status']).toBe('REJECTED');
    expect(input.ExpressionAttributeValues).not.toHaveProperty(':renditions');
  });

  it('writes nothing and says so when a newer upload owns the record', async () => {
    // Arrange
    documentsMock.on(UpdateCommand).rejects(conditionFailed());

    // Act
    const result = await complete(APPROVED);

    // Assert
    expect(result).toEqual({ written: false, mediaId: MEDIA_ID, status: 'READY' });
  });

  it('refuses a complete command without the moderation result', async () => {
    // Act
    const result = handler({ action: 'complete', upload: UPLOAD, thumbnail: THUMBNAIL, labels: LABELS });

    // Assert
    await expect(result).rejects.toMatchObject({
      name: 'MalformedEventError',
      message: expect.stringContaining('moderation'),
    });
  });
});

describe('record handler: failure', () => {
  const cause = JSON.stringify({
    errorType: 'CorruptImageError',
    errorMessage: 'Image cannot be decoded: VipsJpeg: premature end of JPEG image',
    trace: ['CorruptImageError: Image cannot be decoded', '    at decode (/var/task/index.js:10:5)'],
  });

  it('writes FAILED with the code and message from the caught error, conditional on this version', async () => {
    // Act
    const result = await handler({
      action: 'failure',
      upload: UPLOAD,
      error: { Error: 'CorruptImageError', Cause: cause },
    });

    // Assert
    expect(result).toEqual({ written: true, mediaId: MEDIA_ID, status: 'FAILED' });
    expect(sentUpdate()).toMatchObject({
      ConditionExpression:
        '(#sourceSequencer = :seq AND #status = :processing) OR (#status = :pending AND #ownerId = :ownerId)',
      ExpressionAttributeValues: expect.objectContaining({
        ':failed': 'FAILED',
        ':error': { code: 'CORRUPT_IMAGE', message: 'Image cannot be decoded: VipsJpeg: premature end of JPEG image' },
      }),
    });
  });

  it("conditions the write on the execution's own claim when the state machine names it", async () => {
    // Arrange
    const executionId = 'arn:aws:states:eu-west-1:111122223333:execution:media-pipeline:run-1';

    // Act
    await handler({ action: 'failure', upload: UPLOAD, executionId, error: { Error: 'States.Timeout' } });

    // Assert
    expect(sentUpdate()).toMatchObject({
      ConditionExpression: expect.stringContaining('#claimedBy = :claimedBy'),
      ExpressionAttributeValues: expect.objectContaining({ ':claimedBy': executionId }),
    });
  });

  it('does not store the stack trace', async () => {
    // Act
    await handler({ action: 'failure', upload: UPLOAD, error: { Error: 'CorruptImageError', Cause: cause } });

    // Assert
    expect(JSON.stringify(sentUpdate())).not.toContain('/var/task');
  });

  it('records a timeout whose Cause is plain text', async () => {
    // Act
    await handler({ action: 'failure', upload: UPLOAD, error: { Error: 'States.Timeout', Cause: 'Task timed out' } });

    // Assert
    expect(sentUpdate().ExpressionAttributeValues?.[':error']).toEqual({
      code: 'PIPELINE_TIMEOUT',
      message: 'Processing took too long and was stopped.',
    });
  });

  it('writes nothing for a stale run and returns written:false instead of failing', async () => {
    // Arrange
    documentsMock.on(UpdateCommand).rejects(conditionFailed({ status: { S: 'READY' } }));

    // Act
    const result = await handler({ action: 'failure', upload: UPLOAD, error: { Error: 'States.Timeout' } });

    // Assert
    expect(result).toEqual({ written: false, mediaId: MEDIA_ID, status: 'FAILED' });
  });
});

describe('record handler: DynamoDB errors', () => {
  it.each([
    [
      'ProvisionedThroughputExceededException',
      new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} }),
    ],
    ['ThrottlingException', Object.assign(new Error('slow down'), { name: 'ThrottlingException' })],
    ['RequestLimitExceeded', Object.assign(new Error('slow down'), { name: 'RequestLimitExceeded' })],
  ])('turns %s into StoreThrottledError, which the state machine retries', async (_name, exception) => {
    // Arrange
    documentsMock.on(UpdateCommand).rejects(exception);

    // Act
    const result = handler({ action: 'processing', upload: UPLOAD });

    // Assert
    await expect(result).rejects.toMatchObject({ name: 'StoreThrottledError', code: 'STORE_THROTTLED' });
  });

  it('lets any other DynamoDB error through unchanged', async () => {
    // Arrange
    documentsMock
      .on(UpdateCommand)
      .rejects(Object.assign(new Error('no table'), { name: 'ResourceNotFoundException' }));

    // Act
    const result = handler({ action: 'failure', upload: UPLOAD, error: {} });

    // Assert
    await expect(result).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it('refuses an unknown action', async () => {
    // Act
    const result = handler({ action: 'archive', upload: UPLOAD });

    // Assert
    await expect(result).rejects.toMatchObject({
      name: 'MalformedEventError',
      message: expect.stringContaining('action'),
    });
  });
});
