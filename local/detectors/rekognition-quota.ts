import type {
  LabelDetectionOptions,
  LabelDetector,
  ModerationDetectionOptions,
  ModerationDetector,
} from '../../functions/shared/detectors';
import type { ImageRef, Label, ModerationLabel } from '../../functions/shared/media';

/**
 * Rekognition's transactions-per-second quota, in front of the twin's local detector
 * (`REKOGNITION_TPS=N`). Each API (DetectLabels, DetectModerationLabels) has its own quota, as on
 * AWS: a token bucket holding one second's worth of calls, refilled at N per second. A call over
 * the quota is refused before any work with the exception the SDK raises for Rekognition
 * (`ProvisionedThroughputExceededException`), translated by the same function the Rekognition
 * adapters use, so the handlers and the ASL see exactly what AWS would send them.
 */

export type RekognitionApi = 'DetectLabels' | 'DetectModerationLabels';

/** Calls allowed per second on average, with bursts up to one second's worth. */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;
  private readonly capacity: number;

  constructor(
    private readonly ratePerSecond: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!(ratePerSecond > 0) || !Number.isFinite(ratePerSecond))
      throw new Error(`A rate must be a positive number, got ${ratePerSecond}`);
    this.capacity = Math.max(1, ratePerSecond);
    this.tokens = this.capacity;
    this.updatedAt = now();
  }

  /** Takes one call's token if there is one. */
  tryTake(): boolean {
    const now = this.now();
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.updatedAt) / 1000) * this.ratePerSecond);
    this.updatedAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

export interface QuotaStats {
  calls: number;
  throttled: number;
}

export class RekognitionQuota implements LabelDetector, ModerationDetector {
  readonly displayName: string;
  private readonly buckets: Record<RekognitionApi, TokenBucket>;
  private readonly stats: Record<RekognitionApi, QuotaStats> = {
    DetectLabels: { calls: 0, throttled: 0 },
    DetectModerationLabels: { calls: 0, throttled: 0 },
  };

  constructor(
    private readonly inner: LabelDetector & ModerationDetector & { displayName?: string },
    readonly transactionsPerSecond: number,
    now?: () => number,
  ) {
    this.buckets = {
      DetectLabels: new TokenBucket(transactionsPerSecond, now),
      DetectModerationLabels: new TokenBucket(transactionsPerSecond, now),
    };
    this.displayName = `${inner.displayName ?? 'detector'}, at most ${transactionsPerSecond} calls/s per API (REKOGNITION_TPS)`;
  }

  private async admit(api: RekognitionApi, image: ImageRef): Promise<void> {
    const stats = this.stats[api];
    stats.calls++;
    if (this.buckets[api].tryTake()) return;
    stats.throttled++;
    // Loaded on the first refusal: the Rekognition client stays out of the twin's start.
    const [{ ProvisionedThroughputExceededException }, { toDetectorError }] = await Promise.all([
      import('@aws-sdk/client-rekognition'),
      import('../../functions/shared/rekognition-detectors'),
    ]);
    throw toDetectorError(
      new ProvisionedThroughputExceededException({
        message: 'Provisioned rate exceeded',
        $metadata: { httpStatusCode: 400 },
      }),
      image,
    );
  }

  async detectLabels(image: ImageRef, options: LabelDetectionOptions): Promise<Label[]> {
    await this.admit('DetectLabels', image);
    return this.inner.detectLabels(image, options);
  }

  async detectModerationLabels(image: ImageRef, options: ModerationDetectionOptions): Promise<ModerationLabel[]> {
    await this.admit('DetectModerationLabels', image);
    return this.inner.detectModerationLabels(image, options);
  }

  /** Calls and refusals per API since the twin started. */
  snapshot(): Record<RekognitionApi, QuotaStats> {
    return {
      DetectLabels: { ...this.stats.DetectLabels },
      DetectModerationLabels: { ...this.stats.DetectModerationLabels },
    };
  }
}
