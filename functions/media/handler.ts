import { randomUUID } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { S3ClientConfig } from '@aws-sdk/client-s3';
import { documentClient } from '../shared/dynamodb-client';
import { newS3Client, s3Client } from '../shared/s3-client';
import { logger as sharedLogger } from '../shared/powertools';
import { jsonResponse, noContent, parseWith, readJsonObject } from '../api/http';
import { ValidationError } from '../api/errors';
import { listParameters } from '../api/list-query';
import { DynamoMediaStore } from '../api/media-records';
import type { Clock, IdGenerator, MediaStore } from '../api/ports';
import { createRestHandler, pathId, required } from '../api/rest-handler';
import type { ApiHandler } from '../api/rest-handler';
import { OWNER_MEDIA_LISTING, PageTokenCodec, type PageTokenKeys } from '../articles/page-token';
import { SecretsManagerPageTokenKeys } from '../articles/page-token-keys';
import { secretsManagerClient } from '../shared/secrets-manager-client';
import { DynamoUploadQuota } from './dynamodb-upload-quota';
import { MediaService } from './media-service';
import type { DownloadSigner, MediaObjectEraser, UploadSigner } from './ports';
import { S3MediaObjectEraser } from './s3-media-objects';
import { S3DownloadSigner, S3UploadSigner } from './s3-signers';
import type { S3SignerOptions } from './s3-signers';
import { createUploadSchema } from './schemas';
import { mediaSettings } from './settings';
import type { SettingsOf } from '../shared/settings';
import type { UploadQuota } from './upload-quota';

/**
 * The media function: POST /media/uploads, GET /media/{id}, GET /media?owner=me and
 * DELETE /media/{id} of the REST API (docs/design.md), behind API Gateway (REST, Lambda proxy). It is
 * the only API function that signs for the media bucket; it signs with the SDK's presigners
 * (./s3-signers.ts), and only DELETE sends S3 requests, to erase a media's objects. This module is
 * the thin seam: it reads and validates inputs and calls the media service; dispatch, the caller
 * check and the error shape are the REST API's shared seam (../api/rest-handler.ts).
 */

/**
 * What the handler needs of the function's settings (./settings.ts holds the defaults and bounds).
 * `dailyUploadQuota` is read by awsDependencies() to build the DynamoDB quota; a handler built with
 * createHandler takes its limit from the `uploadQuota` it is given.
 */
export type MediaSettings = Pick<
  SettingsOf<typeof mediaSettings>,
  'maxUploadBytes' | 'uploadUrlTtlSeconds' | 'downloadUrlTtlSeconds' | 'allowedOrigins' | 'dailyUploadQuota'
>;

export interface MediaHandlerDeps {
  media: MediaStore;
  uploadSigner: UploadSigner;
  downloadSigner: DownloadSigner;
  /** Counts uploads per owner and UTC day (the limit is the adapter's). */
  uploadQuota: UploadQuota;
  /** Deletes every object version of a media (DELETE /media/{id}). */
  objects: MediaObjectEraser;
  /** The HMAC keys of the listing's `nextToken`: read from Secrets Manager at run time, cached. */
  pageTokenKeys: PageTokenKeys;
  settings: MediaSettings;
  /** @default the system clock */
  clock?: Clock;
  /** @default crypto.randomUUID */
  ids?: IdGenerator;
  /** @default the shared Powertools logger */
  logger?: Logger;
}

export type MediaHandler = ApiHandler;

export function createHandler(deps: MediaHandlerDeps): MediaHandler {
  const { settings } = deps;
  const media = new MediaService({
    media: deps.media,
    uploadSigner: deps.uploadSigner,
    downloadSigner: deps.downloadSigner,
    uploadQuota: deps.uploadQuota,
    objects: deps.objects,
    pageTokens: new PageTokenCodec(deps.pageTokenKeys, OWNER_MEDIA_LISTING),
    clock: deps.clock ?? { now: () => new Date() },
    ids: deps.ids ?? { newId: () => randomUUID() },
    settings: {
      maxUploadBytes: settings.maxUploadBytes,
      uploadUrlTtlSeconds: settings.uploadUrlTtlSeconds,
      downloadUrlTtlSeconds: settings.downloadUrlTtlSeconds,
    },
  });

  return createRestHandler<'media'>({
    fn: 'media',
    allowedOrigins: settings.allowedOrigins,
    logger: deps.logger ?? sharedLogger,
    operations: {
      'POST /media/uploads': async ({ event, userId }) => {
        const input = parseWith(createUploadSchema, readJsonObject(event));
        return jsonResponse(201, await media.createUpload(required(userId), input));
      },
      'GET /media/{id}': async ({ event }) => jsonResponse(200, await media.view(pathId(event))),
      'GET /media': async ({ event, userId }) => {
        const { limit, nextToken, extra } = listParameters(event, ['owner']);
        // Only one's own media can be listed; `owner=me` says so explicitly, leaving room for
        // other listings later without changing what this one means.
        if (extra.owner !== 'me')
          throw new ValidationError('owner', 'must be "me" (only your own media can be listed)');
        return jsonResponse(200, await media.listOwn(required(userId), limit, nextToken));
      },
      'DELETE /media/{id}': async ({ event, userId }) => {
        await media.delete(required(userId), pathId(event));
        return noContent();
      },
    },
  });
}

/**
 * The AWS wiring, from the function's environment (./settings.ts, written by the CDK construct or
 * the local twin): the media table, the upload-quota table, the media bucket and the page-token
 * secret (the role may only GetSecretValue on it). The signers sign
 * with the shared S3 client, whose default credential chain (on Lambda: the role's credentials
 * from the environment) memoises what it resolves and resolves again shortly before an
 * expiration. `credentials` gives the signers a client of their own with those credentials
 * instead (the local twin gives each function its own key, so a presigned request names the role
 * that signed it).
 */
export function awsDependencies(options: { credentials?: S3ClientConfig['credentials'] } = {}): MediaHandlerDeps {
  const {
    mediaTableName,
    uploadQuotaTableName,
    mediaBucketName,
    pageTokenSecretId,
    pageTokenSecretMaxAge,
    ...settings
  } = mediaSettings.fromEnv();
  const signing: S3SignerOptions = {
    s3: options.credentials === undefined ? s3Client() : newS3Client({ credentials: options.credentials }),
    bucket: mediaBucketName,
  };
  return {
    media: new DynamoMediaStore(documentClient(), mediaTableName),
    uploadSigner: new S3UploadSigner(signing),
    downloadSigner: new S3DownloadSigner(signing),
    uploadQuota: new DynamoUploadQuota(documentClient(), uploadQuotaTableName, settings.dailyUploadQuota),
    // The erasure's requests go through the shared client, under the function's own role.
    objects: new S3MediaObjectEraser(s3Client(), mediaBucketName),
    pageTokenKeys: new SecretsManagerPageTokenKeys({
      client: secretsManagerClient(),
      secretId: pageTokenSecretId,
      maxAgeSeconds: pageTokenSecretMaxAge,
    }),
    settings,
  };
}

let lambdaHandler: MediaHandler | undefined;

/**
 * What Lambda calls. Wired on the first invocation rather than at import, so tests and the local
 * twin can import `createHandler` without this function's environment; a missing variable still
 * fails that first invocation loudly.
 */
export const handler: MediaHandler = (event, context) => {
  lambdaHandler ??= createHandler(awsDependencies());
  return lambdaHandler(event, context);
};
