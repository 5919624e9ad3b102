import { defineSettings, integerSetting, percentSetting } from '../shared/settings';

/** The labels function's environment (see ../shared/settings.ts). */
export const labelsSettings = defineSettings({
  /** Labels below this confidence (percent) are dropped; 0 keeps whatever the detector returns. */
  labelsMinConfidence: percentSetting({ default: 70, aboveZero: false }),
  /** At most this many labels are kept per image. */
  labelsMax: integerSetting({ min: 1, max: 1000, default: 20 }),
});
