import { defineSettings, originsSetting, textSetting } from '../shared/settings';

/** The articles function's environment (see ../shared/settings.ts). */
export const articlesSettings = defineSettings({
  articlesTableName: textSetting(),
  /** Read only, to check that a cover image is the author's own usable media. */
  mediaTableName: textSetting(),
  /** HMAC key of the list page tokens (`nextToken`). */
  pageTokenSecret: textSetting(),
  /** Origins that get an Access-Control-Allow-Origin header. */
  allowedOrigins: originsSetting(),
});
