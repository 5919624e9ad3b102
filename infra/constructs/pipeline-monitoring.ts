import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { CLAIM_REFUSALS } from '../../functions/record/record';
import {
  type AlarmBoard,
  FIVE_MINUTE_SUM as sum,
  FIVE_MINUTES,
  functionGraphs,
  type ObservedFunction,
  percentiles,
} from './alarm-board';

/** What {@link PipelineMonitoring} watches. */
export interface PipelineMonitoringProps {
  /** The media pipeline state machine. */
  readonly stateMachine: sfn.IStateMachine;
  /** The pipeline's step functions. */
  readonly steps: readonly ObservedFunction[];
  /** Dead-letter queue of the upload rule. */
  readonly deadLetterQueue: sqs.IQueue;
  /**
   * Dead-letter queue of the execution watcher: a status-change event there is a media the
   * watcher could not settle.
   * @default - none
   */
  readonly watcherDeadLetterQueue?: sqs.IQueue;
  /**
   * Dead-letter queue of the sweeper's schedule: a message there is a sweep the Scheduler could
   * not start. Giving it also alarms on the media the sweeper settles (`StrandedClaimsSettled`).
   * @default - none
   */
  readonly sweeperDeadLetterQueue?: sqs.IQueue;
  /** Namespace of the functions' Powertools metrics. */
  readonly metricsNamespace: string;
  /** Powertools `service` dimension of the pipeline functions' metrics. */
  readonly pipelineServiceName: string;
  /**
   * Lambda errors per step within five minutes that raise the step alarm. Rejected uploads
   * (corrupt, not an image) are function errors by design, so one is not an incident.
   * @default 5
   */
  readonly stepErrorThreshold?: number;
}

/** Age of the oldest dead-letter message that alarms: well before the queue's 14-day retention drops it. */
export const DEAD_LETTER_AGE_ALARM = Duration.days(3);

/**
 * The media pipeline's alarms (failed, timed-out or aborted executions, dead letters, repeated
 * step errors, Rekognition throttling) and its rows of the dashboard: executions, step durations
 * and errors, outcomes, refused claims.
 */
