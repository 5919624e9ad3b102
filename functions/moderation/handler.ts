import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import * as z from 'zod/mini';
import { rekognitionClient } from '../shared/rekognition-client';
import { derivedMediaId } from '../shared/derived';
import type { ModerationDetector } from '../shared/detectors';
import type { ModerateResult } from '../shared/media';
import { logger, tracer } from '../shared/powertools';
import { metrics } from '../shared/metrics';
import { RekognitionModerationDetector } from '../shared/rekognition-detectors';
import { imageRefSchema } from '../shared/schemas';
import { parseStepInput, runStep } from '../shared/step';
import { moderateImage } from './moderation';
import type { ModerationSettings } from './moderation';
import { moderationSettings } from './settings';

/* Moderate: the analysis JPEG in, APPROVED or REJECTED out, through whichever ModerationDetector is plugged in. */

export interface ModerationDeps {
  detector: ModerationDetector;
  settings?: Partial<ModerationSettings>;
}

const inputSchema = z.object({ image: imageRefSchema });

export function createHandler(deps: ModerationDeps): (event: unknown, context?: Context) => Promise<ModerateResult> {
  // Above 100 nothing could ever be rejected; at 0 or below everything would be: both fail here.
  const settings: ModerationSettings = moderationSettings.fromEnv(process.env, deps.settings);

  return (event, context) =>
    runStep(context, async () => {
      const { image } = parseStepInput(inputSchema, event, 'Moderate');
      const mediaId = derivedMediaId(image.key);
      if (mediaId !== undefined) {
        logger.appendKeys({ mediaId });
        tracer.putAnnotation('mediaId', mediaId);
      }
      const result = await moderateImage(deps.detector, image, settings);
      if (result.verdict === 'REJECTED') metrics.addMetric('ModerationRejected', MetricUnit.Count, 1);
      logger.info('Image moderated', { verdict: result.verdict, labels: result.labels.map((label) => label.name) });
      return result;
    });
}

export const handler = createHandler({ detector: new RekognitionModerationDetector(rekognitionClient()) });
