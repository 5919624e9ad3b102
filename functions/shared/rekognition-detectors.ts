import { DetectLabelsCommand, DetectModerationLabelsCommand } from '@aws-sdk/client-rekognition';
import type { RekognitionClient } from '@aws-sdk/client-rekognition';
import type { LabelDetectionOptions, LabelDetector, ModerationDetectionOptions, ModerationDetector } from './detectors';
import { CorruptImageError, DetectorThrottledError, ImageTooLargeError, UnsupportedMediaError } from './errors';
import type { ImageRef, Label, ModerationLabel } from './media';

/** Rekognition's ways of saying "slow down": the ASL retries DetectorThrottledError with backoff and jitter. */
const THROTTLING_ERRORS = new Set([
  'ThrottlingException',
  'ProvisionedThroughputExceededException',
  'LimitExceededException',
]);

/**
 * Translates Rekognition's exceptions into the domain errors the ASL matches by name. Anything
 * else (access denied, validation) is a wiring fault and passes through unchanged.
 */
export function toDetectorError(error: unknown, image: ImageRef): unknown {
  if (!(error instanceof Error)) return error;
  const where = `s3://${image.bucket}/${image.key}`;
  if (THROTTLING_ERRORS.has(error.name)) {
    return new DetectorThrottledError(`Rekognition throttled the request for ${where} (${error.name})`, { cause: error });
  }
  switch (error.name) {
    case 'InvalidImageFormatException':
      return new UnsupportedMediaError(`Rekognition does not accept the image format of ${where}`, { cause: error });
    case 'ImageTooLargeException':
      return new ImageTooLargeError(`The image ${where} exceeds Rekognition's size or resolution limits`, { cause: error });
    case 'InvalidS3ObjectException':
      return new CorruptImageError(`Rekognition could not read ${where} as an image`, { cause: error });
    default:
      return error;
  }
}

/** Rekognition reports confidences with many decimals; two are plenty and keep records small. */
function roundConfidence(value: number | undefined): number {
  return Math.round((value ?? 0) * 100) / 100;
}

export class RekognitionLabelDetector implements LabelDetector {
  constructor(private readonly client: RekognitionClient) {}

  async detectLabels(image: ImageRef, opts: LabelDetectionOptions): Promise<Label[]> {
    try {
      const response = await this.client.send(
        new DetectLabelsCommand({
          Image: { S3Object: { Bucket: image.bucket, Name: image.key } },
          MinConfidence: opts.minConfidence,
          MaxLabels: opts.maxLabels,
        }),
      );
      return (response.Labels ?? [])
        .filter((label) => label.Name !== undefined)
        .map((label) => ({
          name: label.Name ?? '',
          confidence: roundConfidence(label.Confidence),
          parents: (label.Parents ?? []).flatMap((parent) => (parent.Name === undefined ? [] : [parent.Name])),
        }));
    } catch (error: unknown) {
      throw toDetectorError(error, image);
    }
  }
}

export class RekognitionModerationDetector implements ModerationDetector {
  constructor(private readonly client: RekognitionClient) {}

  async detectModerationLabels(image: ImageRef, opts: ModerationDetectionOptions): Promise<ModerationLabel[]> {
    try {
      const response = await this.client.send(
        new DetectModerationLabelsCommand({
          Image: { S3Object: { Bucket: image.bucket, Name: image.key } },
          MinConfidence: opts.minConfidence,
        }),
      );
      return (response.ModerationLabels ?? [])
        .filter((label) => label.Name !== undefined)
        .map((label) => ({
          name: label.Name ?? '',
          // Top-level categories have an empty ParentName; keep it a string so the record shape is uniform.
          parentName: label.ParentName ?? '',
          confidence: roundConfidence(label.Confidence),
        }));
    } catch (error: unknown) {
      throw toDetectorError(error, image);
    }
  }
}
