import {
  AccessDeniedException,
  DetectLabelsCommand,
  DetectModerationLabelsCommand,
  ImageTooLargeException,
  InternalServerError,
  InvalidImageFormatException,
  InvalidParameterException,
  InvalidS3ObjectException,
  LimitExceededException,
  ProvisionedThroughputExceededException,
  RekognitionClient,
  ThrottlingException,
} from '@aws-sdk/client-rekognition';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { DetectorRefusedImageError, DetectorThrottledError } from '../../../functions/shared/errors';
import {
  RekognitionLabelDetector,
  RekognitionModerationDetector,
} from '../../../functions/shared/rekognition-detectors';
import asl from '../../../statemachines/media-pipeline.asl.json';

const rekognitionMock = mockClient(RekognitionClient);
const IMAGE = { bucket: 'media-bucket', key: 'derived/m1/00AB/analysis.jpg' };
const $metadata = {};

/**
 * Every error DetectLabels and DetectModerationLabels document, with the error the step throws for
 * it (the name the ASL sees) and whether it is retried. The analysis image is the pipeline's own,
 * so none of them is the uploader's fault.
 */
const REKOGNITION_ERRORS = [
  {
    name: 'ThrottlingException',
    thrown: 'DetectorThrottledError',
    retried: true,
    make: () => new ThrottlingException({ message: 'slow down', $metadata }),
  },
  {
    name: 'ProvisionedThroughputExceededException',
    thrown: 'DetectorThrottledError',
    retried: true,
    make: () => new ProvisionedThroughputExceededException({ message: 'slow down', $metadata }),
  },
  {
    name: 'LimitExceededException',
    thrown: 'DetectorThrottledError',
    retried: true,
    make: () => new LimitExceededException({ message: 'slow down', $metadata }),
  },
  {
    name: 'InvalidS3ObjectException',
    thrown: 'DetectorRefusedImageError',
    retried: false,
    make: () =>
      new InvalidS3ObjectException({
        message: 'Unable to get object metadata from S3. Check object key, region and/or access permissions.',
        $metadata,
      }),
  },
  {
    name: 'InvalidImageFormatException',
    thrown: 'DetectorRefusedImageError',
    retried: false,
    make: () => new InvalidImageFormatException({ message: 'Request has invalid image format', $metadata }),
  },
  {
    name: 'ImageTooLargeException',
    thrown: 'DetectorRefusedImageError',
    retried: false,
    make: () => new ImageTooLargeException({ message: 'Image size is too large', $metadata }),
  },
  {
    name: 'InvalidParameterException',
    thrown: 'DetectorRefusedImageError',
    retried: false,
    make: () => new InvalidParameterException({ message: 'Request has invalid parameters', $metadata }),
  },
  {
    name: 'AccessDeniedException',
    thrown: 'AccessDeniedException',
    retried: false,
    make: () =>
      new AccessDeniedException({ message: 'not authorized to perform: rekognition:DetectLabels', $metadata }),
  },
  {
    name: 'InternalServerError',
    thrown: 'InternalServerError',
    retried: false,
    make: () => new InternalServerError({ message: 'internal error', $metadata }),
  },
];

type AslNode = Record<string, unknown>;

