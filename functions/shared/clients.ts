import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { RekognitionClient } from '@aws-sdk/client-rekognition';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { tracer } from './powertools';

/*
 * One client per service, created lazily once per execution environment and traced by X-Ray.
 * Endpoints follow the SDK's own settings (AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL_DYNAMODB), which is
 * how the local twin points the very same code at its emulators.
 */

let s3: S3Client | undefined;
let documents: DynamoDBDocumentClient | undefined;
let rekognition: RekognitionClient | undefined;

export function s3Client(): S3Client {
  s3 ??= tracer.captureAWSv3Client(
    new S3Client({
      // Only the local S3 emulator needs path-style addressing; real S3 prefers virtual-hosted.
      forcePathStyle: process.env.AWS_ENDPOINT_URL_S3 !== undefined,
      // Streamed bodies with flexible checksums would be stored aws-chunked by emulators; only send them when required.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    }),
  );
  return s3;
}

export function documentClient(): DynamoDBDocumentClient {
  documents ??= DynamoDBDocumentClient.from(tracer.captureAWSv3Client(new DynamoDBClient({})), {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
  return documents;
}

export function rekognitionClient(): RekognitionClient {
  rekognition ??= tracer.captureAWSv3Client(new RekognitionClient({}));
  return rekognition;
}
