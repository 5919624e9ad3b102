import type { LabelDetector } from '../shared/detectors';
import type { ImageRef, LabelsResult } from '../shared/media';

/*
 * Pure core of DetectLabels: asks the detector behind the port and shapes the answer. Whatever
 * the detector returns, the result honours the configured floor and count, most confident first.
 */

export interface LabelSettings {
  minConfidence: number;
  maxLabels: number;
}

export async function detectImageLabels(
  detector: LabelDetector,
  image: ImageRef,
  settings: LabelSettings,
): Promise<LabelsResult> {
  const labels = await detector.detectLabels(image, settings);
  return {
    labels: labels
      .filter((label) => label.confidence >= settings.minConfidence)
      .sort((a, b) => b.confidence - a.confidence)
      .slice(0, settings.maxLabels)
      .map((label) => ({ name: label.name, confidence: label.confidence, parents: [...label.parents] })),
  };
}
