import { SMOKE_QUEUE_PREFIX } from './alarm-check';

/**
 * The IAM actions the operator running `npm run smoke -- --stage <stage>` needs, written once:
 * README "Check it" lists them, and a test runs the stage path with the AWS clients mocked and
 * fails if it sends any request not listed here, or if an entry is never used.
 */

export interface OperatorPermission {
  action: string;
  /** What it may be scoped to, as README's table says it. */
  resource: string;
  /** Only for `--check-alarms`. */
  alarmsOnly: boolean;
}

export const OPERATOR_PERMISSIONS: readonly OperatorPermission[] = [
  { action: 'cloudformation:DescribeStacks', resource: 'the stage stack', alarmsOnly: false },
  { action: 'cognito-idp:AdminCreateUser', resource: 'the user pool', alarmsOnly: false },
  { action: 'cognito-idp:AdminSetUserPassword', resource: 'the user pool', alarmsOnly: false },
  { action: 'cognito-idp:AdminDeleteUser', resource: 'the user pool', alarmsOnly: false },
  { action: 'cloudwatch:DescribeAlarms', resource: '`*`', alarmsOnly: true },
  { action: 'cloudwatch:SetAlarmState', resource: "the stack's alarms (`TravelGuide-<stage>-*`)", alarmsOnly: true },
  { action: 'sns:Subscribe', resource: 'the alarm topic', alarmsOnly: true },
  { action: 'sns:Unsubscribe', resource: 'the alarm topic', alarmsOnly: true },
  ...['CreateQueue', 'GetQueueAttributes', 'SetQueueAttributes', 'ReceiveMessage', 'DeleteQueue'].map((name) => ({
    action: `sqs:${name}`,
    resource: `queues named \`${SMOKE_QUEUE_PREFIX}*\``,
    alarmsOnly: true,
  })),
];

/**
 * Requests that need no IAM permission: Cognito's sign-in API for a public app client is
 * called without credentials by browsers, and the API and S3 calls carry the user's ID token or
 * the presigned POST and signed URLs.
 */
export const UNSIGNED_COGNITO_ACTIONS: readonly string[] = [
  'cognito-idp:InitiateAuth',
  'cognito-idp:RespondToAuthChallenge',
];
