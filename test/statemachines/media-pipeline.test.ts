import '../../local/polyfills';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DetectLabelsCommand,
  DetectModerationLabelsCommand,
  RekognitionClient,
  ThrottlingException,
  AccessDeniedException,
  InvalidS3ObjectException,
} from '@aws-sdk/client-rekognition';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createHandler as createLabelsHandler } from '../../functions/labels/handler';
import { createHandler as createModerationHandler } from '../../functions/moderation/handler';
import { createHandler as createRecordHandler } from '../../functions/record/handler';
import { createHandler as createTakedownHandler } from '../../functions/takedown/handler';
import { RekognitionLabelDetector, RekognitionModerationDetector } from '../../functions/shared/rekognition-detectors';
import type { MediaRecord } from '../../functions/shared/media';
import { createHandler as createThumbnailHandler } from '../../functions/thumbnail/handler';
import { applyInputTransformer, loadInputTransformer } from '../../infra/definitions/input-transformer';
import { STATE_MACHINE_DEFINITION, UPLOADED_INPUT, UPLOADED_PATTERN } from '../../infra/definitions/pipeline-sources';
import { redriveMedia } from '../../scripts/redrive/redrive';
import { mediaTable } from '../../infra/definitions/tables';
import { ensureTable, startDynamoDbEmulator, type DynamoDbEmulator } from '../../local/emulators/dynamodb';
import { loadDefinition } from '../../local/pipeline/definition';
import type { HistoryEvent } from '../../local/pipeline/history';
import { Pipeline, type FaultPlan } from '../../local/pipeline/pipeline';
import { RunLog, type RunRecord } from '../../local/pipeline/runs';
import { putUploadTicket } from '../fixtures/dynamodb';
import { jpegWithOrientationAndGps, textFile, truncatedJpeg } from '../fixtures/images';
import { objectBody } from '../fixtures/s3';

/*
 * The ASL file itself, run by the local twin's own runner (local/pipeline/pipeline.ts: the
 * definition as CDK renders it, aws-local-stepfunctions, every Task served by the real handler
 * through the twin's Lambda adapter, errors as Lambda reports them), so the test and the twin
 * cannot run the workflow two ways. S3 and Rekognition are mocked at the SDK client; DynamoDB is
 * the twin's emulator, so the record function's conditional writes are evaluated for real. One
 * test per workflow path.
 */

const ROOT = path.resolve(__dirname, '../..');
const TABLE = 'media-pipeline-test';
const BUCKET = 'travel-guide-media-dev';
const REGION = 'eu-west-1';
const ACCOUNT = '111122223333';
const sampleEvent = JSON.parse(readFileSync(path.join(ROOT, 'events/samples/object-created.json'), 'utf8')) as {
  detail: {
    bucket: { name: string };
    object: { key: string; size: number; etag: string; 'version-id'?: string; sequencer: string };
  };
};
const MEDIA_ID = '01JDX3ZK2Q4V5W6X7Y8Z9A0B1C';

const s3Mock = mockClient(S3Client);
const rekognitionMock = mockClient(RekognitionClient);

let dynamo: DynamoDbEmulator;
let documents: DynamoDBDocumentClient;
let taskStates: { stateName: string; functionName: string }[];
let definition: Record<string, unknown>;
let objects: Map<string, Buffer>;
/** ETags of the objects in `objects` that have one; GetObject honours If-Match against them, as S3 does. */
let etags: Map<string, string>;
let executions = 0;

type StepHandler = (event: unknown, context?: Context) => Promise<unknown>;

function buildHandlers(): Record<string, StepHandler> {
  return {
    thumbnail: createThumbnailHandler({ s3: new S3Client({ region: REGION }) }),
    labels: createLabelsHandler({
      detector: new RekognitionLabelDetector(new RekognitionClient({ region: REGION })),
    }),
    moderation: createModerationHandler({
      detector: new RekognitionModerationDetector(new RekognitionClient({ region: REGION })),
      settings: { moderationMinConfidence: 80 },
    }),
    record: createRecordHandler({ documents, mediaTableName: TABLE }),
    takedown: createTakedownHandler({ s3: new S3Client({ region: REGION }) }),
  };
}

/**
 * Runs one execution on the twin's runner (local/pipeline/pipeline.ts), as StartExecution does.
 * `faults` throws the named errors, in order, instead of calling the state's handler: the way to
 * make Lambda itself fail (service errors never reach a handler's code); `faultsAfter` throws
 * them after the handler ran, instead of its answer.
 */
async function execute(
  input: unknown,
  faults: Record<string, string[]> = {},
  faultsAfter: Record<string, string[]> = {},
  name = `test-${++executions}`,
): Promise<{ status: RunRecord['executionStatus']; history: HistoryEvent[] }> {
  const handlers = buildHandlers();
  const history: HistoryEvent[] = [];
  const plan: FaultPlan = {};
  for (const [state, names] of Object.entries(faults)) plan[state] = names.map((fault) => ({ name: fault }));
  for (const [state, names] of Object.entries(faultsAfter)) {
    (plan[state] ??= []).push(...names.map((fault) => ({ name: fault, afterHandler: true })));
  }
  const pipeline = await Pipeline.create({
    aslPath: STATE_MACHINE_DEFINITION,
    patternPath: UPLOADED_PATTERN,
    inputPath: UPLOADED_INPUT,
    bucketName: BUCKET,
    region: REGION,
    account: ACCOUNT,
    handlerFor(functionName) {
      const handler = handlers[functionName];
      if (handler === undefined) throw new Error(`No handler for ${functionName}`);
      return handler;
    },
    runLog: new RunLog(),
    retryIntervalOverrides: Object.fromEntries(taskStates.map(({ stateName }) => [stateName, 0])),
    faults: plan,
    onHistoryEvent: (_execution, event) => history.push(event),
  });
  const run = await pipeline.startExecution(name, input);
  return { status: run.executionStatus, history };
}

