import { defineSettings, textSetting } from '../shared/settings';

/** The execution watcher's environment (see ../shared/settings.ts). */
export const watcherSettings = defineSettings({
  /** The media table: the watcher settles records of runs that ended without settling them. */
  mediaTableName: textSetting(),
});
