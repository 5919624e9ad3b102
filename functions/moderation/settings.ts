import { defineSettings, percentSetting } from '../shared/settings';

/** The moderation function's environment (see ../shared/settings.ts). */
export const moderationSettings = defineSettings({
  /** A moderation label at or above this confidence (percent) rejects the image; 0 would reject everything. */
  moderationMinConfidence: percentSetting({ default: 80, aboveZero: true }),
});
