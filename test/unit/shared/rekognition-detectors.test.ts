import {
  DetectLabelsCommand,
  DetectModerationLabelsCommand,
  ImageTooLargeException,
  InvalidImageFormatException,
  InvalidS3ObjectException,
  LimitExceededException,
  ProvisionedThroughputExceededException,
  RekognitionClient,
  ThrottlingException,
} from '@aws-sdk/client-rekognition';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import {
  CorruptImageError,
  DetectorThrottledError,
  ImageTooLargeError,
  UnsupportedMediaError,
} from '../../../functions/shared/errors';
import { RekognitionLabelDetector, RekognitionModerationDetector } from '../../../functions/shared/rekognition-detectors';

const rekognitionMock = mockClient(RekognitionClient);
const IMAGE = { bucket: 'media-bucket', key: 'derived/m1/00AB/analysis.jpg' };
const $metadata = {};

beforeEach(() => {
  rekognitionMock.reset();
});

describe('RekognitionLabelDetector', () => {
  it('asks DetectLabels about the S3 object with the confidence floor and label cap', async () => {
    // Arrange
    rekognitionMock.on(DetectLabelsCommand).resolves({ Labels: [] });

    // Act
    await new RekognitionLabelDetector(new RekognitionClient({})).detectLabels(IMAGE, { minConfidence: 70, maxLabels: 20 });

    // Assert
    expect(rekognitionMock).toHaveReceivedCommandWith(DetectLabelsCommand, {
      Image: { S3Object: { Bucket: 'media-bucket', Name: 'derived/m1/00AB/analysis.jpg' } },
      MinConfidence: 70,
      MaxLabels: 20,
    });
  });

  it('maps labels to name, rounded confidence and parent names', async () => {
    // Arrange
    rekognitionMock.on(DetectLabelsCommand).resolves({
      Labels: [
        { Name: 'Lighthouse', Confidence: 97.123456, Parents: [{ Name: 'Building' }, { Name: 'Architecture' }] },
        { Name: 'Sea', Confidence: 88.5 },
      ],
    });

    // Act
    const labels = await new RekognitionLabelDetector(new RekognitionClient({})).detectLabels(IMAGE, {
      minConfidence: 70,
      maxLabels: 20,
    });

    // Assert
    expect(labels).toEqual([
      { name: 'Lighthouse', confidence: 97.12, parents: ['Building', 'Architecture'] },
      { name: 'Sea', confidence: 88.5, parents: [] },
    ]);
  });

  it.each([
    ['ThrottlingException', new ThrottlingException({ message: 'slow down', $metadata })],
    ['ProvisionedThroughputExceededException', new ProvisionedThroughputExceededException({ message: 'slow down', $metadata })],
    ['LimitExceededException', new LimitExceededException({ message: 'slow down', $metadata })],
  ])('turns %s into DetectorThrottledError, which the state machine retries', async (_name, exception) => {
    // Arrange
    rekognitionMock.on(DetectLabelsCommand).rejects(exception);

    // Act
    const result = new RekognitionLabelDetector(new RekognitionClient({})).detectLabels(IMAGE, { minConfidence: 70, maxLabels: 20 });

    // Assert
    await expect(result).rejects.toBeInstanceOf(DetectorThrottledError);
  });

  it('lets other errors through unchanged', async () => {
    // Arrange
    rekognitionMock.on(DetectLabelsCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));

    // Act
    const result = new RekognitionLabelDetector(new RekognitionClient({})).detectLabels(IMAGE, { minConfidence: 70, maxLabels: 20 });

    // Assert
    await expect(result).rejects.toMatchObject({ name: 'AccessDeniedException' });
  });
});

describe('RekognitionModerationDetector', () => {
  it('asks DetectModerationLabels about the S3 object with the confidence floor', async () => {
    // Arrange
    rekognitionMock.on(DetectModerationLabelsCommand).resolves({ ModerationLabels: [] });

    // Act
    await new RekognitionModerationDetector(new RekognitionClient({})).detectModerationLabels(IMAGE, { minConfidence: 50 });

    // Assert
    expect(rekognitionMock).toHaveReceivedCommandWith(DetectModerationLabelsCommand, {
      Image: { S3Object: { Bucket: 'media-bucket', Name: 'derived/m1/00AB/analysis.jpg' } },
      MinConfidence: 50,
    });
  });

  it('maps labels to name, parent name (empty for top-level categories) and confidence', async () => {
    // Arrange
    rekognitionMock.on(DetectModerationLabelsCommand).resolves({
      ModerationLabels: [
        { Name: 'Violence', ParentName: '', Confidence: 91.256 },
        { Name: 'Weapons', ParentName: 'Violence', Confidence: 85 },
      ],
    });

    // Act
    const labels = await new RekognitionModerationDetector(new RekognitionClient({})).detectModerationLabels(IMAGE, {
      minConfidence: 50,
    });

    // Assert
    expect(labels).toEqual([
      { name: 'Violence', parentName: '', confidence: 91.26 },
      { name: 'Weapons', parentName: 'Violence', confidence: 85 },
    ]);
  });

  it.each([
    ['InvalidImageFormatException', new InvalidImageFormatException({ message: 'bad', $metadata }), UnsupportedMediaError],
    ['ImageTooLargeException', new ImageTooLargeException({ message: 'big', $metadata }), ImageTooLargeError],
    ['InvalidS3ObjectException', new InvalidS3ObjectException({ message: 'unreadable', $metadata }), CorruptImageError],
    ['ThrottlingException', new ThrottlingException({ message: 'slow down', $metadata }), DetectorThrottledError],
  ])('turns %s into the matching domain error', async (_name, exception, expected) => {
    // Arrange
    rekognitionMock.on(DetectModerationLabelsCommand).rejects(exception);

    // Act
    const result = new RekognitionModerationDetector(new RekognitionClient({})).detectModerationLabels(IMAGE, {
      minConfidence: 50,
    });

    // Assert
    await expect(result).rejects.toBeInstanceOf(expected);
  });

  it('names the object in the domain error message', async () => {
    // Arrange
    rekognitionMock.on(DetectModerationLabelsCommand).rejects(new InvalidImageFormatException({ message: 'bad', $metadata }));

    // Act
    const result = new RekognitionModerationDetector(new RekognitionClient({})).detectModerationLabels(IMAGE, {
      minConfidence: 50,
    });

    // Assert
    await expect(result).rejects.toThrow('s3://media-bucket/derived/m1/00AB/analysis.jpg');
  });
});
