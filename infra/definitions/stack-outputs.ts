/**
 * The stage stack's outputs, by output key, written once: the stack creates one CloudFormation
 * output per entry, and `npm run smoke -- --stage <stage>` reads a deployed stack's outputs by
 * these keys (DescribeStacks), so the two cannot drift apart.
 */
export const STACK_OUTPUTS = {
  /** Base URL of the REST API's stage, ending in `/` (e.g. `https://abc.execute-api.eu-west-1.amazonaws.com/v1/`). */
  apiUrl: 'ApiUrl',
  /** Cognito user pool of the authors. */
  userPoolId: 'UserPoolId',
  /** The pool's public web client (SRP sign-in, no secret). */
  userPoolClientId: 'UserPoolClientId',
  /** The media bucket (uploads/ and derived/). */
  mediaBucketName: 'MediaBucketName',
  /** The media pipeline's state machine. */
  stateMachineArn: 'StateMachineArn',
  /** The media table: `npm run redrive -- --stage <stage>` marks FAILED media for a re-run there. */
  mediaTableName: 'MediaTableName',
  /** The upload rule's dead-letter queue: `npm run redrive -- --stage <stage> --from-dlq` puts its events back. */
  uploadDeadLetterQueueUrl: 'UploadDeadLetterQueueUrl',
  /** SNS topic every alarm notifies. */
  alarmTopicArn: 'AlarmTopicArn',
} as const;

export type StackOutputName = keyof typeof STACK_OUTPUTS;
export type StackOutputs = Record<StackOutputName, string>;

/** The stage stack's name: each stage is its own stack, so dev and prod deploy side by side. */
export function stageStackName(stage: string): string {
  return `TravelGuide-${stage}`;
}
