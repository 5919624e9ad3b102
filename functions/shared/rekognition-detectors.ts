import { DetectLabelsCommand, DetectModerationLabelsCommand } from '@aws-sdk/client-rekognition';
import type { RekognitionClient } from '@aws-sdk/client-rekognition';
import type { LabelDetectionOptions, LabelDetector, ModerationDetectionOptions, ModerationDetector } from './detectors';
import { DetectorRefusedImageError, DetectorThrottledError } from './errors';
import type { ImageRef, Label, ModerationLabel } from './media';

/** Rekognition's ways of saying "slow down": the ASL retries DetectorThrottledError with backoff and jitter. */
export const THROTTLING_ERRORS: ReadonlySet<string> = new Set([
  'ThrottlingException',
  'ProvisionedThroughputExceededException',
  'LimitExceededException',
]);

/**
 * Rekognition's refusals of the image itself. The image is always the pipeline's own analysis JPEG
 * (encoded by the thumbnail step within Rekognition's documented limits, which also refuses
 * uploads whose shape no analysis image can fit), so none of these can come from the uploaded
 * bytes: InvalidS3ObjectException means Rekognition could not read the object with the caller's
 * role (a missing s3:GetObject, a KMS key policy, a bucket in another region),
 * InvalidImageFormatException and ImageTooLargeException mean the thumbnail step produced
 * something outside the limits, InvalidParameterException a request built wrongly.
 */
export const REFUSED_IMAGE_ERRORS: ReadonlySet<string> = new Set([
  'InvalidS3ObjectException',
  'InvalidImageFormatException',
  'ImageTooLargeException',
  'InvalidParameterException',
]);

/**
 * Translates Rekognition's exceptions into the domain errors the ASL matches by name: throttling
 * into DetectorThrottledError (retried), refusals of the analysis image into
 * DetectorRefusedImageError (a pipeline fault: the execution fails and alarms). Anything else
 * (AccessDeniedException, InternalServerError, a network error) passes through unchanged and is a
 * pipeline fault too. Nothing Rekognition says is recorded as the uploader's fault.
 */
export function toDetectorError(error: unknown, image: ImageRef): unknown {
  if (!(error instanceof Error)) return error;
  const where = `s3://${image.bucket}/${image.key}`;
  if (THROTTLING_ERRORS.has(error.name)) {
    return new DetectorThrottledError(`Rekognition throttled the request for ${where} (${error.name})`, {
      cause: error,
    });
  }
  if (REFUSED_IMAGE_ERRORS.has(error.name)) {
    return new DetectorRefusedImageError(
      `Rekognition refused the pipeline's analysis image ${where} (${error.name}: ${error.message}); check the step role's s3:GetObject on derived/, the bucket's encryption key and region, and the analysis limits`,
      { cause: error },
    );
  }
  return error;
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
