import type { ImageRef, Label, ModerationLabel } from './media';

/*
 * Ports for image analysis. The labels and moderation handlers depend only on these, so the
 * Rekognition adapters (rekognition-detectors.ts) can be swapped for another detector, such as
 * the local twin's, without touching the handlers.
 *
 * Implementations throw DetectorThrottledError when the service asks them to slow down (the ASL
 * retries it), and DetectorRefusedImageError when the image cannot be analysed: the image is the
 * pipeline's own analysis JPEG, so that is a pipeline fault (the execution fails and alarms),
 * never the uploader's. Whether the upload's bytes can be analysed at all is decided earlier, by
 * the thumbnail step.
 */

export interface LabelDetectionOptions {
  /** Labels below this confidence (0-100) are dropped. */
  minConfidence: number;
  /** At most this many labels, most confident first. */
  maxLabels: number;
}

export interface ModerationDetectionOptions {
  /** Labels below this confidence (0-100) are dropped. */
  minConfidence: number;
}

export interface LabelDetector {
  detectLabels(image: ImageRef, opts: LabelDetectionOptions): Promise<Label[]>;
}

export interface ModerationDetector {
  detectModerationLabels(image: ImageRef, opts: ModerationDetectionOptions): Promise<ModerationLabel[]>;
}