/** The rule target's input transformer: an execution receives the transformed event, never the raw one. */
const uploadedInput = loadInputTransformer(UPLOADED_INPUT);

/** The sample event through the rule; `versionId: null` is an unversioned bucket's event, which names no version. */
function eventFor(overrides: { key?: string; sequencer?: string; versionId?: string | null } = {}): unknown {
  const event = structuredClone(sampleEvent);
  event.detail.bucket.name = BUCKET;
  if (overrides.key !== undefined) event.detail.object.key = overrides.key;
  if (overrides.sequencer !== undefined) event.detail.object.sequencer = overrides.sequencer;
  if (overrides.versionId === null) delete event.detail.object['version-id'];
  else if (overrides.versionId !== undefined) event.detail.object['version-id'] = overrides.versionId;
  return applyInputTransformer(uploadedInput, event);
}

/** Puts the upload in the bucket; by default with the ETag the sample event carries (it is still the current object). */
function serveUpload(bytes: Buffer, etag: string = sampleEvent.detail.object.etag): void {
  objects.set(sampleEvent.detail.object.key, bytes);
  etags.set(sampleEvent.detail.object.key, etag);
}

async function mediaRecord(mediaId = MEDIA_ID): Promise<MediaRecord | undefined> {
  const { Item } = await documents.send(new GetCommand({ TableName: TABLE, Key: { mediaId } }));
  return Item as MediaRecord | undefined;
}

/** Serves the sample upload and has moderation find a label above the rejection threshold in it. */
async function serveUploadModerationRejects(): Promise<void> {
  serveUpload(await jpegWithOrientationAndGps());
  rekognitionMock.on(DetectModerationLabelsCommand).resolves({
    ModerationLabels: [{ Name: 'Graphic Violence', ParentName: 'Violence', Confidence: 93.1 }],
  });
}

/** Serves the sample upload and has Rekognition's `command` reject it with `error`. */
async function serveUploadRekognitionRejects(
  command: typeof DetectLabelsCommand | typeof DetectModerationLabelsCommand,
  error: Error,
): Promise<void> {
  serveUpload(await jpegWithOrientationAndGps());
  rekognitionMock.on(command).rejects(error);
}

/**
 * Executes the sample event to a FAILED record, through RecordFailure and then UploadRejected (a
 * fault of the upload: the run succeeds) or PipelineFailed (a fault of the pipeline: the run fails).
 */
async function executeToFailedRecord(
  fault: 'upload' | 'pipeline',
): Promise<{ run: Awaited<ReturnType<typeof execute>>; record?: MediaRecord }> {
  const run = await execute(eventFor());
  expect(run.status).toBe(fault === 'upload' ? 'SUCCEEDED' : 'FAILED');
  expect(statesEntered(run.history)).toEqual(
    expect.arrayContaining(['RecordFailure', fault === 'upload' ? 'UploadRejected' : 'PipelineFailed']),
  );
  const record = await mediaRecord();
  expect(record?.status).toBe('FAILED');
  return { run, record };
}

function statesEntered(history: HistoryEvent[]): string[] {
  return history.flatMap((entry) => (entry.type === 'StateEntered' && entry.state ? [entry.state.name] : []));
}

/** MaxAttempts of the retrier that handles this error in this state, read from the ASL itself. */
function maxAttempts(stateName: string, error: string): number {
  type State = {
    Retry?: { ErrorEquals: string[]; MaxAttempts?: number }[];
    Branches?: { States: Record<string, State> }[];
  };
  const find = (states: Record<string, State>): State | undefined =>
    states[stateName] ??
    Object.values(states)
      .flatMap((state) => state.Branches ?? [])
      .map((branch) => find(branch.States))
      .find(Boolean);
  const retrier = find(definition.States as Record<string, State>)?.Retry?.find((r) => r.ErrorEquals.includes(error));
  if (retrier === undefined) throw new Error(`${stateName} does not retry ${error}`);
  return retrier.MaxAttempts ?? 3;
}

function retriesOf(history: HistoryEvent[], stateName: string): number {
  return history.filter((entry) => entry.type === 'StateRetried' && entry.state?.name === stateName).length;
}

beforeAll(async () => {
  const loaded = loadDefinition(STATE_MACHINE_DEFINITION, { region: REGION, account: ACCOUNT });
  taskStates = loaded.tasks;
  definition = loaded.definition;
  dynamo = await startDynamoDbEmulator({ port: 0 });
  const client = new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'eu-west-1' });
  await ensureTable(client, TABLE, mediaTable);
  documents = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
});

afterAll(async () => {
  documents.destroy();
  await dynamo.close();
});

