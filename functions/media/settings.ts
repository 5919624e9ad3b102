import { pageTokenSecretMaxAgeSetting } from '../articles/page-token-settings';
import { defineSettings, integerSetting, originsSetting, textSetting } from '../shared/settings';

/** The media function's environment (see ../shared/settings.ts). */
export const mediaSettings = defineSettings({
  mediaTableName: textSetting(),
  /** Upload counters per owner and UTC day. */
  uploadQuotaTableName: textSetting(),
  /** The bucket the presigned POSTs and GET URLs are signed for. */
  mediaBucketName: textSetting(),
  /** Largest upload the API signs a POST policy for, in bytes (20 MiB); a POST to S3 stores at most 5 GiB. */
  maxUploadBytes: integerSetting({ min: 1, max: 5 * 1024 ** 3, default: 20 * 1024 * 1024 }),
  /** Lifetime of the upload form; SigV4 presigned requests live at most a week, and the form is held to the same bound. */
  uploadUrlTtlSeconds: integerSetting({ min: 1, max: 604_800, default: 300 }),
  /** Lifetime of the rendition GET URLs; the presigner refuses more than a week. */
  downloadUrlTtlSeconds: integerSetting({ min: 1, max: 604_800, default: 300 }),
  /** Origins that get an Access-Control-Allow-Origin header. */
  allowedOrigins: originsSetting(),
  /**
   * Upload URLs one owner may get per UTC day (POST /media/uploads answers 429 beyond it). Each
   * upload costs two Rekognition calls and anyone may sign up, so this bounds what one account can
   * spend; zero would refuse every upload.
   */
  dailyUploadQuota: integerSetting({ min: 1, max: 1_000_000, default: 100 }),
  /**
   * The Secrets Manager secret (ARN) holding the HMAC key of the `nextToken` of GET /media?owner=me:
   * the articles function's secret, whose key signs this listing under another context. The key
   * itself is read at run time (../articles/page-token-keys.ts).
   */
  pageTokenSecretId: textSetting(),
  /** Seconds a key read from the secret is reused (as the articles function's setting of the same name). */
  pageTokenSecretMaxAge: pageTokenSecretMaxAgeSetting(),
});