export class PipelineMonitoring {
  constructor(board: AlarmBoard, props: PipelineMonitoringProps) {
    const { stateMachine, steps, deadLetterQueue } = props;

    board.alarm(
      'ExecutionsFailedAlarm',
      'Media pipeline executions failed (a pipeline fault, not a rejected upload)',
      stateMachine.metricFailed(sum),
    );
    board.alarm('ExecutionsTimedOutAlarm', 'Media pipeline executions timed out', stateMachine.metricTimedOut(sum));
    board.alarm(
      'ExecutionsAbortedAlarm',
      'Media pipeline executions were aborted (StopExecution or a redeploy); the watcher marks their media FAILED',
      stateMachine.metricAborted(sum),
    );
    board.alarm(
      'DeadLetterQueueAlarm',
      'Upload events could not be delivered to the media pipeline; they wait in the dead-letter queue',
      deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: FIVE_MINUTES,
        statistic: cloudwatch.Stats.MAXIMUM,
      }),
    );
    board.alarm(
      'DeadLetterQueueAgeAlarm',
      'An upload event has waited in the dead-letter queue for 3 days (it is lost after 14): re-drive it (README "Operations")',
      deadLetterQueue.metricApproximateAgeOfOldestMessage({
        period: FIVE_MINUTES,
        statistic: cloudwatch.Stats.MAXIMUM,
      }),
      DEAD_LETTER_AGE_ALARM.toSeconds(),
    );
    if (props.watcherDeadLetterQueue !== undefined) {
      board.alarm(
        'WatcherDeadLetterQueueAlarm',
        'The execution watcher could not settle a media after its retries; the status-change event waits in its dead-letter queue',
        props.watcherDeadLetterQueue.metricApproximateNumberOfMessagesVisible({
          period: FIVE_MINUTES,
          statistic: cloudwatch.Stats.MAXIMUM,
        }),
      );
    }
    if (props.sweeperDeadLetterQueue !== undefined) {
      board.alarm(
        'SweeperDeadLetterQueueAlarm',
        "EventBridge Scheduler could not invoke the sweeper after its retries; the invocation waits in the schedule's dead-letter queue",
        props.sweeperDeadLetterQueue.metricApproximateNumberOfMessagesVisible({
          period: FIVE_MINUTES,
          statistic: cloudwatch.Stats.MAXIMUM,
        }),
      );
      board.alarm(
        'StrandedMediaAlarm',
        'The sweeper settled media still PROCESSING after the pipeline timeout (FAILED PIPELINE_STRANDED): a run ended without the watcher settling it',
        new cloudwatch.Metric({
          namespace: props.metricsNamespace,
          metricName: 'StrandedClaimsSettled',
          dimensionsMap: { service: props.pipelineServiceName },
          ...sum,
        }),
      );
    }
    for (const step of steps) {
      board.alarm(
        `${step.name[0]?.toUpperCase() ?? ''}${step.name.slice(1)}ErrorsAlarm`,
        `The ${step.name} step failed repeatedly`,
        step.fn.function.metricErrors(sum),
        props.stepErrorThreshold ?? 5,
      );
    }
    const rekognitionThrottles = new cloudwatch.MathExpression({
      expression: 'FILL(labels, 0) + FILL(moderation, 0)',
      usingMetrics: {
        labels: rekognitionThrottled('DetectLabels'),
        moderation: rekognitionThrottled('DetectModerationLabels'),
      },
      period: FIVE_MINUTES,
      label: 'Rekognition throttled calls',
    });
    board.alarm(
      'RekognitionThrottlingAlarm',
      'Rekognition throttled DetectLabels or DetectModerationLabels calls',
      rekognitionThrottles,
    );

    const custom = (metricName: string, statistic: string = cloudwatch.Stats.SUM): cloudwatch.Metric =>
      new cloudwatch.Metric({
        namespace: props.metricsNamespace,
        metricName,
        dimensionsMap: { service: props.pipelineServiceName },
        period: FIVE_MINUTES,
        statistic,
      });
    board.dashboard.addWidgets(
      new cloudwatch.TextWidget({
        markdown: '# Pipeline runs\nUploads → thumbnail → labels ‖ moderation → record. Alarms notify the alarm topic.',
        width: 24,
        height: 2,
      }),
    );
    board.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Executions',
        width: 12,
        left: [
          stateMachine.metricStarted(sum),
          stateMachine.metricSucceeded(sum),
          stateMachine.metricFailed(sum),
          stateMachine.metricTimedOut(sum),
          stateMachine.metricAborted(sum),
          stateMachine.metricThrottled(sum),
        ],
      }),
      new cloudwatch.GraphWidget({
        title: 'Execution time (p50 / p90 / p99)',
        width: 12,
        left: percentiles((statistic) =>
          stateMachine.metricTime({ period: FIVE_MINUTES, statistic, label: statistic }),
        ),
      }),
    );
    board.dashboard.addWidgets(...functionGraphs('Step', steps));
    board.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Outcomes',
        width: 8,
        left: [custom('MediaProcessed'), custom('MediaRejected'), custom('MediaFailed'), custom('ModerationRejected')],
      }),
      new cloudwatch.GraphWidget({
        title: 'Rendition time (p50 / p99) and bytes',
        width: 8,
        left: [custom('RenditionTime', 'p50'), custom('RenditionTime', 'p99')],
        right: [custom('BytesIn'), custom('BytesOut')],
      }),
      new cloudwatch.GraphWidget({
        title: 'Dead-letter queue depth and Rekognition throttling',
        width: 8,
        left: [
          deadLetterQueue.metricApproximateNumberOfMessagesVisible({
            period: FIVE_MINUTES,
            statistic: cloudwatch.Stats.MAXIMUM,
          }),
        ],
        right: [rekognitionThrottles],
      }),
    );
    board.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        // Runs that ended at IgnoreDuplicate, by why the claim was refused: duplicate and superseded
        // deliveries are S3/EventBridge being at-least-once; reused upload forms and objects written
        // without a ticket (unissued) are clients going around POST /media/uploads. Both runs remove
        // what was written (a reused form's object by its version, in a versioned bucket).
        title: 'Refused claims by reason',
        width: 24,
        left: CLAIM_REFUSALS.map(
          (reason) =>
            new cloudwatch.Metric({
              namespace: props.metricsNamespace,
              metricName: 'ClaimsRefused',
              dimensionsMap: { service: props.pipelineServiceName, Reason: reason },
              period: FIVE_MINUTES,
              statistic: cloudwatch.Stats.SUM,
              label: reason,
            }),
        ),
      }),
    );
  }
}

function rekognitionThrottled(operation: string): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: 'AWS/Rekognition',
    metricName: 'ThrottledCount',
    dimensionsMap: { Operation: operation },
    period: FIVE_MINUTES,
    statistic: cloudwatch.Stats.SUM,
  });
}
