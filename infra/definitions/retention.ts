import { integerSetting } from '../../functions/shared/settings';
import { FAILED_PREFIX, QUARANTINE_PREFIX } from '../../functions/shared/media';

/**
 * How long the media bucket keeps what is no longer served, written once: the CDK bucket's
 * lifecycle rules are built from it, and the local twin's lifecycle command (POST
 * /_local/lifecycle) applies the same rules to its S3. Days count from the object's last write,
 * as S3's lifecycle counts them.
 */

/** Days a retention may be set to (S3 accepts any positive number; ten years bounds a typo). */
export const retentionDays = (fallback: number) => integerSetting({ min: 1, max: 3650, default: fallback });

/** The retention settings and their defaults (context keys of the same names). */
export const RETENTION_SETTINGS = {
  /** Original of REJECTED media under quarantine/, kept for review or appeal. */
  quarantineDays: retentionDays(30),
  /** Original of FAILED media under failed/, kept for support questions. */
  failedUploadDays: retentionDays(7),
  /** Noncurrent versions (a deleted or overwritten object) in the versioned bucket: the undo window. */
  noncurrentVersionDays: retentionDays(30),
} as const;

export interface MediaRetention {
  quarantineDays: number;
  failedUploadDays: number;
  noncurrentVersionDays: number;
}

/** The prefixes whose objects expire, with their days. */
export function expiringPrefixes(retention: MediaRetention): { prefix: string; days: number }[] {
  return [
    { prefix: QUARANTINE_PREFIX, days: retention.quarantineDays },
    { prefix: FAILED_PREFIX, days: retention.failedUploadDays },
  ];
}
