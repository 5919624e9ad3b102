import { RekognitionClient } from '@aws-sdk/client-rekognition';
import { tracer } from './powertools';

let rekognition: RekognitionClient | undefined;

/** The Rekognition client of this execution environment (see clients.ts), created on first use and traced by X-Ray. */
export function rekognitionClient(): RekognitionClient {
  rekognition ??= tracer.captureAWSv3Client(new RekognitionClient({}));
  return rekognition;
}