beforeEach(async () => {
  objects = new Map();
  etags = new Map();
  s3Mock.reset();
  rekognitionMock.reset();
  s3Mock.on(GetObjectCommand).callsFake((input: { Key: string; IfMatch?: string }) => {
    const bytes = objects.get(input.Key);
    if (bytes === undefined)
      throw new NoSuchKey({ message: 'The specified key does not exist.', $metadata: { httpStatusCode: 404 } });
    const etag = etags.get(input.Key);
    if (input.IfMatch !== undefined && etag !== undefined && input.IfMatch.replace(/"/g, '') !== etag) {
      throw new S3ServiceException({
        name: 'PreconditionFailed',
        $fault: 'client',
        $metadata: { httpStatusCode: 412 },
        message: 'At least one of the pre-conditions you specified did not hold',
      });
    }
    return { Body: objectBody(bytes), ContentLength: bytes.length };
  });
  s3Mock.on(PutObjectCommand).callsFake((input: { Key: string; Body: Buffer }) => {
    objects.set(input.Key, Buffer.from(input.Body));
    return {};
  });
  // What the takedown step calls, on the same in-memory bucket.
  s3Mock.on(ListObjectsV2Command).callsFake((input: { Prefix?: string }) => ({
    Contents: [...objects.keys()]
      .filter((key) => key.startsWith(input.Prefix ?? ''))
      .sort()
      .map((Key) => ({ Key })),
  }));
  s3Mock.on(CopyObjectCommand).callsFake((input: { Key: string; CopySource: string }) => {
    const source = decodeURIComponent(input.CopySource.slice(input.CopySource.indexOf('/') + 1));
    const bytes = objects.get(source);
    if (bytes === undefined)
      throw new NoSuchKey({ $metadata: { httpStatusCode: 404 }, message: 'The specified key does not exist.' });
    objects.set(input.Key, bytes);
    return {};
  });
  s3Mock.on(DeleteObjectCommand).callsFake((input: { Key: string }) => {
    objects.delete(input.Key);
    return {};
  });
  s3Mock.on(DeleteObjectsCommand).callsFake((input: { Delete: { Objects: { Key: string }[] } }) => {
    for (const { Key } of input.Delete.Objects) objects.delete(Key);
    return {};
  });
  rekognitionMock.on(DetectLabelsCommand).resolves({
    Labels: [
      { Name: 'Beach', Confidence: 97.5, Parents: [{ Name: 'Nature' }] },
      { Name: 'Nature', Confidence: 97.5, Parents: [] },
    ],
  });
  rekognitionMock.on(DetectModerationLabelsCommand).resolves({ ModerationLabels: [] });
  await documents.send(new DeleteCommand({ TableName: TABLE, Key: { mediaId: MEDIA_ID } }));
  // The upload ticket: POST /media/uploads writes this PENDING record before it signs the POST.
  await putUploadTicket(documents, TABLE, MEDIA_ID, { createdAt: '2026-11-28T17:20:00.000Z' });
});

describe('media pipeline state machine', () => {
  it('takes a valid JPEG to READY with renditions, labels and an APPROVED verdict', async () => {
    // Arrange
    serveUpload(await jpegWithOrientationAndGps());

    // Act
    const run = await execute(eventFor());

    // Assert
    expect(run.status).toBe('SUCCEEDED');
    const record = await mediaRecord();
    expect(record?.status).toBe('READY');
    expect(record?.ownerId).toBe('alice');
    expect(record?.original).toMatchObject({ contentType: 'image/jpeg', width: 300, height: 400 });
    expect(record?.renditions?.length).toBeGreaterThanOrEqual(4);
    expect(record?.labels).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'Beach', parents: ['Nature'] })]),
    );
    expect(record?.moderation?.verdict).toBe('APPROVED');
    for (const rendition of record?.renditions ?? []) expect(objects.has(rendition.key)).toBe(true);
  });

  it('enters every step of the happy path exactly once', async () => {
    // Arrange
    serveUpload(await jpegWithOrientationAndGps());

    // Act
    const run = await execute(eventFor());

    // Assert
    expect([...statesEntered(run.history)].sort()).toEqual(
      [
        'AnalyseImage',
        'CreateThumbnails',
        'HasVersionId',
        'DescribeVersionedUpload',
        'DetectLabels',
        'IsFirstDelivery',
        'MarkProcessing',
        'Moderate',
        'RecordResult',
        'WasRejected',
        'Recorded',
      ].sort(),
    );
  });

  it('marks media REJECTED when moderation finds a label above the threshold', async () => {
    // Arrange
    await serveUploadModerationRejects();

    // Act
    const run = await execute(eventFor());

    // Assert
    expect(run.status).toBe('SUCCEEDED');
    const record = await mediaRecord();
    expect(record?.status).toBe('REJECTED');
    expect(record?.moderation).toEqual({
      verdict: 'REJECTED',
      labels: [{ name: 'Graphic Violence', parentName: 'Violence', confidence: 93.1 }],
    });
  });

  it('takes rejected media down: no derived object left, the original moved from uploads/ to quarantine/', async () => {
    // Arrange
    await serveUploadModerationRejects();

    // Act
    const run = await execute(eventFor());

    // Assert
    expect(run.status).toBe('SUCCEEDED');
    expect(statesEntered(run.history)).toEqual(
      expect.arrayContaining(['RecordResult', 'WasRejected', 'TakeDownRejected']),
    );
    expect([...objects.keys()]).toEqual([`quarantine/alice/${MEDIA_ID}`]);
  });

  it('retries a takedown that failed half-way and still ends with nothing servable', async () => {
    // Arrange: the first attempt's answer is lost after the step ran.
    await serveUploadModerationRejects();

    // Act
    const run = await execute(eventFor(), {}, { TakeDownRejected: ['Lambda.ServiceException'] });

    // Assert
    expect(run.status).toBe('SUCCEEDED');
    expect(retriesOf(run.history, 'TakeDownRejected')).toBe(1);
    expect([...objects.keys()]).toEqual([`quarantine/alice/${MEDIA_ID}`]);
  });

  it('fails the execution (which alarms) when the takedown keeps failing, with the record still REJECTED', async () => {
    // Arrange
    await serveUploadModerationRejects();

    // Act
    const run = await execute(eventFor(), { TakeDownRejected: ['Error', 'Error', 'Error', 'Error'] });

    // Assert
    expect(run.status).toBe('FAILED');
    expect(statesEntered(run.history)).toContain('TakedownFailed');
    expect((await mediaRecord())?.status).toBe('REJECTED');
  });

  it('marks media FAILED with CORRUPT_IMAGE when the JPEG is truncated, and ends the run successfully', async () => {
    // Arrange
    serveUpload(await truncatedJpeg());

    // Act
    const { run, record } = await executeToFailedRecord('upload');

    // Assert
    expect(retriesOf(run.history, 'CreateThumbnails')).toBe(0);
    expect(record?.error?.code).toBe('CORRUPT_IMAGE');
    expect(record?.error?.message).toMatch(/\S/);
    expect(rekognitionMock.calls()).toHaveLength(0);
    // The failed upload left uploads/ for failed/, where a lifecycle rule expires it.
    expect(statesEntered(run.history)).toContain('DiscardFailedUpload');
    expect([...objects.keys()]).toEqual([`failed/alice/${MEDIA_ID}`]);
  });

  it('marks media FAILED with UNSUPPORTED_MEDIA when the upload is not an image', async () => {
    // Arrange
    serveUpload(textFile());

    // Act
    const { record } = await executeToFailedRecord('upload');

    // Assert
    expect(record?.error?.code).toBe('UNSUPPORTED_MEDIA');
    expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  it('marks media FAILED with UPLOAD_CHANGED when the upload was replaced after its event, and ends the run successfully', async () => {
    // Arrange: the key now holds another object than the one the event (and the claim) describe
    serveUpload(await jpegWithOrientationAndGps(), '0f343b0931126a20f133d67c2b018a3b');

    // Act
    const { record } = await executeToFailedRecord('upload');

    // Assert
    expect(record?.error).toEqual({ code: 'UPLOAD_CHANGED', message: expect.stringMatching(/replaced/) });
  });

  it('reads a replaced upload once, without retrying CreateThumbnails, and renders nothing from it', async () => {
    // Arrange
    serveUpload(await jpegWithOrientationAndGps(), '0f343b0931126a20f133d67c2b018a3b');

    // Act
    const run = await execute(eventFor());

    // Assert
    expect(retriesOf(run.history, 'CreateThumbnails')).toBe(0);
    expect(s3Mock.commandCalls(GetObjectCommand)).toHaveLength(1);
    expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(0);
    expect(rekognitionMock.calls()).toHaveLength(0);
  });

  it('marks media FAILED with UPLOAD_MISSING when the upload was deleted after its event, and ends the run successfully', async () => {
    // Arrange: nothing under the key (the claim still finds the PENDING ticket)

    // Act
    const { run, record } = await executeToFailedRecord('upload');

    // Assert
    expect(retriesOf(run.history, 'CreateThumbnails')).toBe(0);
    expect(record?.error).toEqual({ code: 'UPLOAD_MISSING', message: expect.stringMatching(/deleted/) });
  });

  it('retries a throttled Rekognition call and still reaches READY', async () => {
    // Arrange
    serveUpload(await jpegWithOrientationAndGps());
    rekognitionMock
      .on(DetectLabelsCommand)
      .rejectsOnce(new ThrottlingException({ message: 'Rate exceeded', $metadata: {} }))
      .resolves({ Labels: [{ Name: 'Beach', Confidence: 97.5, Parents: [] }] });

    // Act
    const run = await execute(eventFor());

    // Assert
    expect(run.status).toBe('SUCCEEDED');
    expect(retriesOf(run.history, 'DetectLabels')).toBe(1);
    expect(rekognitionMock.commandCalls(DetectLabelsCommand)).toHaveLength(2);
    expect((await mediaRecord())?.status).toBe('READY');
  });

  it('marks media FAILED and fails the execution when Rekognition stays throttled past the retries', async () => {
    // Arrange
    serveUpload(await jpegWithOrientationAndGps());
    rekognitionMock
      .on(DetectLabelsCommand)
      .rejects(new ThrottlingException({ message: 'Rate exceeded', $metadata: {} }));

    // Act
    const run = await execute(eventFor());

    // Assert
    expect(run.status).toBe('FAILED');
    expect(retriesOf(run.history, 'DetectLabels')).toBe(maxAttempts('DetectLabels', 'DetectorThrottledError'));
    const record = await mediaRecord();
    expect(record?.status).toBe('FAILED');
    expect(record?.error?.code).toBe('DETECTOR_THROTTLED');
  });

  describe('re-drive', () => {
    /** Marks the media for a re-run as `npm run redrive` does; returns the execution it would start. */
    async function redrive(): Promise<{ outcome: string; start?: { name: string; input: unknown } }> {
      let start: { name: string; input: unknown } | undefined;
      const result = await redriveMedia(
        {
          documents,
          tableName: TABLE,
          bucketName: BUCKET,
          region: 'eu-west-1',
          account: '111122223333',
          async startExecution(name, input) {
            start = { name, input };
          },
        },
        MEDIA_ID,
      );
      return { outcome: result.outcome, ...(start ? { start } : {}) };
    }

    async function failThrottled(): Promise<void> {
      serveUpload(await jpegWithOrientationAndGps());
      rekognitionMock
        .on(DetectLabelsCommand)
        .rejects(new ThrottlingException({ message: 'Rate exceeded', $metadata: {} }));
      await execute(eventFor());
      rekognitionMock.on(DetectLabelsCommand).resolves({ Labels: [{ Name: 'Beach', Confidence: 97.5, Parents: [] }] });
    }

    it('takes media FAILED DETECTOR_THROTTLED past its budget to READY from the stored object, without a new upload', async () => {
      // Arrange
      await failThrottled();
      expect((await mediaRecord())?.error?.code).toBe('DETECTOR_THROTTLED');
      s3Mock.resetHistory();

      // Act
      const { outcome, start } = await redrive();
      const rerun = await execute(start?.input, {}, {}, start?.name);

      // Assert
      expect(outcome).toBe('started');
      expect(rerun.status).toBe('SUCCEEDED');
      expect(statesEntered(rerun.history)).not.toContain('IgnoreDuplicate');
      const record = await mediaRecord();
      expect(record).toMatchObject({
        status: 'READY',
        redriveCount: 1,
        sourceSequencer: sampleEvent.detail.object.sequencer.padStart(32, '0'),
      });
      expect(record?.redriveBy).toBeUndefined();
      expect(record?.error).toBeUndefined();
      // The stored upload, exactly the version the first run claimed.
      expect(s3Mock.commandCalls(GetObjectCommand).map((call) => call.args[0].input)).toContainEqual(
        expect.objectContaining({
          Key: sampleEvent.detail.object.key,
          IfMatch: expect.stringContaining(sampleEvent.detail.object.etag),
        }),
      );
    });

    it('lets only the execution the re-drive named claim the media: a late delivery of the original event is ignored', async () => {
      // Arrange
      await failThrottled();
      const { start } = await redrive();

      // Act
      const late = await execute(eventFor());

      // Assert
      expect(statesEntered(late.history)).toContain('IgnoreDuplicate');
      expect((await mediaRecord())?.status).toBe('FAILED');
      expect((await execute(start?.input, {}, {}, start?.name)).status).toBe('SUCCEEDED');
    });

    it('never re-runs a bad upload', async () => {
      // Arrange
      serveUpload(await truncatedJpeg());
      await execute(eventFor());

      // Act
      const { outcome, start } = await redrive();

      // Assert
      expect(outcome).toBe('refused');
      expect(start).toBeUndefined();
      expect((await mediaRecord())?.error?.code).toBe('CORRUPT_IMAGE');
    });

    it('does not touch media a live run holds', async () => {
      // Arrange: the claim is taken, the run is still going
      await documents.send(
        new PutCommand({
          TableName: TABLE,
          Item: {
            mediaId: MEDIA_ID,
            ownerId: 'alice',
            status: 'PROCESSING',
            sourceSequencer: '0'.repeat(32),
            createdAt: 'x',
            updatedAt: 'x',
          },
        }),
      );

      // Act
      const { outcome } = await redrive();

      // Assert
      expect(outcome).toBe('refused');
      expect((await mediaRecord())?.status).toBe('PROCESSING');
    });
  });

  describe('a run that fails before its claim', () => {
    /** Every attempt MarkProcessing's throttling retrier allows, and one more: Lambda refuses them all. */
    const throttledPastBudget = (): string[] =>
      Array.from(
        { length: maxAttempts('MarkProcessing', 'Lambda.TooManyRequestsException') + 1 },
        () => 'Lambda.TooManyRequestsException',
      );

    it('settles the ticket FAILED LAMBDA_THROTTLED instead of leaving it PENDING, and the re-drive then ends READY', async () => {
      // Arrange
      serveUpload(await jpegWithOrientationAndGps());

      // Act
      const run = await execute(eventFor(), { MarkProcessing: throttledPastBudget() });
      let rerun: Awaited<ReturnType<typeof execute>> | undefined;
      const redriven = await redriveMedia(
        {
          documents,
          tableName: TABLE,
          bucketName: BUCKET,
          region: 'eu-west-1',
          account: '111122223333',
          async startExecution(name, input) {
            rerun = await execute(input, {}, {}, name);
          },
        },
        MEDIA_ID,
      );

      // Assert
      expect(run.status).toBe('FAILED');
      expect(statesEntered(run.history)).not.toContain('CreateThumbnails');
      expect(redriven.outcome).toBe('started');
      expect(rerun?.status).toBe('SUCCEEDED');
      expect(await mediaRecord()).toMatchObject({
        status: 'READY',
        redriveCount: 1,
        sourceSequencer: sampleEvent.detail.object.sequencer.padStart(32, '0'),
      });
    });

    it('records the version it failed on the settled ticket', async () => {
      // Act
      await execute(eventFor(), { MarkProcessing: throttledPastBudget() });

      // Assert
      expect(await mediaRecord()).toMatchObject({
        status: 'FAILED',
        error: { code: 'LAMBDA_THROTTLED' },
        ownerId: 'alice',
        sourceSequencer: sampleEvent.detail.object.sequencer.padStart(32, '0'),
        sourceEtag: sampleEvent.detail.object.etag,
        original: { key: sampleEvent.detail.object.key, bytes: sampleEvent.detail.object.size },
      });
    });

    it('never fails the run that holds the claim: a duplicate delivery whose own claim was throttled writes nothing', async () => {
      // Arrange: another execution claimed this version and is still working on it
      const claimed = {
        mediaId: MEDIA_ID,
        ownerId: 'alice',
        status: 'PROCESSING',
        sourceSequencer: sampleEvent.detail.object.sequencer.padStart(32, '0'),
        claimedBy: 'arn:aws:states:eu-west-1:111122223333:execution:media-pipeline:the-first-delivery',
        createdAt: 'x',
        updatedAt: 'x',
      };
      await documents.send(new PutCommand({ TableName: TABLE, Item: claimed }));

      // Act
      await execute(eventFor(), { MarkProcessing: throttledPastBudget() });

      // Assert
      expect(await mediaRecord()).toEqual(claimed);
    });
  });

  it('retries a detector that timed out once, and reaches READY', async () => {
    // Arrange
    serveUpload(await jpegWithOrientationAndGps());

    // Act
    const run = await execute(eventFor(), { DetectLabels: ['Sandbox.Timedout'], Moderate: ['States.Timeout'] });

    // Assert
    expect(run.status).toBe('SUCCEEDED');
    expect(retriesOf(run.history, 'DetectLabels')).toBe(1);
    expect(retriesOf(run.history, 'Moderate')).toBe(1);
    expect((await mediaRecord())?.status).toBe('READY');
  });

  it('marks media FAILED PIPELINE_TIMEOUT when a detector times out twice', async () => {
    // Arrange
    serveUpload(await jpegWithOrientationAndGps());

    // Act
    const run = await execute(eventFor(), { DetectLabels: ['Sandbox.Timedout', 'Sandbox.Timedout'] });

    // Assert
    expect(run.status).toBe('FAILED');
    expect(retriesOf(run.history, 'DetectLabels')).toBe(maxAttempts('DetectLabels', 'Sandbox.Timedout'));
    expect((await mediaRecord())?.error?.code).toBe('PIPELINE_TIMEOUT');
  });

  it('retries a Lambda service error on CreateThumbnails and still reaches READY', async () => {
    // Arrange
    serveUpload(await jpegWithOrientationAndGps());

    // Act
    const run = await execute(eventFor(), { CreateThumbnails: ['Lambda.ServiceException'] });

    // Assert
    expect(run.status).toBe('SUCCEEDED');
    expect(retriesOf(run.history, 'CreateThumbnails')).toBe(1);
    expect((await mediaRecord())?.status).toBe('READY');
  });

  it('reaches READY when a MarkProcessing that already claimed the upload is retried after a Lambda service error', async () => {
    // Arrange
    serveUpload(await jpegWithOrientationAndGps());

    // Act
    const run = await execute(eventFor(), {}, { MarkProcessing: ['Lambda.ServiceException'] });

    // Assert
    expect(run.status).toBe('SUCCEEDED');
    expect(retriesOf(run.history, 'MarkProcessing')).toBe(1);
    expect(statesEntered(run.history)).not.toContain('IgnoreDuplicate');
    expect((await mediaRecord())?.status).toBe('READY');
  });

  it('fails the execution, without retrying, when Rekognition cannot read the analysis image (a wiring fault, not a bad upload)', async () => {
    // Arrange: what Rekognition answers when the labels role may not read derived/ or the key is in another region
    await serveUploadRekognitionRejects(
      DetectLabelsCommand,
      new InvalidS3ObjectException({
        message: 'Unable to get object metadata from S3. Check object key, region and/or access permissions.',
        $metadata: {},
      }),
    );

    // Act
    const { run, record } = await executeToFailedRecord('pipeline');

    // Assert
    expect(statesEntered(run.history)).not.toContain('UploadRejected');
    expect(retriesOf(run.history, 'DetectLabels')).toBe(0);
    expect(record?.error).toEqual({
      code: 'DETECTOR_REFUSED_IMAGE',
      message: 'The media could not be processed because of an internal error.',
    });
  });

  it('marks media FAILED and fails the execution when a step fails with an unexpected error', async () => {
    // Arrange
    await serveUploadRekognitionRejects(
      DetectModerationLabelsCommand,
      new AccessDeniedException({
        message: 'not authorized to perform rekognition:DetectModerationLabels',
        $metadata: {},
      }),
    );

    // Act
    const { record } = await executeToFailedRecord('pipeline');

    // Assert
    expect(record?.error?.message).not.toMatch(/at .*\.ts:\d+/);
  });

  it('ignores a second delivery of the same object version without rewriting renditions', async () => {
    // Arrange
    serveUpload(await jpegWithOrientationAndGps());
    const first = await execute(eventFor());
    const putsAfterFirst = s3Mock.commandCalls(PutObjectCommand).length;

    // Act
    const second = await execute(eventFor());

    // Assert
    expect(first.status).toBe('SUCCEEDED');
    expect(second.status).toBe('SUCCEEDED');
    expect(statesEntered(second.history)).toContain('IgnoreDuplicate');
    expect(statesEntered(second.history)).not.toContain('CreateThumbnails');
    expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(putsAfterFirst);
    expect((await mediaRecord())?.status).toBe('READY');
  });

  it('ignores a late delivery of an older version once a newer one has been processed', async () => {
    // Arrange
    serveUpload(await jpegWithOrientationAndGps());
    await execute(eventFor({ sequencer: '00617F0829FFFFFFFF' }));

    // Act
    const late = await execute(eventFor({ sequencer: '00617F08299329D189' }));

    // Assert
    expect(statesEntered(late.history)).toContain('IgnoreDuplicate');
    expect((await mediaRecord())?.sourceSequencer).toBe('00617F0829FFFFFFFF'.padStart(32, '0'));
  });

  it('does no work for an object no upload ticket was issued for, and removes it from uploads/', async () => {
    // Arrange: the owner deleted the media before its upload arrived (DELETE /media/{id} on PENDING).
    serveUpload(await jpegWithOrientationAndGps());
    await documents.send(new DeleteCommand({ TableName: TABLE, Key: { mediaId: MEDIA_ID } }));

    // Act
    const run = await execute(eventFor());

    // Assert
    expect(run.status).toBe('SUCCEEDED');
    expect(statesEntered(run.history)).toEqual(expect.arrayContaining(['RemoveUnissuedUpload', 'IgnoreDuplicate']));
    expect(s3Mock.commandCalls(GetObjectCommand)).toHaveLength(0);
    expect(rekognitionMock.calls()).toHaveLength(0);
    expect(await mediaRecord()).toBeUndefined();
    expect([...objects.keys()]).toEqual([]);
  });

  it('removes an upload that arrives while its media is being deleted, and leaves the record to the delete', async () => {
    // Arrange: DELETE /media/{id} has marked the PENDING record DELETING and not yet removed it.
    serveUpload(await jpegWithOrientationAndGps());
    await documents.send(
      new UpdateCommand({
        TableName: TABLE,
        Key: { mediaId: MEDIA_ID },
        UpdateExpression: 'SET #status = :deleting',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':deleting': 'DELETING' },
      }),
    );

    // Act
    const run = await execute(eventFor());

    // Assert
    expect(run.status).toBe('SUCCEEDED');
    expect(statesEntered(run.history)).toContain('RemoveUnissuedUpload');
    expect(rekognitionMock.calls()).toHaveLength(0);
    expect(await mediaRecord()).toMatchObject({ status: 'DELETING' });
    expect([...objects.keys()]).toEqual([]);
  });

  it('fails the execution (which alarms) when an unissued upload cannot be removed', async () => {
    // Arrange
    serveUpload(await jpegWithOrientationAndGps());
    await documents.send(new DeleteCommand({ TableName: TABLE, Key: { mediaId: MEDIA_ID } }));

    // Act
    const run = await execute(eventFor(), { RemoveUnissuedUpload: ['Error', 'Error', 'Error', 'Error'] });

    // Assert
    expect(run.status).toBe('FAILED');
    expect(statesEntered(run.history)).toContain('RemoveFailed');
    expect(await mediaRecord()).toBeUndefined();
  });

  it("does no work for an upload under another owner's ticket", async () => {
    // Arrange
    serveUpload(await jpegWithOrientationAndGps());

    // Act
    const run = await execute(eventFor({ key: `uploads/mallory/${MEDIA_ID}` }));

    // Assert: the object under mallory's key is removed; alice's ticket and derived/ are untouched.
    expect(statesEntered(run.history)).toEqual(expect.arrayContaining(['RemoveUnissuedUpload', 'IgnoreDuplicate']));
    expect(rekognitionMock.calls()).toHaveLength(0);
    expect(await mediaRecord()).toMatchObject({ status: 'PENDING', ownerId: 'alice' });
    expect([...objects.keys()]).toEqual([sampleEvent.detail.object.key]);
  });

  it('does not process a second upload made with a ticket that was already used', async () => {
    // Arrange
    serveUpload(await jpegWithOrientationAndGps());
    await execute(eventFor({ sequencer: '00617F08299329D189' }));
    const callsAfterFirst = rekognitionMock.calls().length;

    // Act
    const second = await execute(eventFor({ sequencer: '00617F0829FFFFFFFF' }));

    // Assert
    expect(statesEntered(second.history)).toContain('IgnoreDuplicate');
    expect(rekognitionMock.calls()).toHaveLength(callsAfterFirst);
    expect(await mediaRecord()).toMatchObject({
      status: 'READY',
      sourceSequencer: '00617F08299329D189'.padStart(32, '0'),
    });
  });

  /** The DeleteObject calls that named a version: only RemoveReusedUpload's. */
  function versionDeletes(): { Key?: string; VersionId?: string }[] {
    return s3Mock
      .commandCalls(DeleteObjectCommand)
      .map((call) => call.args[0].input)
      .filter((input) => input.VersionId !== undefined);
  }

  it('deletes exactly the version a form re-posted after a READY run wrote, and keeps the media READY', async () => {
    // Arrange: the first post ran to READY; the same form posted again wrote a new version.
    serveUpload(await jpegWithOrientationAndGps());
    await execute(eventFor({ sequencer: '00617F08299329D189' }));
    const callsAfterFirst = rekognitionMock.calls().length;
    const putsAfterFirst = s3Mock.commandCalls(PutObjectCommand).length;

    // Act
    const reused = await execute(eventFor({ sequencer: '00617F0829FFFFFFFF', versionId: 'second-post-version' }));

    // Assert
    expect(reused.status).toBe('SUCCEEDED');
    expect(statesEntered(reused.history)).toEqual(
      expect.arrayContaining(['DescribeVersionedUpload', 'RemoveReusedUpload', 'IgnoreDuplicate']),
    );
    expect(statesEntered(reused.history)).not.toContain('CreateThumbnails');
    expect(versionDeletes()).toEqual([
      { Bucket: BUCKET, Key: sampleEvent.detail.object.key, VersionId: 'second-post-version' },
    ]);
    expect(rekognitionMock.calls()).toHaveLength(callsAfterFirst);
    expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(putsAfterFirst);
    expect(await mediaRecord()).toMatchObject({
      status: 'READY',
      sourceSequencer: '00617F08299329D189'.padStart(32, '0'),
    });
  });

  it('deletes the version a form re-posted after a FAILED run wrote, and keeps the record FAILED', async () => {
    // Arrange: a text file posted as a photo ended FAILED, moved to failed/.
    serveUpload(textFile());
    await executeToFailedRecord('upload');

    // Act
    const reused = await execute(eventFor({ sequencer: '00617F0829FFFFFFFF', versionId: 'second-post-version' }));

    // Assert
    expect(statesEntered(reused.history)).toEqual(expect.arrayContaining(['RemoveReusedUpload', 'IgnoreDuplicate']));
    expect(versionDeletes()).toEqual([
      { Bucket: BUCKET, Key: sampleEvent.detail.object.key, VersionId: 'second-post-version' },
    ]);
    expect((await mediaRecord())?.status).toBe('FAILED');
  });

  it('keeps a reused upload in an unversioned bucket, whose key holds the only bytes', async () => {
    // Arrange
    serveUpload(await jpegWithOrientationAndGps());
    await execute(eventFor({ sequencer: '00617F08299329D189', versionId: null }));

    // Act
    const reused = await execute(eventFor({ sequencer: '00617F0829FFFFFFFF', versionId: null }));

    // Assert
    expect(statesEntered(reused.history)).toEqual(expect.arrayContaining(['DescribeUpload', 'IgnoreDuplicate']));
    expect(statesEntered(reused.history)).not.toContain('RemoveReusedUpload');
    expect(s3Mock.commandCalls(DeleteObjectCommand)).toHaveLength(0);
    expect([...objects.keys()]).toContain(sampleEvent.detail.object.key);
  });

  it('treats version "null" (an object written without versioning) as no version', async () => {
    // Arrange
    serveUpload(await jpegWithOrientationAndGps());
    await execute(eventFor({ sequencer: '00617F08299329D189', versionId: 'null' }));

    // Act
    const reused = await execute(eventFor({ sequencer: '00617F0829FFFFFFFF', versionId: 'null' }));

    // Assert
    expect(statesEntered(reused.history)).toContain('DescribeUpload');
    expect(statesEntered(reused.history)).not.toContain('RemoveReusedUpload');
    expect(s3Mock.commandCalls(DeleteObjectCommand)).toHaveLength(0);
  });

  it.each([
    ['a duplicate delivery of the first version', '00617F08299329D189', '00617F08299329D189'],
    ['a late delivery of an older version', '00617F0829FFFFFFFF', '00617F08299329D189'],
  ])('removes nothing for %s', async (_case, first, second) => {
    // Arrange
    serveUpload(await jpegWithOrientationAndGps());
    await execute(eventFor({ sequencer: first }));

    // Act
    const again = await execute(eventFor({ sequencer: second }));

    // Assert
    expect(statesEntered(again.history)).toContain('IgnoreDuplicate');
    expect(statesEntered(again.history)).not.toContain('RemoveReusedUpload');
    expect(versionDeletes()).toEqual([]);
    expect((await mediaRecord())?.status).toBe('READY');
  });

  it('fails the execution (which alarms) when a reused upload version cannot be removed', async () => {
    // Arrange
    serveUpload(await jpegWithOrientationAndGps());
    await execute(eventFor({ sequencer: '00617F08299329D189' }));

    // Act
    const reused = await execute(eventFor({ sequencer: '00617F0829FFFFFFFF', versionId: 'second-post-version' }), {
      RemoveReusedUpload: ['Error', 'Error', 'Error', 'Error'],
    });

    // Assert
    expect(reused.status).toBe('FAILED');
    expect(statesEntered(reused.history)).toContain('RemoveFailed');
    expect((await mediaRecord())?.status).toBe('READY');
  });

  it('fails without writing a record when the key is not uploads/{ownerId}/{mediaId}', async () => {
    // Arrange
    const event = eventFor({ key: 'uploads/no-media-id' });

    // Act
    const run = await execute(event);

    // Assert
    expect(run.status).toBe('FAILED');
    expect(statesEntered(run.history)).toContain('UnknownUpload');
    expect(statesEntered(run.history)).not.toContain('RecordFailure');
  });
});
