import { DetectLabelsCommand, RekognitionClient } from '@aws-sdk/client-rekognition';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { createHandler } from '../../../functions/labels/handler';
import { detectImageLabels } from '../../../functions/labels/labels';
import type { LabelDetector } from '../../../functions/shared/detectors';
import { DetectorThrottledError } from '../../../functions/shared/errors';
import type { Label } from '../../../functions/shared/media';
import { RekognitionLabelDetector } from '../../../functions/shared/rekognition-detectors';
import { ANALYSIS_IMAGE as IMAGE, fixedDetector } from '../../fixtures/detectors';

const rekognitionMock = mockClient(RekognitionClient);

afterEach(() => {
  rekognitionMock.reset();
});

/** A detector that answers `labels` and remembers what it was asked. */
const detectorAnswering = (labels: Label[]): LabelDetector & { calls: unknown[][] } =>
  fixedDetector('detectLabels', labels);

describe('detectImageLabels', () => {
  it('sorts labels most confident first', async () => {
    // Arrange
    const detector = detectorAnswering([
      { name: 'Sea', confidence: 80, parents: [] },
      { name: 'Beach', confidence: 95, parents: ['Nature'] },
    ]);

    // Act
    const result = await detectImageLabels(detector, IMAGE, { labelsMinConfidence: 70, labelsMax: 10 });

    // Assert
    expect(result.labels.map((label) => label.name)).toEqual(['Beach', 'Sea']);
  });

  it('drops labels under the floor and beyond the cap even if the detector returned them', async () => {
    // Arrange
    const detector = detectorAnswering([
      { name: 'A', confidence: 99, parents: [] },
      { name: 'B', confidence: 90, parents: [] },
      { name: 'C', confidence: 85, parents: [] },
      { name: 'Faint', confidence: 60, parents: [] },
    ]);

    // Act
    const result = await detectImageLabels(detector, IMAGE, { labelsMinConfidence: 70, labelsMax: 2 });

    // Assert
    expect(result.labels.map((label) => label.name)).toEqual(['A', 'B']);
  });
});

describe('labels handler', () => {
  it('passes the image and the configured settings to the detector', async () => {
    // Arrange
    const detector = detectorAnswering([]);

    // Act
    await createHandler({ detector, settings: { labelsMinConfidence: 75, labelsMax: 5 } })({ image: IMAGE });

    // Assert
    expect(detector.calls).toEqual([[IMAGE, { minConfidence: 75, maxLabels: 5 }]]);
  });

  it('uses LABELS_MIN_CONFIDENCE and LABELS_MAX defaults of 70 and 20', async () => {
    // Arrange
    const detector = detectorAnswering([]);

    // Act
    await createHandler({ detector })({ image: IMAGE });

    // Assert
    expect(detector.calls).toEqual([[IMAGE, { minConfidence: 70, maxLabels: 20 }]]);
  });

  it('returns {labels} with name, confidence and parents', async () => {
    // Arrange
    const detector = detectorAnswering([{ name: 'Lighthouse', confidence: 97.5, parents: ['Building'] }]);

    // Act
    const result = await createHandler({ detector })({ image: IMAGE });

    // Assert
    expect(result).toEqual({ labels: [{ name: 'Lighthouse', confidence: 97.5, parents: ['Building'] }] });
  });

  it('calls Rekognition DetectLabels through the AWS adapter', async () => {
    // Arrange
    rekognitionMock.on(DetectLabelsCommand).resolves({ Labels: [{ Name: 'Sea', Confidence: 90, Parents: [] }] });
    const handler = createHandler({ detector: new RekognitionLabelDetector(new RekognitionClient({})) });

    // Act
    const result = await handler({ image: IMAGE });

    // Assert
    expect(result.labels).toEqual([{ name: 'Sea', confidence: 90, parents: [] }]);
    expect(rekognitionMock).toHaveReceivedCommandWith(DetectLabelsCommand, {
      Image: { S3Object: { Bucket: IMAGE.bucket, Name: IMAGE.key } },
    });
  });

  it('refuses an event without an image', async () => {
    // Act
    const result = createHandler({ detector: detectorAnswering([]) })({ thumbnail: {} });

    // Assert
    await expect(result).rejects.toMatchObject({
      name: 'MalformedEventError',
      message: expect.stringContaining('image'),
    });
  });

  it('lets a throttled detector fail with DetectorThrottledError for the state machine to retry', async () => {
    // Arrange
    const detector: LabelDetector = {
      detectLabels: async () => {
        throw new DetectorThrottledError('busy');
      },
    };

    // Act
    const result = createHandler({ detector })({ image: IMAGE });

    // Assert
    await expect(result).rejects.toMatchObject({ name: 'DetectorThrottledError' });
  });
});
