import { defineSettings, integerSetting } from '../shared/settings';

/** The thumbnail function's environment (see ../shared/settings.ts). */
export const thumbnailSettings = defineSettings({
  /** Largest decoded image, in pixels (sharp's `limitInputPixels`): 100 MP, a 12,000 × 8,000 photo and more. */
  maxInputPixels: integerSetting({ min: 1, max: 1_000_000_000, default: 100_000_000 }),
  /** Largest upload read into memory, in bytes (50 MiB); at most 1 GiB, well inside the function's memory. */
  maxInputBytes: integerSetting({ min: 1, max: 1024 ** 3, default: 50 * 1024 * 1024 }),
});
