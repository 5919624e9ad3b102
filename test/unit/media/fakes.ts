import type { Clock } from '../../../functions/api/ports';
import type { MediaHandlerDeps, MediaSettings } from '../../../functions/media/handler';
import type {
  DownloadSigner,
  MediaObjectEraser,
  MediaObjectsRef,
  PresignedUpload,
  UploadRequest,
  UploadSigner,
} from '../../../functions/media/ports';
import { ownerDayKey, quotaDay } from '../../../functions/media/upload-quota';
import type { QuotaDecision, UploadQuota } from '../../../functions/media/upload-quota';
import { ALLOWED_ORIGIN, FixedClock, InMemoryMediaStore, SequentialIds } from '../api/fakes';
import { FakePageTokenKeys } from '../articles/fakes';

/** Test doubles of the media function's own ports, and its handler over in-memory stores. */

export const mediaSettings: MediaSettings = {
  maxUploadBytes: 1_000_000,
  uploadUrlTtlSeconds: 300,
  downloadUrlTtlSeconds: 120,
  allowedOrigins: [ALLOWED_ORIGIN],
  dailyUploadQuota: 100,
};

/**
 * The bucket's objects per media, as the S3 eraser sees them: erase() removes every key of the
 * media and counts them. `failNext` makes the next erase throw after removing only `partial` keys,
 * as a crash half-way through would.
 */
export class InMemoryObjectEraser implements MediaObjectEraser {
  readonly objects = new Map<string, string[]>();
  readonly calls: MediaObjectsRef[] = [];
  private failure: { partial: number } | undefined;

  store(mediaId: string, keys: string[]): void {
    this.objects.set(mediaId, [...keys]);
  }

  failNext(partial: number): void {
    this.failure = { partial };
  }

  async erase(ref: MediaObjectsRef): Promise<number> {
    this.calls.push(ref);
    const keys = this.objects.get(ref.mediaId) ?? [];
    if (this.failure !== undefined) {
      const { partial } = this.failure;
      this.failure = undefined;
      this.objects.set(ref.mediaId, keys.slice(partial));
      throw new Error('S3 unavailable');
    }
    this.objects.delete(ref.mediaId);
    return keys.length;
  }
}

/**
 * The upload quota in memory, with the DynamoDB adapter's semantics (one counter per owner and
 * UTC day, refused at the limit); test/unit/media/upload-quota-emulator.test.ts holds the
 * adapter to the same behaviour on a DynamoDB emulator.
 */
export class InMemoryUploadQuota implements UploadQuota {
  readonly counts = new Map<string, number>();

  constructor(private readonly limit = 100) {}

  async take(ownerId: string, now: Date): Promise<QuotaDecision> {
    const { day, resetsAt } = quotaDay(now);
    const key = ownerDayKey(ownerId, day);
    const used = this.counts.get(key) ?? 0;
    if (used >= this.limit) return { granted: false, limit: this.limit, resetsAt };
    this.counts.set(key, used + 1);
    return { granted: true };
  }
}

/**
 * Records each request; its policy expires whole seconds after its own clock, as the S3 signer's
 * does, so a test can tell the signed expiration from one the service might compute.
 */
export class RecordingUploadSigner implements UploadSigner {
  readonly requests: UploadRequest[] = [];

  constructor(private readonly clock: Clock = new FixedClock()) {}

  async signUpload(request: UploadRequest): Promise<PresignedUpload> {
    this.requests.push(request);
    const expiresAt = new Date(Math.floor(this.clock.now().getTime() / 1000) * 1000 + request.expiresInSeconds * 1000);
    return {
      url: 'https://bucket.example/',
      fields: { key: request.key, 'Content-Type': request.contentType },
      expiresAt,
    };
  }
}

export class FakeDownloadSigner implements DownloadSigner {
  async signDownload(key: string, expiresInSeconds: number): Promise<string> {
    return `https://bucket.example/${key}?expires=${expiresInSeconds}`;
  }
}

export interface MediaWorld {
  /** For the media function's createHandler. */
  deps: MediaHandlerDeps;
  media: InMemoryMediaStore;
  objects: InMemoryObjectEraser;
  uploads: RecordingUploadSigner;
  clock: FixedClock;
}

export function mediaWorld(overrides: Partial<MediaHandlerDeps> = {}): MediaWorld {
  const media = new InMemoryMediaStore();
  const clock = new FixedClock();
  const uploads = new RecordingUploadSigner(clock);
  const objects = new InMemoryObjectEraser();
  const deps: MediaHandlerDeps = {
    objects,
    media,
    uploadSigner: uploads,
    downloadSigner: new FakeDownloadSigner(),
    uploadQuota: new InMemoryUploadQuota(mediaSettings.dailyUploadQuota),
    pageTokenKeys: new FakePageTokenKeys(),
    settings: mediaSettings,
    clock,
    ids: new SequentialIds(),
    ...overrides,
  };
  return { deps, media, objects, uploads, clock };
}
