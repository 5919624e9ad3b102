import type { ModerationDetector } from '../shared/detectors';
import type { ImageRef, ModerateResult, ModerationLabel, ModerationVerdict } from '../shared/media';

/*
 * Pure core of Moderate. The detector is asked for labels down to REPORTING_FLOOR, lower than the
 * rejection threshold, so the record also shows near misses for a human reviewer; the verdict
 * looks only at labels at or above the threshold.
 */

/** Rekognition's own default minimum confidence for moderation labels. */
export const REPORTING_FLOOR = 50;

export interface ModerationSettings {
  /** A label at or above this confidence (0-100) rejects the image. */
  moderationMinConfidence: number;
}

/** REJECTED when any label reaches the threshold; a pure function of its inputs. */
export function verdictFor(labels: readonly ModerationLabel[], moderationMinConfidence: number): ModerationVerdict {
  return labels.some((label) => label.confidence >= moderationMinConfidence) ? 'REJECTED' : 'APPROVED';
}

export async function moderateImage(
  detector: ModerationDetector,
  image: ImageRef,
  settings: ModerationSettings,
): Promise<ModerateResult> {
  const found = await detector.detectModerationLabels(image, {
    minConfidence: Math.min(REPORTING_FLOOR, settings.moderationMinConfidence),
  });
  const labels = [...found]
    .sort((a, b) => b.confidence - a.confidence)
    .map((label) => ({ name: label.name, parentName: label.parentName, confidence: label.confidence }));
  return { verdict: verdictFor(labels, settings.moderationMinConfidence), labels };
}