/** The state named `name` anywhere in the definition (Parallel branches included). */
function findState(node: unknown, name: string): AslNode | undefined {
  if (typeof node !== 'object' || node === null) return undefined;
  const states = (node as AslNode).States as Record<string, AslNode> | undefined;
  if (states?.[name] !== undefined) return states[name];
  for (const value of Object.values(node as AslNode)) {
    const found = Array.isArray(value)
      ? value.map((child) => findState(child, name)).find(Boolean)
      : findState(value, name);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** The error names the ASL retries on a state. */
function retriedOn(stateName: string): string[] {
  const retry = (findState(asl, stateName)?.Retry ?? []) as { ErrorEquals: string[] }[];
  return retry.flatMap((rule) => rule.ErrorEquals);
}

/** The error names WasUploadRejected sends to UploadRejected (the run succeeds); every other one ends in PipelineFailed. */
function uploadRejectedNames(): string[] {
  const choice = findState(asl, 'WasUploadRejected') as { Choices: { Or: { StringEquals: string }[] }[] };
  return choice.Choices.flatMap((rule) => rule.Or.map((comparison) => comparison.StringEquals));
}

beforeEach(() => {
  rekognitionMock.reset();
});

describe('RekognitionLabelDetector', () => {
  it('asks DetectLabels about the S3 object with the confidence floor and label cap', async () => {
    // Arrange
    rekognitionMock.on(DetectLabelsCommand).resolves({ Labels: [] });

    // Act
    await new RekognitionLabelDetector(new RekognitionClient({})).detectLabels(IMAGE, {
      minConfidence: 70,
      maxLabels: 20,
    });

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

  it.each(REKOGNITION_ERRORS)('turns $name into $thrown (retried: $retried)', async ({ make, thrown, retried }) => {
    // Arrange
    rekognitionMock.on(DetectLabelsCommand).rejects(make());

    // Act
    const error: unknown = await new RekognitionLabelDetector(new RekognitionClient({}))
      .detectLabels(IMAGE, { minConfidence: 70, maxLabels: 20 })
      .catch((caught: unknown) => caught);

    // Assert
    expect(error).toMatchObject({ name: thrown });
    expect(retriedOn('DetectLabels').includes(thrown)).toBe(retried);
  });
});

describe('Rekognition errors and the execution', () => {
  it.each(REKOGNITION_ERRORS)(
    "$name ($thrown) fails the execution: never recorded as the uploader's fault",
    ({ thrown }) => {
      // Act
      const endsAsBadUpload = uploadRejectedNames().includes(thrown);

      // Assert
      expect(uploadRejectedNames()).toContain('CorruptImageError');
      expect(endsAsBadUpload).toBe(false);
    },
  );

  it('names the object, the original exception and where to look in a refusal of the analysis image', async () => {
    // Arrange
    rekognitionMock
      .on(DetectLabelsCommand)
      .rejects(new InvalidS3ObjectException({ message: 'Unable to get object metadata from S3.', $metadata }));

    // Act
    const result = new RekognitionLabelDetector(new RekognitionClient({})).detectLabels(IMAGE, {
      minConfidence: 70,
      maxLabels: 20,
    });

    // Assert
    await expect(result).rejects.toThrow(
      /s3:\/\/media-bucket\/derived\/m1\/00AB\/analysis\.jpg \(InvalidS3ObjectException: Unable to get object metadata from S3\.\).*s3:GetObject/,
    );
  });
});

describe('RekognitionModerationDetector', () => {
  it('asks DetectModerationLabels about the S3 object with the confidence floor', async () => {
    // Arrange
    rekognitionMock.on(DetectModerationLabelsCommand).resolves({ ModerationLabels: [] });

    // Act
    await new RekognitionModerationDetector(new RekognitionClient({})).detectModerationLabels(IMAGE, {
      minConfidence: 50,
    });

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

  it.each(REKOGNITION_ERRORS)('turns $name into $thrown (retried: $retried)', async ({ make, thrown, retried }) => {
    // Arrange
    rekognitionMock.on(DetectModerationLabelsCommand).rejects(make());

    // Act
    const error: unknown = await new RekognitionModerationDetector(new RekognitionClient({}))
      .detectModerationLabels(IMAGE, { minConfidence: 50 })
      .catch((caught: unknown) => caught);

    // Assert
    expect(error).toMatchObject({ name: thrown });
    expect(retriedOn('Moderate').includes(thrown)).toBe(retried);
  });

  it('keeps the classes the state machine matches by name', async () => {
    // Arrange
    rekognitionMock
      .on(DetectModerationLabelsCommand)
      .rejectsOnce(new ThrottlingException({ message: 'slow down', $metadata }))
      .rejects(new ImageTooLargeException({ message: 'big', $metadata }));
    const detector = new RekognitionModerationDetector(new RekognitionClient({}));

    // Act
    const first = await detector
      .detectModerationLabels(IMAGE, { minConfidence: 50 })
      .catch((caught: unknown) => caught);
    const second = await detector
      .detectModerationLabels(IMAGE, { minConfidence: 50 })
      .catch((caught: unknown) => caught);

    // Assert
    expect([first instanceof DetectorThrottledError, second instanceof DetectorRefusedImageError]).toEqual([
      true,
      true,
    ]);
  });

  it('names the object in the domain error message', async () => {
    // Arrange
    rekognitionMock
      .on(DetectModerationLabelsCommand)
      .rejects(new InvalidImageFormatException({ message: 'bad', $metadata }));

    // Act
    const result = new RekognitionModerationDetector(new RekognitionClient({})).detectModerationLabels(IMAGE, {
      minConfidence: 50,
    });

    // Assert
    await expect(result).rejects.toThrow('s3://media-bucket/derived/m1/00AB/analysis.jpg');
  });
});
