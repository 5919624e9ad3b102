import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import {
  type AlarmBoard,
  FIVE_MINUTE_SUM as sum,
  FIVE_MINUTES,
  functionGraphs,
  type ObservedFunction,
  percentiles,
} from './alarm-board';

/** What {@link ApiMonitoring} watches. */
export interface ApiMonitoringProps {
  /** The API stage whose 4xx, 5xx and latency are shown; its 5xx are alarmed on. */
  readonly apiStage: apigw.Stage;
  /**
   * The functions behind the API (articles, media), shown beside the stage. Their failures reach
   * clients as 5xx, so the stage's 5xx alarm already covers them.
   * @default - none shown
   */
  readonly apiFunctions?: readonly ObservedFunction[];
}

/** The API's alarm (5xx answers) and its rows of the dashboard: errors, latency, its functions. */
export class ApiMonitoring {
  constructor(board: AlarmBoard, props: ApiMonitoringProps) {
    const { apiStage } = props;
    board.alarm(
      'ApiServerErrorsAlarm',
      'The REST API (articles and media functions) answered with 5xx',
      apiStage.metricServerError(sum),
    );
    board.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'API errors',
        width: 12,
        left: [apiStage.metricClientError(sum), apiStage.metricServerError(sum)],
      }),
      new cloudwatch.GraphWidget({
        title: 'API latency (p50 / p90 / p99)',
        width: 12,
        left: percentiles((statistic) => apiStage.metricLatency({ period: FIVE_MINUTES, statistic, label: statistic })),
      }),
    );
    const apiFunctions = props.apiFunctions ?? [];
    if (apiFunctions.length > 0) {
      board.dashboard.addWidgets(...functionGraphs('API function', apiFunctions));
    }
  }
}
