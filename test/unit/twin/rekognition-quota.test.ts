import { ProvisionedThroughputExceededException } from '@aws-sdk/client-rekognition';
import type { LabelDetector, ModerationDetector } from '../../../functions/shared/detectors';
import { DetectorThrottledError } from '../../../functions/shared/errors';
import { RekognitionQuota, TokenBucket } from '../../../local/detectors/rekognition-quota';

/*
 * REKOGNITION_TPS: the local detector refuses calls beyond N per second per API with the
 * exception the SDK raises for Rekognition, translated as the Rekognition adapters translate it.
 */

const IMAGE = { bucket: 'media', key: 'derived/m1/analysis.jpg' };

function fakeDetector(): LabelDetector & ModerationDetector & { calls: number } {
  const detector = {
    calls: 0,
    async detectLabels() {
      detector.calls++;
      return [{ name: 'Colour: Blue', confidence: 90, parents: ['Colour'] }];
    },
    async detectModerationLabels() {
      detector.calls++;
      return [];
    },
  };
  return detector;
}

describe('TokenBucket', () => {
  it('allows one second of calls at once, then one more per 1/N second', () => {
    // Arrange
    let now = 0;
    const bucket = new TokenBucket(2, () => now);

    // Act
    const burst = [bucket.tryTake(), bucket.tryTake(), bucket.tryTake()];
    now += 499;
    const early = bucket.tryTake();
    now += 1;
    const onTime = bucket.tryTake();

    // Assert
    expect(burst).toEqual([true, true, false]);
    expect(early).toBe(false);
    expect(onTime).toBe(true);
  });
});

describe('Rekognition quota in the twin', () => {
  it('refuses a call over the quota with DetectorThrottledError caused by ProvisionedThroughputExceededException, before any work', async () => {
    // Arrange
    const inner = fakeDetector();
    const quota = new RekognitionQuota(inner, 1, () => 0);
    await quota.detectLabels(IMAGE, { minConfidence: 50, maxLabels: 10 });

    // Act
    const refused = quota.detectLabels(IMAGE, { minConfidence: 50, maxLabels: 10 }).catch((error: unknown) => error);

    // Assert
    const error = await refused;
    expect(error).toBeInstanceOf(DetectorThrottledError);
    expect((error as Error).cause).toBeInstanceOf(ProvisionedThroughputExceededException);
    expect(inner.calls).toBe(1);
    expect(quota.snapshot().DetectLabels).toEqual({ calls: 2, throttled: 1 });
  });

  it('counts each API against its own quota', async () => {
    // Arrange
    const quota = new RekognitionQuota(fakeDetector(), 1, () => 0);
    await quota.detectLabels(IMAGE, { minConfidence: 50, maxLabels: 10 });

    // Act
    const moderation = quota.detectModerationLabels(IMAGE, { minConfidence: 80 });

    // Assert
    await expect(moderation).resolves.toEqual([]);
    expect(quota.snapshot().DetectModerationLabels).toEqual({ calls: 1, throttled: 0 });
  });
});
