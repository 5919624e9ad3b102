import type { LabelDetector } from '../shared/detectors';
import type { ImageRef, LabelsResult } from '../shared/media';

/*
 * Pure core of DetectLabels: asks the detector behind the port and shapes the answer. Whatever
 * the detector returns, the result honours the configured floor and count, most confident first.
 */

export interface LabelSettings {
  /** Labels below this confidence (percent) are dropped. */
  labelsMinConfidence: number;
  /** At most this many labels are kept. */
  labelsMax: number;
}

export async function detectImageLabels(
  detector: LabelDetector,
  image: ImageRef,
  settings: LabelSettings,
): Promise<LabelsResult> {
  const labels = await detector.detectLabels(image, {
    minConfidence: settings.labelsMinConfidence,
    maxLabels: settings.labelsMax,
  });
  return {
    labels: labels
      .filter((label) => label.confidence >= settings.labelsMinConfidence)
      .sort((a, b) => b.confidence - a.confidence)
      .slice(0, settings.labelsMax)
      .map((label) => ({ name: label.name, confidence: label.confidence, parents: [...label.parents] })),
  };
}
