import { defineSettings, integerSetting, textSetting } from '../shared/settings';

/** The sweeper's environment (see ../shared/settings.ts). */
export const sweeperSettings = defineSettings({
  /** The media table: the sweeper queries its held-claim index and settles what it finds. */
  mediaTableName: textSetting(),
  /**
   * A claim older than this many seconds is stranded: no execution can still hold it. Written by
   * the stack as the state machine's timeout plus a margin (`strandedClaimAgeSeconds` in
   * infra/definitions/pipeline.ts, the one source); the twin's tests set a few seconds.
   */
  strandedClaimAgeSeconds: integerSetting({ min: 1, max: 7 * 24 * 60 * 60 }),
  /** At most this many media settled per run: a run's work is bounded, the next run takes the rest. */
  sweepMaxMedia: integerSetting({ min: 1, max: 1000, default: 200 }),
});
