import { CfnResource, Duration, Lazy, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { expiringPrefixes, type MediaRetention } from '../definitions/retention';
import { BUCKET_CORS_RULE } from '../definitions/cors';

/** Properties of a {@link MediaBucket}. */
export interface MediaBucketProps {
  /** Origins whose browsers may POST uploads (presigned POST) and GET renditions. */
  readonly allowedOrigins: readonly string[];
  /** What happens to the buckets when the stack is deleted. */
  readonly removalPolicy: RemovalPolicy;
  /**
   * Keep prior object versions, so a mistaken delete or overwrite can be undone within
   * `retention.noncurrentVersionDays`.
   * @default true
   */
  readonly versioned?: boolean;
  /** Days until quarantined and failed originals and noncurrent versions expire (infra/definitions/retention.ts). */
  readonly retention: MediaRetention;
  /**
   * Days after which server access logs are deleted.
   * @default 90
   */
  readonly accessLogRetentionDays?: number;
}

/**
 * The media bucket: private (all public access blocked, TLS-only bucket policy), encrypted with
 * S3-managed keys (so readers and writers need no KMS permissions), "Object Created" events sent
 * to EventBridge, incomplete multipart uploads cleaned up, CORS only for the configured origins,
 * and server access logs in a second bucket of its own.
 *
 * A destroyed stage (removal policy DESTROY, dev) empties both buckets on stack delete: CDK's
 * `Custom::S3AutoDeleteObjects` provider deletes every object version, which CloudFormation cannot
 * do (it fails with BucketNotEmpty on a bucket holding any version or delete marker). A retained
 * stage (prod) has no auto-delete: its buckets outlive the stack with their contents.
 */
export class MediaBucket extends Construct {
  /** The media bucket: `uploads/` from users, `derived/` from the pipeline. */
  public readonly bucket: s3.Bucket;
  /** Server access logs of the media bucket. */
  public readonly accessLogsBucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: MediaBucketProps) {
    super(scope, id);
    const versioned = props.versioned ?? true;
    const autoDeleteObjects = props.removalPolicy === RemovalPolicy.DESTROY;

    this.accessLogsBucket = new s3.Bucket(this, 'AccessLogsBucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      // The S3 log delivery service writes only to SSE-S3 buckets.
      encryption: s3.BucketEncryption.S3_MANAGED,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [
        {
          expiration: Duration.days(props.accessLogRetentionDays ?? 90),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      removalPolicy: props.removalPolicy,
      autoDeleteObjects,
    });

    this.bucket = new s3.Bucket(this, 'Bucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      encryption: s3.BucketEncryption.S3_MANAGED,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: 'media/',
      lifecycleRules: [
        { id: 'AbortIncompleteUploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
        // Quarantined (REJECTED) and failed originals: kept for review, then gone.
        ...expiringPrefixes(props.retention).map(({ prefix, days }) => ({
          id: `Expire-${prefix.replace(/\/$/, '')}`,
          prefix,
          expiration: Duration.days(days),
        })),
        // The undo window of a versioned bucket: a deleted or overwritten object stays recoverable
        // this long; delete markers left with no version behind them are cleaned up too.
        ...(versioned
          ? [
              {
                id: 'ExpireNoncurrentVersions',
                noncurrentVersionExpiration: Duration.days(props.retention.noncurrentVersionDays),
                expiredObjectDeleteMarker: true,
              },
            ]
          : []),
      ],
      cors: [
        {
          // Browsers upload with the presigned POST form and read renditions with signed GET URLs.
          allowedMethods: BUCKET_CORS_RULE.allowedMethods.map((method) => s3.HttpMethods[method]),
          allowedOrigins: [...props.allowedOrigins],
          allowedHeaders: [...BUCKET_CORS_RULE.allowedHeaders],
          maxAge: BUCKET_CORS_RULE.maxAgeSeconds,
        },
      ],
      removalPolicy: props.removalPolicy,
      autoDeleteObjects,
    });

    // EventBridge notifications set on the bucket resource itself. The `eventBridgeEnabled`
    // prop would do it through a custom resource: one more Lambda whose role carries the
    // AWSLambdaBasicExecutionRole managed policy and s3:PutBucketNotification.
    const cfnBucket = this.bucket.node.defaultChild as s3.CfnBucket;
    cfnBucket.notificationConfiguration = { eventBridgeConfiguration: { eventBridgeEnabled: true } };

    if (autoDeleteObjects) tagAutoDeleteProvider(Stack.of(this), cfnBucket);
  }
}

/** The construct id of CDK's auto-delete provider, one per stack (aws-cdk-lib/aws-s3). */
const AUTO_DELETE_PROVIDER_ID = 'Custom::S3AutoDeleteObjectsCustomResourceProvider';

/**
 * CDK makes the auto-delete provider's role and function as plain CfnResources, which tag aspects
 * cannot reach: they get the tags of the bucket they empty (Component, Service, Environment), as
 * the bucket holds them once the app's aspects have run, without CDK's own `aws-cdk:` marker.
 */
function tagAutoDeleteProvider(stack: Stack, bucket: s3.CfnBucket): void {
  const provider = stack.node.tryFindChild(AUTO_DELETE_PROVIDER_ID);
  if (provider === undefined) throw new Error(`No ${AUTO_DELETE_PROVIDER_ID} in ${stack.stackName}`);
  // renderTags gives the tags as CDK holds them ({ key, value }), before they are rendered for CloudFormation.
  const tags = Lazy.any({
    produce: () =>
      ((bucket.tags.renderTags() ?? []) as { key: string; value: string }[])
        .filter((tag) => !tag.key.startsWith('aws-cdk:'))
        .map((tag) => ({ Key: tag.key, Value: tag.value })),
  });
  for (const child of provider.node.children) {
    if (child instanceof CfnResource && ['AWS::IAM::Role', 'AWS::Lambda::Function'].includes(child.cfnResourceType))
      child.addPropertyOverride('Tags', tags);
  }
}
