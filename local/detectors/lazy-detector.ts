import type { S3Client } from '@aws-sdk/client-s3';
import type {
  LabelDetectionOptions,
  LabelDetector,
  ModerationDetectionOptions,
  ModerationDetector,
} from '../../functions/shared/detectors';
import type { ImageRef, Label, ModerationLabel } from '../../functions/shared/media';

/** Shown wherever the local detector's name is displayed, so nobody mistakes it for Rekognition. */
export const LOCAL_DETECTOR_NAME = 'Local image analysis (not Rekognition)';

type Detector = LabelDetector & ModerationDetector;

/**
 * The twin's local detector (local-image-detector.ts), loaded with sharp and the Rekognition
 * client's exceptions on its first call, the first labels or moderation invocation, rather than
 * with the twin.
 */
export class LazyLocalDetector implements Detector {
  readonly displayName = LOCAL_DETECTOR_NAME;
  private loaded: Promise<Detector> | undefined;

  constructor(private readonly s3: S3Client) {}

  private detector(): Promise<Detector> {
    this.loaded ??= import('./local-image-detector').then(({ LocalImageDetector }) => new LocalImageDetector(this.s3));
    // A failed load is tried again at the next call.
    this.loaded.catch(() => (this.loaded = undefined));
    return this.loaded;
  }

  async detectLabels(image: ImageRef, options: LabelDetectionOptions): Promise<Label[]> {
    return (await this.detector()).detectLabels(image, options);
  }

  async detectModerationLabels(image: ImageRef, options: ModerationDetectionOptions): Promise<ModerationLabel[]> {
    return (await this.detector()).detectModerationLabels(image, options);
  }
}
