import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { tracer } from './powertools';

// A module per client, so a bundle carries only the clients its handler imports. Endpoints follow
// the SDK's AWS_ENDPOINT_URL_* settings: that is how the local twin points this code at its
// Secrets Manager stand-in (AWS_ENDPOINT_URL_SECRETS_MANAGER).

let secrets: SecretsManagerClient | undefined;

/** The Secrets Manager client of this execution environment, created on first use and traced by X-Ray. */
export function secretsManagerClient(): SecretsManagerClient {
  secrets ??= tracer.captureAWSv3Client(new SecretsManagerClient({}));
  return secrets;
}
