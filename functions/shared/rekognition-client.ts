import { RekognitionClient } from '@aws-sdk/client-rekognition';
import { tracer } from './powertools';

// A module per client, so a bundle carries only the clients its handler imports. Endpoints follow
// the SDK's AWS_ENDPOINT_URL_* settings: that is how the local twin points this code at emulators.

let rekognition: RekognitionClient | undefined;

/** The Rekognition client of this execution environment, created on first use and traced by X-Ray. */
export function rekognitionClient(): RekognitionClient {
  rekognition ??= tracer.captureAWSv3Client(new RekognitionClient({}));
  return rekognition;
}
