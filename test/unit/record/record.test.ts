import {
  claimRefusal,
  claimUpdate,
  completeUpdate,
  type ConditionalUpdate,
  errorFromCatch,
  executionNameOf,
  failureUpdate,
  isUploaderFault,
  REDRIVABLE_CODES,
  redriveUpdate,
  settleClaimUpdate,
  strandedClaimError,
  TERMINAL_CONDITION,
} from '../../../functions/record/record';
import { CLAIM_SHARDS, claimShardOf, type ModerateResult } from '../../../functions/shared/media';
import { APPROVED, DERIVED, LABELS, MEDIA_ID, REJECTED, SEQ, THUMBNAIL, UPLOAD } from './fixtures';

const NOW = '2026-11-28T17:20:15.000Z';

/** The terminal write of alice's upload, processed into THUMBNAIL and LABELS with this verdict. */
const complete = (moderation: ModerateResult): ReturnType<typeof completeUpdate> =>
  completeUpdate(MEDIA_ID, 'alice', UPLOAD, { thumbnail: THUMBNAIL, labels: LABELS, moderation }, NOW);

/** The `#name` or `:value` placeholders an update's expressions use, sorted. */
const placeholdersIn = (update: ConditionalUpdate, sigil: '#' | ':'): string[] => {
  const text = `${update.UpdateExpression} ${update.ConditionExpression}`;
  return [...new Set(text.match(sigil === '#' ? /#\w+/g : /:\w+/g))].sort();
};

describe('claimUpdate', () => {
  it("claims only the owner's PENDING record, that is an upload ticket the API issued and nobody used", () => {
    // Act
    const update = claimUpdate(MEDIA_ID, 'alice', UPLOAD, NOW);

    // Assert
    expect(update.ConditionExpression).toBe(
      '#status = :pending AND #ownerId = :ownerId AND ' +
        '(attribute_not_exists(#uploadExpiresAt) OR #uploadExpiresAt >= :endedBefore)',
    );
    expect(update.ExpressionAttributeValues).toMatchObject({ ':pending': 'PENDING', ':ownerId': 'alice', ':seq': SEQ });
  });

  it('takes a ticket only for an upload S3 stored before the ticket ended (form expiry + 15 min)', () => {
    // Act
    const update = claimUpdate(MEDIA_ID, 'alice', { ...UPLOAD, time: '2026-11-28T17:20:11Z' }, NOW);

    // Assert: the ticket's form must expire no earlier than 15 minutes before the upload
    expect(update.ExpressionAttributeValues[':endedBefore']).toBe('2026-11-28T17:05:11.000Z');
  });

  it('without the upload time, takes only a ticket that never expires', () => {
    // Act
    const update = claimUpdate(MEDIA_ID, 'alice', { ...UPLOAD, time: undefined }, NOW);

    // Assert
    expect(update.ConditionExpression).toBe(
      '#status = :pending AND #ownerId = :ownerId AND attribute_not_exists(#uploadExpiresAt)',
    );
  });

  it('sets PROCESSING, owner, sequencer, etag and original key, and keeps the first createdAt', () => {
    // Act
    const update = claimUpdate(MEDIA_ID, 'alice', UPLOAD, NOW);

    // Assert
    expect(update.Key).toEqual({ mediaId: MEDIA_ID });
    expect(update.UpdateExpression).toContain('#createdAt = if_not_exists(#createdAt, :now)');
    expect(update.ExpressionAttributeValues).toEqual({
      ':pending': 'PENDING',
      ':processing': 'PROCESSING',
      ':ownerId': 'alice',
      ':seq': SEQ,
      ':etag': UPLOAD.etag,
      ':original': { key: UPLOAD.key, bytes: 184320 },
      ':claimedBy': null,
      ':claimShard': claimShardOf(MEDIA_ID),
      ':now': NOW,
      ':endedBefore': '2026-11-28T17:05:11.000Z',
    });
  });

  it("puts the claim into the held-claim index, dated now, in the media's own shard", () => {
    // Act
    const update = claimUpdate(MEDIA_ID, 'alice', UPLOAD, NOW);

    // Assert
    expect(update.UpdateExpression).toContain('#claimShard = :claimShard, #claimedAt = :now');
    expect(update.ExpressionAttributeNames).toMatchObject({ '#claimShard': 'claimShard', '#claimedAt': 'claimedAt' });
    expect(update.ExpressionAttributeValues[':claimShard']).toBe(claimShardOf(MEDIA_ID));
  });

  it('lets the execution that holds the claim take it again, and nobody else with the same sequencer', () => {
    // Arrange
    const executionId = 'arn:aws:states:eu-west-1:111122223333:execution:MediaPipeline:run-1';

    // Act
    const update = claimUpdate(MEDIA_ID, 'alice', UPLOAD, NOW, executionId);

    // Assert
    expect(update.ConditionExpression).toBe(
      '(#status = :pending AND #ownerId = :ownerId AND ' +
        '(attribute_not_exists(#uploadExpiresAt) OR #uploadExpiresAt >= :endedBefore)) OR ' +
        '(#status = :processing AND #sourceSequencer = :seq AND #claimedBy = :claimedBy) OR ' +
        '(#status = :failed AND #sourceSequencer = :seq AND #redriveBy = :executionName)',
    );
    expect(update.ExpressionAttributeValues[':claimedBy']).toBe(executionId);
    expect(update.ExpressionAttributeValues[':executionName']).toBe('run-1');
    expect(update.UpdateExpression).toContain('#claimedBy = :claimedBy');
  });

  it("clears the previous version's results so a new upload starts clean", () => {
    // Act
    const update = claimUpdate(MEDIA_ID, 'alice', UPLOAD, NOW);

    // Assert
    expect(update.UpdateExpression).toMatch(
      /REMOVE #renditions, #labels, #moderation, #error, #derivedKeys, #redriveBy, #removeAt$/,
    );
  });

  it('declares a name for every placeholder it uses', () => {
    // Act
    const update = claimUpdate(MEDIA_ID, 'alice', UPLOAD, NOW);

    // Assert
    expect(Object.keys(update.ExpressionAttributeNames).sort()).toEqual(placeholdersIn(update, '#'));
  });
});

describe('isUploaderFault', () => {
  it.each([
    ['CorruptImageError', true],
    ['UnsupportedMediaError', true],
    ['UploadMissingError', true],
    ['DetectorThrottledError', false],
    ['Lambda.TooManyRequestsException', false],
    [undefined, false],
  ])('reads %s from the Catch result as the ASL does: %s', (name, expected) => {
    expect(isUploaderFault(name === undefined ? {} : { Error: name })).toBe(expected);
  });
});

describe('claimRefusal', () => {
  it('calls the same version a duplicate', () => {
    expect(claimRefusal({ status: 'READY', sourceSequencer: SEQ }, UPLOAD)).toBe('duplicate');
  });

  it.each([
    [
      'a newer stored version superseded, however the sequencers are padded',
      '0000000000000000617F08299329D190',
      'superseded',
    ],
    ['a newer upload on a ticket that was already processed reused', '0000000000000000617F08299329D188', 'reused'],
  ])('calls %s', (_case, storedSequencer, refusal) => {
    const newerUpload = { ...UPLOAD, sequencer: '617f08299329d189' };

    expect(claimRefusal({ status: 'READY', sourceSequencer: storedSequencer }, newerUpload)).toBe(refusal);
  });

  it.each([
    ['no record at all', undefined],
    ["another owner's PENDING record", { status: 'PENDING' }],
    ['a PENDING record its owner is deleting', { status: 'DELETING' }],
    ['a processed record its owner is deleting, same version', { status: 'DELETING', sourceSequencer: SEQ }],
    [
      'a processed record its owner is deleting, a replayed upload form',
      { status: 'DELETING', sourceSequencer: '0000000000000000617F08299329D188' },
    ],
  ])('calls an upload with %s unissued', (_case, stored) => {
    expect(claimRefusal(stored, UPLOAD)).toBe('unissued');
  });
});

describe('completeUpdate', () => {
  it('writes READY with original, renditions, labels and moderation', () => {
    // Act
    const update = complete(APPROVED);

    // Assert
    expect(update.status).toBe('READY');
    expect(update.ExpressionAttributeValues).toMatchObject({
      ':status': 'READY',
      ':original': THUMBNAIL.original,
      ':renditions': THUMBNAIL.renditions,
      ':labels': LABELS.labels,
      ':moderation': APPROVED,
    });
    expect(update.UpdateExpression).toContain('#renditions = :renditions');
  });

  it('writes only while the record is this version and PROCESSING', () => {
    // Act
    const update = complete(APPROVED);

    // Assert
    expect(update.ConditionExpression).toBe('#sourceSequencer = :seq AND #status = :processing');
    expect(update.ExpressionAttributeValues).toMatchObject({ ':seq': SEQ, ':processing': 'PROCESSING' });
  });

  it('writes REJECTED without any rendition key the API could serve', () => {
    // Act
    const update = complete(REJECTED);

    // Assert
    expect(update.status).toBe('REJECTED');
    expect(update.ExpressionAttributeValues[':renditions']).toBeUndefined();
    expect(update.UpdateExpression).toMatch(/REMOVE .*#renditions/);
    expect(update.ExpressionAttributeValues[':moderation']).toEqual(REJECTED);
  });

  it('points the original of REJECTED media at its quarantine key, never at uploads/', () => {
    // Act
    const rejected = complete(REJECTED);
    const ready = complete(APPROVED);

    // Assert
    expect(rejected.ExpressionAttributeValues[':original']).toEqual({
      ...THUMBNAIL.original,
      key: `quarantine/alice/${MEDIA_ID}`,
    });
    expect(ready.ExpressionAttributeValues[':original']).toEqual(THUMBNAIL.original);
  });

  it('keeps the keys of every derived object so they can be deleted later', () => {
    // Act
    const update = complete(REJECTED);

    // Assert
    expect(update.ExpressionAttributeValues[':derivedKeys']).toEqual([
      `${DERIVED}small.webp`,
      `${DERIVED}small.jpg`,
      `${DERIVED}analysis.jpg`,
    ]);
  });

  it('declares a name for every placeholder it uses, and no other', () => {
    // Act
    const update = complete(APPROVED);

    // Assert
    expect(Object.keys(update.ExpressionAttributeNames).sort()).toEqual(placeholdersIn(update, '#'));
  });
});

describe('failureUpdate', () => {
  const EXECUTION = 'arn:aws:states:eu-west-1:111122223333:execution:media-pipeline:run-1';

  it("points the original of a bad upload at the failed/ key it is moved to, and keeps a pipeline fault's where it is", () => {
    // Act
    const bad = failureUpdate(
      MEDIA_ID,
      'alice',
      UPLOAD,
      { code: 'CORRUPT_IMAGE', message: 'bad' },
      NOW,
      EXECUTION,
      `failed/alice/${MEDIA_ID}`,
    );
    const fault = failureUpdate(MEDIA_ID, 'alice', UPLOAD, { code: 'PIPELINE_ERROR', message: 'x' }, NOW, EXECUTION);

    // Assert
    expect(bad.UpdateExpression).toContain('#original = :original');
    expect(bad.ExpressionAttributeValues[':original']).toEqual({ key: `failed/alice/${MEDIA_ID}`, bytes: UPLOAD.size });
    expect(fault.UpdateExpression).toContain('#original = if_not_exists(#original, :original)');
    expect(fault.ExpressionAttributeValues[':original']).toEqual({ key: UPLOAD.key, bytes: UPLOAD.size });
  });

  it("writes FAILED for the execution that holds the claim of this version, or on the owner's unclaimed ticket", () => {
    // Act
    const update = failureUpdate(MEDIA_ID, 'alice', UPLOAD, { code: 'CORRUPT_IMAGE', message: 'bad' }, NOW, EXECUTION);

    // Assert
    expect(update.ConditionExpression).toBe(
      `(${TERMINAL_CONDITION} AND #claimedBy = :claimedBy) OR (#status = :pending AND #ownerId = :ownerId)`,
    );
    expect(update.ExpressionAttributeValues).toEqual({
      ':failed': 'FAILED',
      ':error': { code: 'CORRUPT_IMAGE', message: 'bad' },
      ':now': NOW,
      ':seq': SEQ,
      ':etag': UPLOAD.etag,
      ':original': { key: UPLOAD.key, bytes: UPLOAD.size },
      ':processing': 'PROCESSING',
      ':pending': 'PENDING',
      ':ownerId': 'alice',
      ':claimedBy': EXECUTION,
    });
  });

  it('stores the version it failed, so a run that failed before its claim can be re-driven', () => {
    // Act
    const update = failureUpdate(MEDIA_ID, 'alice', UPLOAD, { code: 'LAMBDA_THROTTLED', message: 'busy' }, NOW);

    // Assert
    expect(update.UpdateExpression).toContain('#sourceSequencer = :seq');
    expect(update.UpdateExpression).toContain('#sourceEtag = :etag');
    expect(update.UpdateExpression).toContain('#original = if_not_exists(#original, :original)');
    expect(update.ConditionExpression).toBe(`(${TERMINAL_CONDITION}) OR (#status = :pending AND #ownerId = :ownerId)`);
  });

  it.each([undefined, EXECUTION])('names exactly the attributes it uses (execution %s)', (executionId) => {
    // Act
    const update = failureUpdate(MEDIA_ID, 'alice', UPLOAD, { code: 'X', message: 'x' }, NOW, executionId);

    // Assert
    expect(Object.keys(update.ExpressionAttributeNames).sort()).toEqual(placeholdersIn(update, '#'));
    expect(Object.keys(update.ExpressionAttributeValues).sort()).toEqual(placeholdersIn(update, ':'));
  });
});

describe('errorFromCatch', () => {
  const lambdaCause = (errorType: string, errorMessage: string): string =>
    JSON.stringify({
      errorType,
      errorMessage,
      trace: [`${errorType}: ${errorMessage}`, '    at createRenditions (/var/task/index.js:1:2)'],
    });
  /** What the Catch hands on when a Lambda task throws `errorType`. */
  const caughtFromLambda = (errorType: string, errorMessage: string): ReturnType<typeof errorFromCatch> =>
    errorFromCatch({ Error: errorType, Cause: lambdaCause(errorType, errorMessage) });

  it("keeps a domain error's code and its message about the upload", () => {
    // Act
    const error = caughtFromLambda(
      'UnsupportedMediaError',
      'Unsupported media: found text; expected JPEG, PNG or WebP',
    );

    // Assert
    expect(error).toEqual({
      code: 'UNSUPPORTED_MEDIA',
      message: 'Unsupported media: found text; expected JPEG, PNG or WebP',
    });
  });

  it.each([
    ['CorruptImageError', 'CORRUPT_IMAGE'],
    ['ImageTooLargeError', 'IMAGE_TOO_LARGE'],
    ['InvalidUploadKeyError', 'INVALID_UPLOAD_KEY'],
    ['UploadChangedError', 'UPLOAD_CHANGED'],
    ['UploadMissingError', 'UPLOAD_MISSING'],
    ['DetectorThrottledError', 'DETECTOR_THROTTLED'],
    ['DetectorRefusedImageError', 'DETECTOR_REFUSED_IMAGE'],
    ['StoreThrottledError', 'STORE_THROTTLED'],
    ['MalformedEventError', 'MALFORMED_EVENT'],
  ])('maps %s to %s', (name, code) => {
    expect(caughtFromLambda(name, 'x').code).toBe(code);
  });

  it.each([
    ['UploadChangedError', 'UPLOAD_CHANGED', 'The upload was replaced by another file before it could be processed'],
    ['UploadMissingError', 'UPLOAD_MISSING', 'The upload was deleted before it could be processed'],
  ])('shows the user the message of %s, which is about their upload', (name, code, message) => {
    // Act
    const error = caughtFromLambda(name, message);

    // Assert
    expect(error).toEqual({ code, message });
  });

  it.each([
    ['UploadChangedError', 'UPLOAD_CHANGED', /replaced/],
    ['UploadMissingError', 'UPLOAD_MISSING', /deleted/],
  ])('has a default message for %s when its Cause cannot be read', (name, code, message) => {
    // Act
    const error = errorFromCatch({ Error: name, Cause: 'not json {' });

    // Assert
    expect(error.code).toBe(code);
    expect(error.message).toMatch(message);
  });

  it('never stores the stack trace', () => {
    // Act
    const error = caughtFromLambda(
      'CorruptImageError',
      'Image cannot be decoded: VipsJpeg: premature end of JPEG image',
    );

    // Assert
    expect(JSON.stringify(error)).not.toMatch(/at createRenditions|\/var\/task|trace/);
  });

  it('hides the internal message of an unexpected error behind PIPELINE_ERROR', () => {
    // Act
    const error = caughtFromLambda('TypeError', "Cannot read properties of undefined (reading 'key')");

    // Assert
    expect(error).toEqual({
      code: 'PIPELINE_ERROR',
      message: 'The media could not be processed because of an internal error.',
    });
  });

  it('maps a Lambda service error to PIPELINE_ERROR', () => {
    expect(errorFromCatch({ Error: 'Lambda.ServiceException', Cause: 'Rate exceeded' }).code).toBe('PIPELINE_ERROR');
  });

  it('maps States.Timeout, whose Cause is not JSON, to PIPELINE_TIMEOUT with a readable message', () => {
    // Act
    const error = errorFromCatch({ Error: 'States.Timeout', Cause: 'Task timed out after 60.00 seconds' });

    // Assert
    expect(error).toEqual({ code: 'PIPELINE_TIMEOUT', message: 'Processing took too long and was stopped.' });
  });

  it('falls back to the default message of a domain error whose Cause is not JSON', () => {
    // Act
    const error = errorFromCatch({ Error: 'CorruptImageError', Cause: 'not json {' });

    // Assert
    expect(error).toEqual({ code: 'CORRUPT_IMAGE', message: 'The image is damaged or incomplete and cannot be read.' });
  });

  it('falls back gracefully when Cause is JSON but not an object', () => {
    expect(errorFromCatch({ Error: 'ImageTooLargeError', Cause: '"just a string"' })).toEqual({
      code: 'IMAGE_TOO_LARGE',
      message: 'The image is too large to process.',
    });
  });

  it('reads the error type from Cause when Error is missing', () => {
    expect(errorFromCatch({ Cause: lambdaCause('CorruptImageError', 'broken') })).toEqual({
      code: 'CORRUPT_IMAGE',
      message: 'broken',
    });
  });

  it('records PIPELINE_ERROR for an empty catch result', () => {
    expect(errorFromCatch({}).code).toBe('PIPELINE_ERROR');
  });

  it('keeps only the first line of a message and caps its length', () => {
    // Act
    const error = caughtFromLambda('CorruptImageError', `${'x'.repeat(400)}\nsecond line`);

    // Assert
    expect(error.message).toHaveLength(300);
    expect(error.message).not.toContain('second line');
  });
});

describe('re-drive', () => {
  it('marks only media that failed for a transient reason, for the one execution named', () => {
    // Act
    const update = redriveUpdate(MEDIA_ID, 'redrive-1', NOW);

    // Assert
    expect(update.ConditionExpression).toBe(
      '#status = :failed AND #error.#code IN (:code0, :code1, :code2, :code3, :code4, :code5)',
    );
    expect(
      Object.entries(update.ExpressionAttributeValues)
        .filter(([name]) => name.startsWith(':code'))
        .map(([, code]) => code),
    ).toEqual([...REDRIVABLE_CODES]);
    expect(update.ExpressionAttributeValues[':executionName']).toBe('redrive-1');
    expect(REDRIVABLE_CODES).not.toContain('CORRUPT_IMAGE');
  });

  it('declares a name for every placeholder it uses', () => {
    const update = redriveUpdate(MEDIA_ID, 'redrive-1', NOW);

    expect(Object.keys(update.ExpressionAttributeNames).sort()).toEqual(placeholdersIn(update, '#'));
  });

  it('reads the execution name from Standard and Express execution ARNs', () => {
    expect(executionNameOf('arn:aws:states:eu-west-1:111122223333:execution:MediaPipeline:redrive-1')).toBe(
      'redrive-1',
    );
    expect(
      executionNameOf(
        'arn:aws:states:eu-west-1:111122223333:express:MediaPipeline:redrive-2:6b1f2c7e-1111-4c2a-9d3e-0a1b2c3d4e5f',
      ),
    ).toBe('redrive-2');
  });

  it('stores Lambda throttling that outlasted the retries as LAMBDA_THROTTLED, which may be re-driven', () => {
    const error = errorFromCatch({ Error: 'Lambda.TooManyRequestsException', Cause: 'Rate Exceeded.' });

    expect(error.code).toBe('LAMBDA_THROTTLED');
    expect(REDRIVABLE_CODES).toContain(error.code);
  });
});

describe('the held-claim index', () => {
  const EXECUTION = 'arn:aws:states:eu-west-1:111122223333:execution:MediaPipeline:run-1';
  const FAILED_ERROR = { Error: 'States.TaskFailed', Cause: 'boom' };

  it.each([
    ['RecordResult (READY)', () => complete(APPROVED)],
    ['RecordResult (REJECTED)', () => complete(REJECTED)],
    ['RecordFailure', () => failureUpdate(MEDIA_ID, 'alice', UPLOAD, errorFromCatch(FAILED_ERROR), NOW, EXECUTION)],
    ['the watcher', () => settleClaimUpdate(MEDIA_ID, EXECUTION, strandedClaimError(), NOW)],
    [
      'the sweeper',
      () => settleClaimUpdate(MEDIA_ID, { claimedBy: EXECUTION, claimedAt: NOW }, strandedClaimError(), NOW),
    ],
  ])('%s takes the settled media out of it', (_writer, build) => {
    // Act
    const update = build();

    // Assert
    expect(update.UpdateExpression).toMatch(/REMOVE .*#claimShard, #claimedAt/);
    expect(update.ExpressionAttributeNames).toMatchObject({ '#claimShard': 'claimShard', '#claimedAt': 'claimedAt' });
  });

  it('keeps the conditions of the terminal writes as they were', () => {
    // Act
    const ready = complete(APPROVED);
    const failure = failureUpdate(MEDIA_ID, 'alice', UPLOAD, errorFromCatch(FAILED_ERROR), NOW, EXECUTION);

    // Assert
    expect(ready.ConditionExpression).toBe(TERMINAL_CONDITION);
    expect(failure.ConditionExpression).toBe(
      `(${TERMINAL_CONDITION} AND #claimedBy = :claimedBy) OR (#status = :pending AND #ownerId = :ownerId)`,
    );
  });

  it('settles for the watcher only while the execution holds the claim, and for the sweeper only that very claim', () => {
    // Act
    const watcher = settleClaimUpdate(MEDIA_ID, EXECUTION, strandedClaimError(), NOW);
    const sweeper = settleClaimUpdate(
      MEDIA_ID,
      { claimedBy: EXECUTION, claimedAt: '2026-11-28T10:00:00.000Z' },
      strandedClaimError(),
      NOW,
    );
    const withoutExecution = settleClaimUpdate(
      MEDIA_ID,
      { claimedBy: null, claimedAt: '2026-11-28T10:00:00.000Z' },
      strandedClaimError(),
      NOW,
    );

    // Assert
    expect(watcher.ConditionExpression).toBe('#status = :processing AND #claimedBy = :claimedBy');
    expect(sweeper.ConditionExpression).toBe(
      '#status = :processing AND #claimedBy = :claimedBy AND #claimedAt = :claimedAt',
    );
    expect(sweeper.ExpressionAttributeValues).toMatchObject({
      ':claimedBy': EXECUTION,
      ':claimedAt': '2026-11-28T10:00:00.000Z',
    });
    expect(withoutExecution.ConditionExpression).toBe(
      '#status = :processing AND attribute_type(#claimedBy, :nullType) AND #claimedAt = :claimedAt',
    );
  });

  it.each([
    ['watcher', () => settleClaimUpdate(MEDIA_ID, EXECUTION, strandedClaimError(), NOW)],
    ['sweeper', () => settleClaimUpdate(MEDIA_ID, { claimedBy: null, claimedAt: NOW }, strandedClaimError(), NOW)],
  ])('the %s write declares every name and value it uses, and nothing more', (_who, build) => {
    // Act
    const update = build();

    // Assert
    expect(Object.keys(update.ExpressionAttributeNames).sort()).toEqual(placeholdersIn(update, '#'));
    expect(Object.keys(update.ExpressionAttributeValues).sort()).toEqual(placeholdersIn(update, ':'));
  });

  it('settles a stranded claim FAILED PIPELINE_STRANDED, which may be re-driven', () => {
    // Act
    const error = strandedClaimError();

    // Assert
    expect(error.code).toBe('PIPELINE_STRANDED');
    expect(error.message).toMatch(/without a new upload/);
    expect(REDRIVABLE_CODES).toContain(error.code);
  });

  it('spreads media over every shard, the same shard for every claim of one media', () => {
    // Arrange
    const ids = Array.from({ length: 200 }, (_, i) => `01JDX3ZK2Q4V5W6X7Y8Z9A${String(i).padStart(4, '0')}`);

    // Act
    const shards = ids.map(claimShardOf);

    // Assert
    expect(new Set(shards)).toEqual(new Set(Array.from({ length: CLAIM_SHARDS }, (_, i) => i)));
    expect(ids.map(claimShardOf)).toEqual(shards);
  });
});
