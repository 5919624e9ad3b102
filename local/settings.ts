import { STAGE_ALLOWED_ORIGINS } from '../infra/definitions/cors';
import { articlesTable, mediaTable, uploadQuotaTable } from '../infra/definitions/tables';

/**
 * Names the twin gives to the resources that CDK names on AWS. They are fixed (not random) so that
 * `--data-dir` finds the same bucket and tables on the next start and so that the README's
 * `aws --endpoint-url` commands work as written.
 */
export const LOCAL_ACCOUNT_ID = '000000000000';
export const DEFAULT_REGION = 'eu-west-1';
export const MEDIA_BUCKET_NAME = 'travel-guide-media-local';
export const MEDIA_TABLE_NAME = `travel-guide-local-${mediaTable.id}`;
export const ARTICLES_TABLE_NAME = `travel-guide-local-${articlesTable.id}`;
export const UPLOAD_QUOTA_TABLE_NAME = `travel-guide-local-${uploadQuotaTable.id}`;
/** The secret holding the page-token HMAC key in the twin's Secrets Manager. */
export const PAGE_TOKEN_SECRET_NAME = 'travel-guide-local-page-token';
/** Browser origins that get CORS headers: the dev stage's (infra/config.ts `allowedOrigins`). */
export const DEFAULT_ALLOWED_ORIGINS: readonly string[] = STAGE_ALLOWED_ORIGINS.dev;
/** The twin's S3 knows only this access key (local/emulators/s3-auth.ts verifies its signatures); dynalite accepts any. */
export const EMULATOR_ACCESS_KEY_ID = 'S3RVER';
export const EMULATOR_SECRET_ACCESS_KEY = 'S3RVER';
/** Loopback only: the twin is a development tool and must not be reachable from the network. */
export const LOOPBACK = '127.0.0.1';
