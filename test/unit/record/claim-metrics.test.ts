import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import type { createHandler as CreateHandler } from '../../../functions/record/handler';
import type { LabelsResult } from '../../../functions/shared/media';
import { APPROVED, SEQ, THUMBNAIL, UPLOAD } from './fixtures';

/*
 * The EMF the record function prints, read from stdout as CloudWatch would read it. The test setup
 * disables Powertools metrics; this file turns them on before the handler (and with it the shared
 * Metrics instance) is first loaded, so every metric of an invocation is visible here.
 */

const documentsMock = mockClient(DynamoDBDocumentClient);
const EXECUTION_ID = 'arn:aws:states:eu-west-1:111122223333:execution:MediaPipeline:run-1';
const LABELS: LabelsResult = { labels: [] };

interface EmfLine {
  _aws: {
    CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[];
  };
  [key: string]: unknown;
}

let handler: ReturnType<typeof CreateHandler>;
let sharedMetrics: Metrics;
let printed: string[];
const metricsDisabledBefore = process.env.POWERTOOLS_METRICS_DISABLED;

beforeAll(async () => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'false';
  const { createHandler } = await import('../../../functions/record/handler');
  ({ metrics: sharedMetrics } = await import('../../../functions/shared/metrics'));
  handler = createHandler({
    documents: DynamoDBDocumentClient.from(new DynamoDBClient({})),
    mediaTableName: 'MediaTable',
    now: () => new Date('2026-11-28T17:20:15.000Z'),
  });
});

afterAll(() => {
  if (metricsDisabledBefore === undefined) delete process.env.POWERTOOLS_METRICS_DISABLED;
  else process.env.POWERTOOLS_METRICS_DISABLED = metricsDisabledBefore;
});

beforeEach(() => {
  documentsMock.reset();
  documentsMock.on(UpdateCommand).resolves({});
  printed = [];
  jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    printed.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  });
});

afterEach(() => {
  jest.restoreAllMocks();
});

/** Every EMF document printed since the test began. */
function emf(): EmfLine[] {
  return printed
    .join('')
    .split('\n')
    .filter((line) => line.includes('"_aws"'))
    .map((line) => JSON.parse(line) as EmfLine);
}

function withMetric(name: string): EmfLine[] {
  return emf().filter((line) =>
    line._aws.CloudWatchMetrics.some((entry) => entry.Metrics.some((metric) => metric.Name === name)),
  );
}

function refuseClaimWith(stored: Record<string, unknown> | undefined): void {
  documentsMock.on(UpdateCommand).rejects(
    new ConditionalCheckFailedException({
      message: 'The conditional request failed',
      $metadata: {},
      ...(stored === undefined ? {} : { Item: stored as ConditionalCheckFailedException['Item'] }),
    }),
  );
}

describe('record handler: refused-claim metric', () => {
  it.each([
    ['duplicate', { status: { S: 'PROCESSING' }, sourceSequencer: { S: SEQ } }],
    ['superseded', { status: { S: 'READY' }, sourceSequencer: { S: '0000000000000000617F0829FFFFFFFF' } }],
    ['reused', { status: { S: 'READY' }, sourceSequencer: { S: '00000000000000000000000000000001' } }],
    ['unissued', undefined],
  ] as const)('counts one ClaimsRefused with Reason %s', async (reason, stored) => {
    // Arrange
    refuseClaimWith(stored);

    // Act
    await handler({ action: 'processing', upload: UPLOAD, executionId: EXECUTION_ID });

    // Assert
    const [line, ...others] = withMetric('ClaimsRefused');
    expect(others).toHaveLength(0);
    expect(line?._aws.CloudWatchMetrics).toEqual([
      expect.objectContaining({
        Dimensions: [['service', 'Reason']],
        Metrics: [{ Name: 'ClaimsRefused', Unit: 'Count' }],
      }),
    ]);
    expect(line).toMatchObject({ Reason: reason, ClaimsRefused: 1 });
  });

  it('publishes the refusal in the namespace and service of the other pipeline metrics', async () => {
    // Arrange
    await handler({ action: 'complete', upload: UPLOAD, thumbnail: THUMBNAIL, labels: LABELS, moderation: APPROVED });
    refuseClaimWith(undefined);

    // Act
    await handler({ action: 'processing', upload: UPLOAD });

    // Assert
    const [terminal] = withMetric('MediaProcessed');
    const [refused] = withMetric('ClaimsRefused');
    expect(terminal).toBeDefined();
    expect(refused?._aws.CloudWatchMetrics[0]?.Namespace).toBe(terminal?._aws.CloudWatchMetrics[0]?.Namespace);
    expect(refused?.service).toBe(terminal?.service);
  });

  it('ties the refusal to its execution', async () => {
    // Arrange
    refuseClaimWith(undefined);

    // Act
    await handler({ action: 'processing', upload: UPLOAD, executionId: EXECUTION_ID });

    // Assert
    expect(withMetric('ClaimsRefused')[0]?.executionId).toBe(EXECUTION_ID);
  });

  it('emits no metric when the claim succeeds', async () => {
    // Act
    const result = await handler({ action: 'processing', upload: UPLOAD, executionId: EXECUTION_ID });

    // Assert
    expect(result).toMatchObject({ proceed: true });
    expect(emf()).toEqual([]);
  });

  it('keeps the Reason off the other metrics of the same invocation', async () => {
    // Arrange: a metric already stored on the shared instance, published when the invocation ends.
    refuseClaimWith(undefined);
    sharedMetrics.addMetric('Probe', MetricUnit.Count, 1);

    // Act
    await handler({ action: 'processing', upload: UPLOAD });

    // Assert
    const [probe] = withMetric('Probe');
    expect(probe?._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([['service']]);
    expect(probe).not.toHaveProperty('Reason');
  });
});
