import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { AppConfig } from '../config';
import { DefinedTable } from '../constructs/defined-table';
import { MediaBucket } from '../constructs/media-bucket';
import { MediaPipeline } from '../constructs/media-pipeline';
import { Observability } from '../constructs/observability';
import { TravelGuideApi } from '../constructs/travel-guide-api';
import { STACK_OUTPUTS, type StackOutputName, type StackOutputs } from '../definitions/stack-outputs';
import { mediaTable } from '../definitions/tables';

/** Properties of a {@link TravelGuideStack}. */
export interface TravelGuideStackProps extends StackProps {
  /** The stage's configuration. */
  readonly config: AppConfig;
  /**
   * Folder holding `package-lock.json`, `node_modules` and `functions/<name>/handler.ts`.
   * @default the repository root
   */
  readonly projectRoot?: string;
}

/**
 * One stage of the travel guide backend, deployed as one unit so that nothing crosses a stack
 * boundary (no exports to untangle on delete):
 *
 *   media bucket ── "Object Created" (uploads/) ──► EventBridge rule ──► state machine
 *        ▲                                             │ (DLQ)           thumbnail → labels ‖ moderation → record
 *        └── presigned POST ◄── media fn ◄──┐                                             │
 *                                  REST API ──┤                             media table ◄──┘
 *           articles table ◄── articles fn ◄──┘
 */
export class TravelGuideStack extends Stack {
  /** The media bucket and its access-log bucket. */
  public readonly media: MediaBucket;
  /** One media record per upload. */
  public readonly mediaTable: DefinedTable;
  /** Rule, state machine and the four step functions. */
  public readonly pipeline: MediaPipeline;
  /** The API: its users (Cognito), the articles and media services, and the REST API. */
  public readonly api: TravelGuideApi;
  /** Dashboard, alarms and the alarm topic, of the pipeline and the API. */
  public readonly observability: Observability;

  constructor(scope: Construct, id: string, props: TravelGuideStackProps) {
    super(scope, id, props);
    const { config } = props;

    this.media = new MediaBucket(this, 'Media', {
      allowedOrigins: config.allowedOrigins,
      removalPolicy: config.removalPolicy,
      versioned: config.bucketVersioning,
      retention: {
        quarantineDays: config.quarantineDays,
        failedUploadDays: config.failedUploadDays,
        noncurrentVersionDays: config.noncurrentVersionDays,
      },
    });
    this.mediaTable = new DefinedTable(this, mediaTable.id, {
      definition: mediaTable,
      removalPolicy: config.removalPolicy,
    });

    this.pipeline = new MediaPipeline(this, 'Pipeline', {
      config,
      bucket: this.media.bucket,
      mediaTable: this.mediaTable.table,
      ...(props.projectRoot !== undefined ? { projectRoot: props.projectRoot } : {}),
    });

    this.api = new TravelGuideApi(this, 'Articles', {
      config,
      bucket: this.media.bucket,
      mediaTable: this.mediaTable.table,
      ...(props.projectRoot !== undefined ? { projectRoot: props.projectRoot } : {}),
    });

    const { pipeline } = this;
    this.observability = new Observability(this, 'Observability', {
      pipeline: {
        stateMachine: pipeline.stateMachine,
        steps: [
          { name: 'thumbnail', fn: pipeline.thumbnail },
          { name: 'labels', fn: pipeline.labels },
          { name: 'moderation', fn: pipeline.moderation },
          { name: 'record', fn: pipeline.record },
          { name: 'watcher', fn: pipeline.watcher },
          { name: 'sweeper', fn: pipeline.sweeper.fn },
          { name: 'takedown', fn: pipeline.takedown },
        ],
        watcherDeadLetterQueue: pipeline.watcherDeadLetterQueue,
        sweeperDeadLetterQueue: pipeline.sweeper.deadLetterQueue,
        deadLetterQueue: pipeline.deadLetterQueue,
        metricsNamespace: config.serviceName,
        pipelineServiceName: pipeline.serviceName,
      },
      api: {
        apiStage: this.api.gateway.restApi.deploymentStage,
        apiFunctions: [
          { name: 'articles', fn: this.api.articles.fn },
          { name: 'media', fn: this.api.media.fn },
        ],
      },
      ...(config.alarmEmail !== undefined ? { alarmEmail: config.alarmEmail } : {}),
    });

    const outputs: StackOutputs = {
      apiUrl: this.api.gateway.restApi.url,
      userPoolId: this.api.users.userPool.userPoolId,
      userPoolClientId: this.api.users.userPoolClient.userPoolClientId,
      mediaBucketName: this.media.bucket.bucketName,
      stateMachineArn: this.pipeline.stateMachine.stateMachineArn,
      mediaTableName: this.mediaTable.table.tableName,
      uploadDeadLetterQueueUrl: this.pipeline.deadLetterQueue.queueUrl,
      alarmTopicArn: this.observability.alarmTopic.topicArn,
    };
    for (const [name, value] of Object.entries(outputs)) {
      new CfnOutput(this, STACK_OUTPUTS[name as StackOutputName], { value });
    }
  }
}
