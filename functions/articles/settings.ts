import { defineSettings, originsSetting, textSetting } from '../shared/settings';
import { pageTokenSecretMaxAgeSetting } from './page-token-settings';

/** The articles function's environment (see ../shared/settings.ts). */
export const articlesSettings = defineSettings({
  articlesTableName: textSetting(),
  /** Read only, to check that a cover image is the author's own usable media. */
  mediaTableName: textSetting(),
  /**
   * The Secrets Manager secret (ARN) holding the HMAC key of the list page tokens (`nextToken`).
   * Only its name is configuration: the key itself is read at run time (./page-token-keys.ts).
   */
  pageTokenSecretId: textSetting(),
  /** Seconds a key read from the secret is reused: how long a rotation takes to reach every environment. */
  pageTokenSecretMaxAge: pageTokenSecretMaxAgeSetting(),
  /** Origins that get an Access-Control-Allow-Origin header. */
  allowedOrigins: originsSetting(),
});
