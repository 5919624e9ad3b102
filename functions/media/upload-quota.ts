import { UploadQuotaExceededError } from '../api/errors';

/**
 * The daily upload quota. Every upload that reaches the pipeline costs two Rekognition calls
 * (labels and moderation), and anyone may sign up, so each owner may ask for at most a fixed
 * number of upload URLs per UTC day. Pure: the counting itself is behind {@link UploadQuota}
 * (the DynamoDB adapter is ./dynamodb-upload-quota.ts).
 */

const DAY_MS = 86_400_000;

/** The UTC day an upload counts against. */
export interface QuotaDay {
  /** `yyyy-mm-dd` (UTC). */
  day: string;
  /** The next UTC midnight, when the day's count stops mattering. */
  resetsAt: Date;
  /**
   * Epoch seconds after which the counter may be deleted (the table's TTL attribute): a day after
   * the reset, so a counter is never removed while its day is still current, even with DynamoDB's
   * TTL deleting items late or a clock a little off.
   */
  expiresAtEpochSeconds: number;
}

export function quotaDay(now: Date): QuotaDay {
  const startOfDay = Math.floor(now.getTime() / DAY_MS) * DAY_MS;
  const resetsAt = new Date(startOfDay + DAY_MS);
  return {
    day: new Date(startOfDay).toISOString().slice(0, 10),
    resetsAt,
    expiresAtEpochSeconds: (resetsAt.getTime() + DAY_MS) / 1000,
  };
}

/** The counter's key: one item per owner and UTC day. Owner ids hold no `#` (ID_PATTERN). */
export function ownerDayKey(ownerId: string, day: string): string {
  return `${ownerId}#${day}`;
}

export type QuotaDecision = { granted: true } | { granted: false; limit: number; resetsAt: Date };

/** Counts uploads per owner and UTC day. */
export interface UploadQuota {
  /**
   * Counts one upload for `ownerId` on the UTC day of `now`, atomically, unless the day's limit
   * is already reached. Any other failure (throttling, an outage) is thrown, never taken as a grant.
   */
  take(ownerId: string, now: Date): Promise<QuotaDecision>;
}

/** The 429 for a refused upload: the limit, the reset time, and `Retry-After` in whole seconds. */
export function quotaExceeded(decision: { limit: number; resetsAt: Date }, now: Date): UploadQuotaExceededError {
  const retryAfterSeconds = Math.max(1, Math.ceil((decision.resetsAt.getTime() - now.getTime()) / 1000));
  const uploads = decision.limit === 1 ? 'upload' : 'uploads';
  return new UploadQuotaExceededError(
    `Daily upload quota reached: at most ${decision.limit} ${uploads} per day; it resets at ${decision.resetsAt.toISOString()}`,
    retryAfterSeconds,
  );
}
