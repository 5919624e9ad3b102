import { DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { SFNClient, StartExecutionCommand, ExecutionAlreadyExists } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { deadLetterExecutionName, redriveDeadLetters } from '../../../scripts/redrive/dead-letters';
import { SAMPLE_PIPELINE_INPUT, SAMPLE_UPLOAD_EVENT_TEXT } from '../../fixtures/upload-event';

/*
 * Re-driving the upload rule's dead-letter queue, with the real SDK clients and commands (SQS and
 * Step Functions answered by aws-sdk-client-mock; there is no SQS in the twin): each upload event
 * starts the execution the rule would have started, with the rule's input transformer applied,
 * and its message is deleted; a second run starts nothing twice; anything else stays in the queue.
 */

const QUEUE = 'https://sqs.eu-west-1.amazonaws.com/111122223333/UploadEventsDeadLetterQueue';
const MACHINE = 'arn:aws:states:eu-west-1:111122223333:stateMachine:TravelGuide-dev-MediaPipeline';
const sample = SAMPLE_UPLOAD_EVENT_TEXT;
const event = JSON.parse(sample) as { id: string };

const sqsMock = mockClient(SQSClient);
const sfnMock = mockClient(SFNClient);

function deps(): Parameters<typeof redriveDeadLetters>[0] {
  const sqs = new SQSClient({ region: 'eu-west-1' });
  const sfn = new SFNClient({ region: 'eu-west-1' });
  return {
    sqs,
    queueUrl: QUEUE,
    bucketName: 'travel-guide-media-dev',
    async startExecution(name, input) {
      await sfn.send(new StartExecutionCommand({ stateMachineArn: MACHINE, name, input: JSON.stringify(input) }));
    },
  };
}

beforeEach(() => {
  sqsMock.reset();
  sfnMock.reset();
});

it('starts the execution the rule would have started for each upload event, then deletes its message', async () => {
  // Arrange: one batch with the event as EventBridge put it in the queue, then an empty queue
  sqsMock
    .on(ReceiveMessageCommand)
    .resolvesOnce({ Messages: [{ MessageId: 'm-1', ReceiptHandle: 'r-1', Body: sample }] })
    .resolves({ Messages: [] });
  sfnMock.on(StartExecutionCommand).resolves({ executionArn: `${MACHINE}:x`, startDate: new Date() });

  // Act
  const report = await redriveDeadLetters(deps());

  // Assert
  const start = sfnMock.commandCalls(StartExecutionCommand)[0]?.args[0].input;
  expect(start?.name).toBe(deadLetterExecutionName(event));
  // The rule's input transformer: only bucket, key, size, ETag, sequencer and time; no IP address or requester
  expect(JSON.parse(start?.input ?? '')).toEqual(SAMPLE_PIPELINE_INPUT);
  expect(sqsMock.commandCalls(DeleteMessageCommand).map((call) => call.args[0].input)).toEqual([
    { QueueUrl: QUEUE, ReceiptHandle: 'r-1' },
  ]);
  expect(report).toEqual({ started: [deadLetterExecutionName(event)], kept: [] });
});

it('deletes the message of an event whose execution an earlier run already started', async () => {
  sqsMock
    .on(ReceiveMessageCommand)
    .resolvesOnce({ Messages: [{ MessageId: 'm-1', ReceiptHandle: 'r-1', Body: sample }] })
    .resolves({ Messages: [] });
  sfnMock
    .on(StartExecutionCommand)
    .rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: {} }));

  const report = await redriveDeadLetters(deps());

  expect(sqsMock.commandCalls(DeleteMessageCommand)).toHaveLength(1);
  expect(report.started).toEqual([deadLetterExecutionName(event)]);
});

it('keeps a message the upload rule would not match (not JSON, another key or bucket), or whose start failed, and stops when only those come back', async () => {
  const derived = sample.replace('uploads/alice/', 'derived/');
  const otherBucket = sample.replaceAll('travel-guide-media-dev', 'travel-guide-media-prod');
  const messages = [
    { MessageId: 'm-1', ReceiptHandle: 'r-1', Body: 'not json' },
    { MessageId: 'm-2', ReceiptHandle: 'r-2', Body: derived },
    { MessageId: 'm-4', ReceiptHandle: 'r-4', Body: otherBucket },
    { MessageId: 'm-3', ReceiptHandle: 'r-3', Body: sample },
  ];
  sqsMock.on(ReceiveMessageCommand).resolves({ Messages: messages });
  sfnMock.on(StartExecutionCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));

  const report = await redriveDeadLetters(deps());

  expect(sqsMock.commandCalls(DeleteMessageCommand)).toHaveLength(0);
  expect(report.kept).toEqual([
    { messageId: 'm-1', reason: 'the body is not JSON' },
    { messageId: 'm-2', reason: expect.stringContaining('key derived/') },
    { messageId: 'm-4', reason: expect.stringContaining('bucket travel-guide-media-prod') },
    { messageId: 'm-3', reason: 'ThrottlingException: Rate exceeded' },
  ]);
  expect(sqsMock.commandCalls(ReceiveMessageCommand)).toHaveLength(2);
});
