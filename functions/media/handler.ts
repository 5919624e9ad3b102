import { randomUUID } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { documentClient } from '../shared/dynamodb-client';
import { requireEnv } from '../shared/config';
import { logger as sharedLogger } from '../shared/powertools';
import { jsonResponse, parseWith, readJsonObject } from '../api/http';
import { DynamoMediaStore } from '../api/media-records';
import type { Clock, IdGenerator, MediaStore } from '../api/ports';
import { allowedOriginsFromEnv, createRestHandler, pathId, required } from '../api/rest-handler';
import type { ApiHandler } from '../api/rest-handler';
import { DynamoUploadQuota } from './dynamodb-upload-quota';
import { MediaService } from './media-service';
import type { DownloadSigner, UploadSigner } from './ports';
import { s3AddressingFromEnv } from './s3-addressing';
import { S3DownloadSigner, S3UploadSigner } from './s3-signers';
import type { S3SignerOptions } from './s3-signers';
import { createUploadSchema } from './schemas';
import { DAILY_UPLOAD_QUOTA_RANGE } from './upload-quota';
import type { UploadQuota } from './upload-quota';

/**
 * The media function: POST /media/uploads and GET /media/{id} of the REST API (DESIGN.md),
 * behind API Gateway (REST, Lambda proxy). It is the only API function that signs for the media
 * bucket, and it does so without an S3 client: it never calls S3 (./s3-signers.ts). This module is
 * the thin seam: it reads and validates inputs and calls the media service; dispatch, the caller
 * check and the error shape are the REST API's shared seam (../api/rest-handler.ts).
 */

export interface MediaSettings {
  /** MAX_UPLOAD_BYTES, 1 to 5 GiB. @default 20971520 */
  maxUploadBytes: number;
  /** UPLOAD_URL_TTL_SECONDS, 1 to 604800 (a week). @default 300 */
  uploadUrlTtlSeconds: number;
  /** DOWNLOAD_URL_TTL_SECONDS, 1 to 604800 (a week). @default 300 */
  downloadUrlTtlSeconds: number;
  /** ALLOWED_ORIGINS: origins that get an Access-Control-Allow-Origin header. @default none */
  allowedOrigins: readonly string[];
  /**
   * DAILY_UPLOAD_QUOTA: upload URLs one owner may get per UTC day, 1 to 1,000,000. @default 100
   * Read by awsDependencies() to build the DynamoDB quota; a handler built with createHandler
   * takes its limit from the `uploadQuota` it is given.
   */
  dailyUploadQuota: number;
}

export interface MediaHandlerDeps {
  media: MediaStore;
  uploadSigner: UploadSigner;
  downloadSigner: DownloadSigner;
  /** Counts uploads per owner and UTC day (the limit is the adapter's). */
  uploadQuota: UploadQuota;
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
    },
  });
}

/**
 * Bounds of the numeric settings, checked when the function is wired so that a bad value fails
 * the first invocation naming the variable, instead of failing later on one kind of request.
 */
const SETTING_RANGES = {
  /** A POST to S3 stores at most 5 GiB. */
  MAX_UPLOAD_BYTES: { min: 1, max: 5 * 1024 ** 3 },
  /** SigV4 presigned requests live at most a week; the upload form is held to the same bound. */
  UPLOAD_URL_TTL_SECONDS: { min: 1, max: 604_800 },
  /** The presigner refuses a GET URL valid for more than a week, which would fail every view of READY media. */
  DOWNLOAD_URL_TTL_SECONDS: { min: 1, max: 604_800 },
  /** Zero would refuse every upload; the bound is shared with the CDK config. */
  DAILY_UPLOAD_QUOTA: DAILY_UPLOAD_QUOTA_RANGE,
} as const;

type RangedSetting = keyof typeof SETTING_RANGES;

function integerInRange(name: RangedSetting, fallback: number): number {
  const { min, max } = SETTING_RANGES[name];
  const raw = process.env[name]?.trim();
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new Error(`Environment variable ${name} must be an integer from ${min} to ${max}, got "${raw ?? ''}"`);
  }
  return value;
}

/** Reads the function's environment (set by the CDK construct or the local twin). */
export function settingsFromEnv(): MediaSettings {
  return {
    maxUploadBytes: integerInRange('MAX_UPLOAD_BYTES', 20_971_520),
    uploadUrlTtlSeconds: integerInRange('UPLOAD_URL_TTL_SECONDS', 300),
    downloadUrlTtlSeconds: integerInRange('DOWNLOAD_URL_TTL_SECONDS', 300),
    allowedOrigins: allowedOriginsFromEnv(),
    dailyUploadQuota: integerInRange('DAILY_UPLOAD_QUOTA', 100),
  };
}

/**
 * The AWS wiring: the media table, the upload-quota table and the media bucket named by the
 * environment. The signers get the SDK's default credential chain (on Lambda: the role's
 * credentials from the environment), which memoises what it resolves and resolves again shortly
 * before an expiration.
 */
export function awsDependencies(): MediaHandlerDeps {
  const signing: S3SignerOptions = {
    bucket: requireEnv('MEDIA_BUCKET_NAME'),
    addressing: s3AddressingFromEnv(process.env),
    credentials: defaultProvider(),
  };
  const settings = settingsFromEnv();
  return {
    media: new DynamoMediaStore(documentClient(), requireEnv('MEDIA_TABLE_NAME')),
    uploadSigner: new S3UploadSigner(signing),
    downloadSigner: new S3DownloadSigner(signing),
    uploadQuota: new DynamoUploadQuota(documentClient(), requireEnv('UPLOAD_QUOTA_TABLE_NAME'), settings.dailyUploadQuota),
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
