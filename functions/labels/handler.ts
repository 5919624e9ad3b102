import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import * as z from 'zod/mini';
import { rekognitionClient } from '../shared/rekognition-client';
import type { LabelDetector } from '../shared/detectors';
import { derivedMediaId } from '../shared/derived';
import type { LabelsResult } from '../shared/media';
import { logger, tracer } from '../shared/powertools';
import { metrics } from '../shared/metrics';
import { RekognitionLabelDetector } from '../shared/rekognition-detectors';
import { imageRefSchema } from '../shared/schemas';
import { parseStepInput, runStep } from '../shared/step';
import { detectImageLabels } from './labels';
import type { LabelSettings } from './labels';
import { labelsSettings } from './settings';

/* DetectLabels: the analysis JPEG in, labels out, through whichever LabelDetector is plugged in. */

export interface LabelsDeps {
  detector: LabelDetector;
  settings?: Partial<LabelSettings>;
}

const inputSchema = z.object({ image: imageRefSchema });

export function createHandler(deps: LabelsDeps): (event: unknown, context?: Context) => Promise<LabelsResult> {
  const settings: LabelSettings = labelsSettings.fromEnv(process.env, deps.settings);

  return (event, context) =>
    runStep(context, async () => {
      const { image } = parseStepInput(inputSchema, event, 'DetectLabels');
      const mediaId = derivedMediaId(image.key);
      if (mediaId !== undefined) {
        logger.appendKeys({ mediaId });
        tracer.putAnnotation('mediaId', mediaId);
      }
      const result = await detectImageLabels(deps.detector, image, settings);
      metrics.addMetric('LabelsDetected', MetricUnit.Count, result.labels.length);
      logger.info('Labels detected', { labels: result.labels.map((label) => label.name) });
      return result;
    });
}

export const handler = createHandler({ detector: new RekognitionLabelDetector(rekognitionClient()) });
