import { defineSettings, textSetting } from '../shared/settings';

/** The record function's environment (see ../shared/settings.ts). */
export const recordSettings = defineSettings({
  /** The media table: one record per upload. */
  mediaTableName: textSetting(),
});
