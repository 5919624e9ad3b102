import type { ImageRef, Label, ModerationLabel } from './media';

/*
 * Ports for image analysis. The labels and moderation handlers depend only on these, so the
 * Rekognition adapters (rekognition-detectors.ts) can be swapped for another detector, such as
 * the local twin's, without touching the handlers.
 *
 * Implementations throw DetectorThrottledError when the service asks them to slow down (the ASL
 * retries it), and UnsupportedMediaError / ImageTooLargeError / CorruptImageError when the image
 * itself cannot be analysed.
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
