import type {
  LabelDetectionOptions,
  LabelDetector,
  ModerationDetectionOptions,
  ModerationDetector,
} from '../../functions/shared/detectors';
import type { ImageRef, Label, ModerationLabel } from '../../functions/shared/media';
import { currentCaller, runAsTwin } from './caller';
import type { IamEnforcer } from './enforcer';

type Detector = LabelDetector & ModerationDetector;

const metadata = { httpStatusCode: 400, requestId: 'twin-iam', attempts: 1, totalRetryDelay: 0 };

/**
 * The Rekognition port with IAM in front, as Rekognition authorizes it: the calling function's
 * role must allow the detect action (no resource type: `*`), and Rekognition reads the S3 object
 * with the caller's permissions, so the role must also allow s3:GetObject on it. A refused detect
 * is Rekognition's AccessDeniedException; a refused read is its InvalidS3ObjectException, turned
 * into the domain error exactly as the Rekognition adapter turns it. The stand-in's own read of
 * the image is the service's, not the function's, and is not checked again.
 */
export function guardedDetector(detector: Detector, iam: IamEnforcer): Detector {
  const authorize = async (action: string, image: ImageRef): Promise<void> => {
    const caller = currentCaller();
    if (caller === undefined) return;
    const denied = await iam.authorize(caller, [{ action, resource: '*' }]);
    const unreadable =
      denied === undefined
        ? await iam.authorize(caller, [{ action: 's3:GetObject', resource: iam.objectArn(image.bucket, image.key) }])
        : undefined;
    if (denied === undefined && unreadable === undefined) return;
    // Loaded on the first refusal: the Rekognition client stays out of the twin's start.
    const [{ AccessDeniedException, InvalidS3ObjectException }, { toDetectorError }] = await Promise.all([
      import('@aws-sdk/client-rekognition'),
      import('../../functions/shared/rekognition-detectors'),
    ]);
    if (denied !== undefined) throw new AccessDeniedException({ message: denied.message, $metadata: metadata });
    const error = new InvalidS3ObjectException({
      message: 'Unable to get object metadata from S3. Check object key, region and/or access permissions.',
      $metadata: metadata,
    });
    throw toDetectorError(error, image);
  };
  return {
    async detectLabels(image: ImageRef, options: LabelDetectionOptions): Promise<Label[]> {
      await authorize('rekognition:DetectLabels', image);
      return runAsTwin(() => detector.detectLabels(image, options));
    },
    async detectModerationLabels(image: ImageRef, options: ModerationDetectionOptions): Promise<ModerationLabel[]> {
      await authorize('rekognition:DetectModerationLabels', image);
      return runAsTwin(() => detector.detectModerationLabels(image, options));
    },
  };
}
