import type { S3Client } from '@aws-sdk/client-s3';
import sharp from 'sharp';
import { createRenditions } from '../../functions/thumbnail/renditions';
import { checkRekognitionLimits, LocalImageDetector } from '../../local/detectors/local-image-detector';

/**
 * The twin's stand-in detector refuses what Rekognition refuses (15 MB, JPEG/PNG, 80..10,000 px a
 * side) with Rekognition's exception names, and the labels handler's port sees the same domain
 * errors the Rekognition adapters give; every analysis JPEG the thumbnail step makes passes.
 */

const jpeg = (width: number, height: number) =>
  sharp({ create: { width, height, channels: 3, background: '#3a7bd5' } })
    .jpeg()
    .toBuffer();

/** Serves fixed bytes for any GetObject, as the twin's S3 would serve the analysis JPEG. */
function s3Serving(bytes: Buffer): S3Client {
  return {
    send: async () => ({ Body: { transformToByteArray: async () => new Uint8Array(bytes) } }),
  } as unknown as S3Client;
}

const IMAGE = { bucket: 'media', key: 'derived/m-1/analysis.jpg' };

describe('Rekognition image limits', () => {
  it.each([
    ['a 4000 x 60 JPEG', () => jpeg(4000, 60), 'InvalidParameterException'],
    ['a 60 x 4000 JPEG', () => jpeg(60, 4000), 'InvalidParameterException'],
    ['a 79 x 200 JPEG', () => jpeg(79, 200), 'InvalidParameterException'],
    ['a 10001 x 100 JPEG', () => jpeg(10_001, 100), 'InvalidParameterException'],
    [
      'a WebP',
      () =>
        sharp({ create: { width: 100, height: 100, channels: 3, background: '#ff0000' } })
          .webp()
          .toBuffer(),
      'InvalidImageFormatException',
    ],
    ['bytes that are no image', async () => Buffer.from('not an image at all'), 'InvalidImageFormatException'],
    [
      'an image over 15 MB',
      async () => Buffer.concat([await jpeg(100, 100), Buffer.alloc(15 * 1024 * 1024)]),
      'ImageTooLargeException',
    ],
  ])('refuses %s with %s', async (_what, make, exception) => {
    await expect(checkRekognitionLimits(await make())).rejects.toMatchObject({ name: exception });
  });

  it.each([
    [80, 80],
    [10_000, 80],
  ])('accepts a %i x %i JPEG', async (width, height) => {
    await expect(checkRekognitionLimits(await jpeg(width, height))).resolves.toBeUndefined();
  });

  it.each([
    [4000, 60],
    [60, 4000],
    [10_000, 100],
    [1, 1],
  ])('accepts the analysis JPEG the thumbnail step makes of a %i x %i image', async (width, height) => {
    const { analysis } = await createRenditions(await jpeg(width, height), { maxInputPixels: 100_000_000 });

    await expect(checkRekognitionLimits(analysis.data)).resolves.toBeUndefined();
  });
});

describe('LocalImageDetector', () => {
  it('refuses a too-thin image as Rekognition would (InvalidParameterException), a pipeline fault for the port', async () => {
    const detector = new LocalImageDetector(s3Serving(await jpeg(4000, 60)));

    const result = detector.detectLabels(IMAGE, { minConfidence: 50, maxLabels: 10 });

    await expect(result).rejects.toMatchObject({
      name: 'DetectorRefusedImageError',
      cause: { name: 'InvalidParameterException' },
    });
  });

  it('refuses a WebP as Rekognition would (InvalidImageFormatException), a pipeline fault for the port', async () => {
    const webp = await sharp({ create: { width: 100, height: 100, channels: 3, background: '#ff0000' } })
      .webp()
      .toBuffer();
    const detector = new LocalImageDetector(s3Serving(webp));

    const result = detector.detectModerationLabels(IMAGE, { minConfidence: 50 });

    await expect(result).rejects.toMatchObject({
      name: 'DetectorRefusedImageError',
      cause: { name: 'InvalidImageFormatException' },
    });
  });

  it('labels an image within the limits', async () => {
    const detector = new LocalImageDetector(s3Serving(await jpeg(200, 100)));

    await expect(detector.detectLabels(IMAGE, { minConfidence: 50, maxLabels: 10 })).resolves.toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'Orientation: Landscape' })]),
    );
  });

  it('downloads and decodes an analysis image once for both APIs', async () => {
    const bytes = await jpeg(640, 480);
    const downloads: string[] = [];
    const s3 = {
      send: async (command: { input: { Key: string } }) => {
        downloads.push(command.input.Key);
        return { Body: { transformToByteArray: async () => new Uint8Array(bytes) } };
      },
    } as unknown as S3Client;
    const detector = new LocalImageDetector(s3);

    const [labels, moderation] = await Promise.all([
      detector.detectLabels(IMAGE, { minConfidence: 50, maxLabels: 10 }),
      detector.detectModerationLabels(IMAGE, { minConfidence: 50 }),
    ]);
    await detector.detectLabels({ ...IMAGE, key: 'derived/m-2/analysis.jpg' }, { minConfidence: 50, maxLabels: 10 });

    expect(labels.length).toBeGreaterThan(0);
    expect(moderation).toEqual([]);
    expect(downloads).toEqual([IMAGE.key, 'derived/m-2/analysis.jpg']);
  });

  it('measures again after a failed download instead of keeping the failure', async () => {
    const bytes = await jpeg(640, 480);
    let calls = 0;
    const s3 = {
      send: async () => {
        calls++;
        if (calls === 1) throw Object.assign(new Error('connection reset'), { name: 'TimeoutError' });
        return { Body: { transformToByteArray: async () => new Uint8Array(bytes) } };
      },
    } as unknown as S3Client;
    const detector = new LocalImageDetector(s3);

    await expect(detector.detectLabels(IMAGE, { minConfidence: 50, maxLabels: 10 })).rejects.toThrow(
      'connection reset',
    );
    await expect(detector.detectLabels(IMAGE, { minConfidence: 50, maxLabels: 10 })).resolves.not.toHaveLength(0);
    expect(calls).toBe(2);
  });
});
