import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { OWNER_INDEX } from '../../functions/api/media-records';
import { mediaSettings } from '../../functions/media/settings';
import { DERIVED_PREFIX, FAILED_PREFIX, UPLOAD_PREFIX } from '../../functions/shared/media';
import { uploadQuotaTable as uploadQuotaTableDefinition } from '../definitions/tables';
import { AppFunction } from './app-function';
import { apiFunctionDefaults, type ApiFunctionProps } from './api-function-defaults';
import { DefinedTable } from './defined-table';

/** Properties of a {@link MediaService}. */
export interface MediaServiceProps extends ApiFunctionProps {
  /** Media bucket: the media function signs POST uploads to `uploads/` and GET URLs under `derived/`. */
  readonly bucket: s3.IBucket;
  /** Media table: the media function writes PENDING records and reads them back. */
  readonly mediaTable: dynamodb.ITable;
  /** HMAC key of the list page tokens (the articles service's): `GET /media?owner=me` signs its `nextToken` with it. */
  readonly pageTokenSecret: secretsmanager.ISecret;
}

/**
 * The media service: the upload-quota table and the function behind the media routes
 * (`fn: 'media'` in `functions/api/routes.ts`), the only role that may sign for the bucket, count
 * uploads against the daily quota, and erase a media's objects.
 *
 * It adds its resources to the API construct's scope rather than a construct level of its own:
 * their logical ids stay the ones the stack was first deployed with
 * (test/infra/stateful-resources.test.ts), so no table, pool or log group is replaced.
 */
export class MediaService {
  /** Upload counters per owner and UTC day (daily upload quota); only the media function may touch it. */
  public readonly uploadQuotaTable: dynamodb.Table;
  /** The function behind the media routes. */
  public readonly fn: AppFunction;

  constructor(scope: Construct, props: MediaServiceProps) {
    const { config, bucket, mediaTable, pageTokenSecret } = props;
    // Counters of the daily upload quota, expired by TTL a day after their day ends.
    this.uploadQuotaTable = new DefinedTable(scope, uploadQuotaTableDefinition.id, {
      definition: uploadQuotaTableDefinition,
      removalPolicy: config.removalPolicy,
    }).table;

    // Upload URLs and media views: POST /media/uploads counts the upload against the owner's daily
    // quota (one conditional UpdateItem, its only right on the quota table), puts the
    // PENDING record and signs a POST under uploads/; GET /media/{id} gets the record and signs
    // GETs under derived/; GET /media?owner=me queries the byOwner index; DELETE /media/{id} marks
    // the record DELETING (PutItem), erases every version of the media's objects (the only role
    // that may delete object versions) and deletes the record (the only role with DeleteItem there).
    this.fn = new AppFunction(scope, 'Media', {
      ...apiFunctionDefaults(props),
      name: 'media',
      serviceName: `${config.serviceName}-${config.stage}-media-api`,
      settings: mediaSettings.toEnv({
        mediaTableName: mediaTable.tableName,
        uploadQuotaTableName: this.uploadQuotaTable.tableName,
        mediaBucketName: bucket.bucketName,
        maxUploadBytes: config.maxUploadBytes,
        allowedOrigins: config.allowedOrigins,
        dailyUploadQuota: config.dailyUploadQuota,
        pageTokenSecretId: pageTokenSecret.secretArn,
      }),
    })
      .allowTable(mediaTable, ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem'])
      .allowTable(this.uploadQuotaTable, ['dynamodb:UpdateItem'])
      // Signing a presigned POST needs the signer to hold s3:PutObject on the key it signs for.
      .allowObjects(bucket, UPLOAD_PREFIX, ['s3:PutObject', 's3:DeleteObjectVersion'])
      .allowObjects(bucket, DERIVED_PREFIX, ['s3:GetObject', 's3:DeleteObjectVersion'])
      .allowObjects(bucket, FAILED_PREFIX, ['s3:DeleteObjectVersion'])
      .allowListing(bucket, 's3:ListBucketVersions', [UPLOAD_PREFIX, DERIVED_PREFIX, FAILED_PREFIX])
      // GET /media?owner=me signs its nextToken with the articles listing's key (another context).
      .allowSecretRead(pageTokenSecret);
    // The owner's listing only: the held-claim index is the sweeper's.
    this.fn.allowIndexQuery(mediaTable, OWNER_INDEX);
  }
}
