import { DescribeAlarmsCommand, SetAlarmStateCommand, StateValue, type MetricAlarm } from '@aws-sdk/client-cloudwatch';
import { SubscribeCommand, UnsubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SetQueueAttributesCommand,
} from '@aws-sdk/client-sqs';
import type { AwsClients } from './aws-target';
import type { SmokeRun } from './run';

/**
 * `--check-alarms`: proves that an alarm of the stage reaches its topic. A temporary SQS queue
 * (its policy lets only that topic send) is subscribed to the alarm topic, one alarm is set to
 * ALARM with SetAlarmState, the notification is awaited on the queue, and everything is put
 * back: the alarm's previous state, the subscription and the queue are removed whatever happens.
 */

/** Prefix of the temporary queue's name: the operator's IAM policy can be scoped to it. */
export const SMOKE_QUEUE_PREFIX = 'travel-guide-smoke-';

export interface AlarmCheckOptions {
  runId: string;
  /** How long to wait for the notification. @default 90000 */
  waitMs?: number;
  /** Pause between subscribing and setting the alarm, for the queue policy to take effect. @default 10000 */
  settleMs?: number;
  /** Long-poll time of one ReceiveMessage call, in seconds (0-20). @default 20 */
  pollSeconds?: number;
}

/** The policy that lets the alarm topic, and nothing else, send to the queue. */
export function queuePolicy(queueArn: string, topicArn: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'AlarmTopicMaySend',
        Effect: 'Allow',
        Principal: { Service: 'sns.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: queueArn,
        Condition: { ArnEquals: { 'aws:SourceArn': topicArn } },
      },
    ],
  });
}

async function alarmsNotifying(clients: AwsClients, topicArn: string): Promise<MetricAlarm[]> {
  const alarms: MetricAlarm[] = [];
  let nextToken: string | undefined;
  do {
    const page = await clients.cloudWatch.send(
      new DescribeAlarmsCommand({ ActionPrefix: topicArn, AlarmTypes: ['MetricAlarm'], NextToken: nextToken }),
    );
    alarms.push(...(page.MetricAlarms ?? []));
    nextToken = page.NextToken;
  } while (nextToken);
  return alarms;
}

interface AlarmNotification {
  AlarmName?: string;
  NewStateValue?: string;
  NewStateReason?: string;
}

/** The alarm's message inside the SNS envelope of an SQS message, or undefined for anything else. */
export function alarmNotificationOf(body: string | undefined): AlarmNotification | undefined {
  try {
    const envelope = JSON.parse(body ?? '') as { Type?: string; Message?: string };
    if (envelope.Type !== 'Notification' || typeof envelope.Message !== 'string') return undefined;
    return JSON.parse(envelope.Message) as AlarmNotification;
  } catch {
    return undefined;
  }
}

export async function checkAlarmDelivery(
  run: SmokeRun,
  clients: AwsClients,
  topicArn: string,
  options: AlarmCheckOptions,
): Promise<void> {
  const { runId } = options;
  const reason = `Smoke test ${runId}: checking that alarm notifications reach the alarm topic`;

  const alarm = await run.step('find an alarm that notifies the alarm topic', async (note) => {
    const alarms = await alarmsNotifying(clients, topicArn);
    // An alarm already in ALARM would not notify again: pick one that is not.
    const chosen = alarms.find((candidate) => candidate.StateValue !== StateValue.ALARM);
    if (!chosen?.AlarmName)
      throw new Error(
        `none of the ${alarms.length} alarms with actions on ${topicArn} is out of ALARM, so none can notify`,
      );
    note(`${chosen.AlarmName} (${chosen.StateValue ?? 'no state'}), one of ${alarms.length}`);
    return { name: chosen.AlarmName, state: chosen.StateValue ?? StateValue.INSUFFICIENT_DATA };
  });

  const queueName = `${SMOKE_QUEUE_PREFIX}${runId}`;
  const queue = await run.step('create a temporary queue the topic may send to', async (note) => {
    const { QueueUrl } = await clients.sqs.send(
      new CreateQueueCommand({
        QueueName: queueName,
        Attributes: { SqsManagedSseEnabled: 'true', MessageRetentionPeriod: '600' },
      }),
    );
    if (!QueueUrl) throw new Error('CreateQueue answered without a QueueUrl');
    run.onCleanUp(`delete queue ${queueName}`, async () => clients.sqs.send(new DeleteQueueCommand({ QueueUrl })));
    const { Attributes } = await clients.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
    );
    const queueArn = Attributes?.QueueArn;
    if (!queueArn) throw new Error(`GetQueueAttributes gave no QueueArn for ${QueueUrl}`);
    await clients.sqs.send(
      new SetQueueAttributesCommand({ QueueUrl, Attributes: { Policy: queuePolicy(queueArn, topicArn) } }),
    );
    note(queueArn);
    return { url: QueueUrl, arn: queueArn };
  });

  await run.step('subscribe the queue to the alarm topic', async (note) => {
    const { SubscriptionArn } = await clients.sns.send(
      new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: queue.arn, ReturnSubscriptionArn: true }),
    );
    if (!SubscriptionArn) throw new Error('Subscribe answered without a SubscriptionArn');
    run.onCleanUp('unsubscribe the queue', async () => clients.sns.send(new UnsubscribeCommand({ SubscriptionArn })));
    await new Promise((resolve) => setTimeout(resolve, options.settleMs ?? 10_000));
    note(SubscriptionArn);
  });

  await run.step(`set ${alarm.name} to ALARM`, async (note) => {
    run.onCleanUp(`set ${alarm.name} back to ${alarm.state}`, async () =>
      clients.cloudWatch.send(
        new SetAlarmStateCommand({
          AlarmName: alarm.name,
          StateValue: alarm.state,
          StateReason: `Smoke test ${runId}: restored`,
        }),
      ),
    );
    await clients.cloudWatch.send(
      new SetAlarmStateCommand({ AlarmName: alarm.name, StateValue: StateValue.ALARM, StateReason: reason }),
    );
    note(reason);
  });

  await run.step('see the notification arrive on the queue', async (note) => {
    const waitMs = options.waitMs ?? 90_000;
    const deadline = Date.now() + waitMs;
    let others = 0;
    while (Date.now() < deadline) {
      const { Messages } = await clients.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queue.url,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: options.pollSeconds ?? 20,
        }),
      );
      // Nothing is deleted from the queue: the queue itself is, at cleanup.
      for (const message of Messages ?? []) {
        const notification = alarmNotificationOf(message.Body);
        if (
          notification?.AlarmName === alarm.name &&
          notification.NewStateValue === StateValue.ALARM &&
          notification.NewStateReason === reason
        ) {
          note(
            `${alarm.name} ALARM, ${Math.round((waitMs - (deadline - Date.now())) / 1000)} s after the state change`,
          );
          return;
        }
        others++;
      }
    }
    throw new Error(
      `no notification of ${alarm.name} reached the queue within ${Math.round(waitMs / 1000)} s (${others} other messages seen): ` +
        'check that the topic policy lets cloudwatch.amazonaws.com publish and that the alarm action names this topic',
    );
  });
}
