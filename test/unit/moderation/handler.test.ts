import { DetectModerationLabelsCommand, RekognitionClient } from '@aws-sdk/client-rekognition';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { createHandler } from '../../../functions/moderation/handler';
import { moderateImage, verdictFor } from '../../../functions/moderation/moderation';
import type { ModerationDetector } from '../../../functions/shared/detectors';
import type { ModerationLabel } from '../../../functions/shared/media';
import { RekognitionModerationDetector } from '../../../functions/shared/rekognition-detectors';
import { ANALYSIS_IMAGE as IMAGE, fixedDetector } from '../../fixtures/detectors';

const rekognitionMock = mockClient(RekognitionClient);

afterEach(() => {
  rekognitionMock.reset();
});

const label = (confidence: number): ModerationLabel => ({ name: 'Violence', parentName: '', confidence });

/** A detector that answers `labels` and remembers what it was asked. */
const detectorAnswering = (labels: ModerationLabel[]): ModerationDetector & { calls: unknown[][] } =>
  fixedDetector('detectModerationLabels', labels);

describe('verdictFor', () => {
  it('approves an image with no labels', () => {
    expect(verdictFor([], 80)).toBe('APPROVED');
  });

  it('approves when every label is below the threshold', () => {
    expect(verdictFor([label(79.99), label(50)], 80)).toBe('APPROVED');
  });

  it('rejects when a label is exactly at the threshold', () => {
    expect(verdictFor([label(80)], 80)).toBe('REJECTED');
  });

  it('rejects when any one label is above the threshold', () => {
    expect(verdictFor([label(55), label(92)], 80)).toBe('REJECTED');
  });
});

describe('moderateImage', () => {
  it('asks for labels down to 50 so near misses are kept on the record', async () => {
    // Arrange
    const detector = detectorAnswering([]);

    // Act
    await moderateImage(detector, IMAGE, { moderationMinConfidence: 80 });

    // Assert
    expect(detector.calls).toEqual([[IMAGE, { minConfidence: 50 }]]);
  });

  it('asks for labels down to the threshold when it is below 50', async () => {
    // Arrange
    const detector = detectorAnswering([]);

    // Act
    await moderateImage(detector, IMAGE, { moderationMinConfidence: 30 });

    // Assert
    expect(detector.calls).toEqual([[IMAGE, { minConfidence: 30 }]]);
  });

  it('approves, and keeps, a label under the threshold', async () => {
    // Act
    const result = await moderateImage(detectorAnswering([label(60)]), IMAGE, { moderationMinConfidence: 80 });

    // Assert
    expect(result).toEqual({ verdict: 'APPROVED', labels: [label(60)] });
  });
});

describe('moderation handler', () => {
  it('rejects with MODERATION_MIN_CONFIDENCE defaulting to 80', async () => {
    // Act
    const result = await createHandler({ detector: detectorAnswering([label(80)]) })({ image: IMAGE });

    // Assert
    expect(result.verdict).toBe('REJECTED');
  });

  it('uses a configured threshold', async () => {
    // Act
    const result = await createHandler({
      detector: detectorAnswering([label(80)]),
      settings: { moderationMinConfidence: 90 },
    })({
      image: IMAGE,
    });

    // Assert
    expect(result.verdict).toBe('APPROVED');
  });

  it.each([0, 101, 800])(
    'refuses to start with a threshold of %s, which would reject everything or nothing',
    (threshold) => {
      expect(() =>
        createHandler({ detector: detectorAnswering([]), settings: { moderationMinConfidence: threshold } }),
      ).toThrow(/must be a confidence in percent/);
    },
  );

  it('returns the labels with name, parent name and confidence, most confident first', async () => {
    // Arrange
    const detector = detectorAnswering([
      { name: 'Weapons', parentName: 'Violence', confidence: 70 },
      { name: 'Violence', parentName: '', confidence: 90 },
    ]);

    // Act
    const result = await createHandler({ detector })({ image: IMAGE });

    // Assert
    expect(result.labels).toEqual([
      { name: 'Violence', parentName: '', confidence: 90 },
      { name: 'Weapons', parentName: 'Violence', confidence: 70 },
    ]);
  });

  it('calls Rekognition DetectModerationLabels through the AWS adapter', async () => {
    // Arrange
    rekognitionMock
      .on(DetectModerationLabelsCommand)
      .resolves({ ModerationLabels: [{ Name: 'Violence', ParentName: '', Confidence: 95 }] });
    const handler = createHandler({ detector: new RekognitionModerationDetector(new RekognitionClient({})) });

    // Act
    const result = await handler({ image: IMAGE });

    // Assert
    expect(result).toEqual({ verdict: 'REJECTED', labels: [{ name: 'Violence', parentName: '', confidence: 95 }] });
    expect(rekognitionMock).toHaveReceivedCommandWith(DetectModerationLabelsCommand, {
      Image: { S3Object: { Bucket: IMAGE.bucket, Name: IMAGE.key } },
      MinConfidence: 50,
    });
  });

  it('refuses an image reference without a key', async () => {
    // Act
    const result = createHandler({ detector: detectorAnswering([]) })({ image: { bucket: 'media-bucket' } });

    // Assert
    await expect(result).rejects.toMatchObject({
      name: 'MalformedEventError',
      message: expect.stringContaining('image.key'),
    });
  });
});
