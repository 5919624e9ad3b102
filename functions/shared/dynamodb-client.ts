import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { tracer } from './powertools';

// A module per client, so a bundle carries only the clients its handler imports. Endpoints follow
// the SDK's AWS_ENDPOINT_URL_* settings: that is how the local twin points this code at emulators.

let documents: DynamoDBDocumentClient | undefined;

/** The DynamoDB document client of this execution environment, created on first use and traced by X-Ray. */
export function documentClient(): DynamoDBDocumentClient {
  documents ??= DynamoDBDocumentClient.from(tracer.captureAWSv3Client(new DynamoDBClient({})), {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
  return documents;
}
