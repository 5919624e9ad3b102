import sharp from 'sharp';
import { CorruptImageError, ImageTooLargeError, UnsupportedMediaError } from '../../../functions/shared/errors';
import { IMAGE_CONTENT_TYPES, type ImageFormat } from '../../../functions/shared/media';
import { analysisSize, createRenditions, detectImageFormat } from '../../../functions/thumbnail/renditions';
import type { EncodedImage, RenditionSet } from '../../../functions/thumbnail/renditions';
import { containsExifMarker, hasGpsIfd } from '../../fixtures/exif';
import {
  gif,
  jpegWithOrientationAndGps,
  noisyJpeg,
  pngClaimingSize,
  pngWithAlpha,
  solidPng,
  textFile,
  truncatedJpeg,
  webp,
  wideJpeg,
} from '../../fixtures/images';

const LIMITS = { maxInputPixels: 100_000_000 };

function find(set: RenditionSet, name: string, format: 'webp' | 'jpeg'): EncodedImage {
  const image = set.renditions.find((candidate) => candidate.name === name && candidate.format === format);
  if (image === undefined) throw new Error(`no ${name} ${format} rendition`);
  return image;
}

function allOutputs(set: RenditionSet): EncodedImage[] {
  return [...set.renditions, set.analysis];
}

describe('detectImageFormat', () => {
  it('recognises every format the pipeline takes (JPEG, PNG and WebP) from its bytes', async () => {
    // Arrange: one image of each format in IMAGE_CONTENT_TYPES (a format added there needs one here)
    const samples: Record<ImageFormat, Buffer> = {
      jpeg: await jpegWithOrientationAndGps(),
      png: await pngWithAlpha(),
      webp: await webp(),
    };

    // Act
    const formats = Object.values(samples).map((bytes) => detectImageFormat(bytes));

    // Assert
    expect(formats).toEqual(Object.keys(IMAGE_CONTENT_TYPES));
  });

  it('names text when a text file is uploaded as an image', () => {
    // Act / Assert
    expect(() => detectImageFormat(textFile())).toThrow(
      expect.objectContaining({ name: 'UnsupportedMediaError', message: expect.stringContaining('found text') }),
    );
  });

  it('names a GIF, an image type the pipeline does not accept', async () => {
    // Arrange
    const bytes = await gif();

    // Act / Assert
    expect(() => detectImageFormat(bytes)).toThrow(/found a GIF image/);
  });

  it('calls an empty upload an empty file', () => {
    // Act / Assert
    expect(() => detectImageFormat(new Uint8Array(0))).toThrow(/found an empty file/);
  });
});

describe('createRenditions', () => {
  describe('with a JPEG carrying EXIF orientation 6 and GPS', () => {
    let set: RenditionSet;

    beforeAll(async () => {
      set = await createRenditions(await jpegWithOrientationAndGps(), LIMITS);
    });

    it('starts from a fixture that really has orientation 6 and GPS data', async () => {
      // Arrange / Act
      const metadata = await sharp(await jpegWithOrientationAndGps()).metadata();

      // Assert: otherwise the tests below would prove nothing
      expect({ width: metadata.width, height: metadata.height, orientation: metadata.orientation }).toEqual({
        width: 400,
        height: 300,
        orientation: 6,
      });
      expect(hasGpsIfd(metadata.exif)).toBe(true);
    });

    it('reports the displayed size of the original, after orientation', () => {
      // Assert
      expect(set.source).toEqual({ format: 'jpeg', contentType: 'image/jpeg', width: 300, height: 400 });
    });

    it('rotates the pixels: the 400 x 300 stored image becomes 300 wide and 400 tall', async () => {
      // Act
      const metadata = await sharp(find(set, 'large', 'jpeg').data).metadata();

      // Assert
      expect({ width: metadata.width, height: metadata.height }).toEqual({ width: 300, height: 400 });
    });

    it('turns the picture the way the camera meant: the stored top-left corner ends up top-right', async () => {
      // Arrange: the fixture has a blue block in the stored top-left corner, the rest is red
      const { data, info } = await sharp(find(set, 'large', 'jpeg').data)
        .raw()
        .toBuffer({ resolveWithObject: true });
      const pixel = (x: number, y: number): number[] => [
        ...data.subarray((y * info.width + x) * 3, (y * info.width + x) * 3 + 3),
      ];

      // Act
      const topRight = pixel(290, 10);
      const topLeft = pixel(10, 10);

      // Assert: blue dominates top-right, red dominates top-left
      expect((topRight[2] ?? 0) > (topRight[0] ?? 0)).toBe(true);
      expect((topLeft[0] ?? 0) > (topLeft[2] ?? 0)).toBe(true);
    });

    it('writes no EXIF at all, so no GPS and no orientation, into any output', async () => {
      // Act
      const metadata = await Promise.all(allOutputs(set).map((image) => sharp(image.data).metadata()));

      // Assert
      expect(metadata.map((m) => m.exif)).toEqual(allOutputs(set).map(() => undefined));
      expect(metadata.map((m) => m.orientation)).toEqual(allOutputs(set).map(() => undefined));
      expect(allOutputs(set).map((image) => containsExifMarker(image.data))).toEqual(allOutputs(set).map(() => false));
    });

    it('writes a small and a large rendition, each as WebP and JPEG', async () => {
      // Act
      const formats = await Promise.all(
        set.renditions.map(async (image) => [image.fileName, (await sharp(image.data).metadata()).format]),
      );

      // Assert
      expect(formats).toEqual([
        ['large.webp', 'webp'],
        ['large.jpg', 'jpeg'],
        ['small.webp', 'webp'],
        ['small.jpg', 'jpeg'],
      ]);
    });

    it('does not upscale an image narrower than a rendition', () => {
      // Assert: 300 px wide is below both 320 and 1280
      expect(set.renditions.map((image) => image.width)).toEqual([300, 300, 300, 300]);
    });
  });

  it('scales a wide image to 1280 and 320 px wide, keeping its aspect ratio', async () => {
    // Act
    const set = await createRenditions(await wideJpeg(), LIMITS);

    // Assert
    expect(set.renditions.map((image) => [image.fileName, image.width, image.height])).toEqual([
      ['large.webp', 1280, 512],
      ['large.jpg', 1280, 512],
      ['small.webp', 320, 128],
      ['small.jpg', 320, 128],
    ]);
  });

  it('bounds the analysis JPEG to 4096 px on the long side', async () => {
    // Act
    const set = await createRenditions(await wideJpeg(), LIMITS);

    // Assert
    const metadata = await sharp(set.analysis.data).metadata();
    expect([metadata.format, metadata.width, metadata.height]).toEqual(['jpeg', 4096, 1638]);
    expect([set.analysis.width, set.analysis.height]).toEqual([4096, 1638]);
  });

  it('keeps the analysis JPEG at full size when it is already within bounds', async () => {
    // Act
    const set = await createRenditions(await webp(), LIMITS);

    // Assert
    expect([set.analysis.width, set.analysis.height, set.analysis.contentType]).toEqual([640, 480, 'image/jpeg']);
  });

  it('letterboxes an image too thin for enlarging to reach 80 px, instead of refusing it', async () => {
    // Arrange: 20 px high and 2400 px wide: enlarged to 80 px high it would be 9600 px wide
    const bytes = await solidPng(2400, 20);

    // Act
    const set = await createRenditions(bytes, { ...LIMITS, analysisMaxSide: 4096 });

    // Assert: enlarged 4096 / 2400 times (34 px high), then padded to 80 px
    expect([set.analysis.width, set.analysis.height]).toEqual([4096, 80]);
  });

  it('enlarges a tiny image for the analysis JPEG only, to the 80 px Rekognition needs', async () => {
    // Arrange
    const bytes = await solidPng(40, 20);

    // Act
    const set = await createRenditions(bytes, LIMITS);

    // Assert
    expect([set.analysis.width, set.analysis.height]).toEqual([160, 80]);
    expect(set.renditions.map((image) => [image.width, image.height])).toEqual([
      [40, 20],
      [40, 20],
      [40, 20],
      [40, 20],
    ]);
  });

  it('lowers quality and size until the analysis JPEG fits its byte budget', async () => {
    // Arrange: noise does not compress, so the default quality is far over a 40 kB budget
    const bytes = await noisyJpeg(1200, 900);
    const unconstrained = await createRenditions(bytes, LIMITS);

    // Act
    const set = await createRenditions(bytes, { ...LIMITS, analysisMaxBytes: 40_000 });

    // Assert
    expect(unconstrained.analysis.data.length).toBeGreaterThan(40_000);
    expect(set.analysis.data.length).toBeLessThanOrEqual(40_000);
    expect((await sharp(set.analysis.data).metadata()).format).toBe('jpeg');
  });

  it('keeps transparency in WebP and puts JPEG on a white background', async () => {
    // Act
    const set = await createRenditions(await pngWithAlpha(), LIMITS);

    // Assert: half-transparent green (20,160,60) over white is about (137,207,157); over black it would be (10,80,30)
    const webpMeta = await sharp(find(set, 'small', 'webp').data).metadata();
    const jpeg = find(set, 'small', 'jpeg').data;
    const { channels } = await sharp(jpeg).stats();
    expect(webpMeta.hasAlpha).toBe(true);
    expect((await sharp(jpeg).metadata()).hasAlpha).toBe(false);
    expect(channels.map((channel) => Math.round(channel.mean / 10))).toEqual([14, 21, 16]);
  });

  it('accepts a WebP and reports its type from the bytes', async () => {
    // Act
    const set = await createRenditions(await webp(), LIMITS);

    // Assert
    expect(set.source).toEqual({ format: 'webp', contentType: 'image/webp', width: 640, height: 480 });
  });

  it('hands every output to the sink as soon as it is encoded', async () => {
    // Arrange
    const seen: string[] = [];

    // Act
    await createRenditions(await webp(), LIMITS, async (image) => {
      seen.push(image.fileName);
    });

    // Assert
    expect(seen.sort()).toEqual(['analysis.jpg', 'large.jpg', 'large.webp', 'small.jpg', 'small.webp']);
  });

  it('refuses a truncated JPEG as CorruptImageError', async () => {
    // Arrange
    const bytes = await truncatedJpeg();

    // Act
    const result = createRenditions(bytes, LIMITS);

    // Assert
    await expect(result).rejects.toBeInstanceOf(CorruptImageError);
    await expect(result).rejects.toMatchObject({ name: 'CorruptImageError', code: 'CORRUPT_IMAGE' });
  });

  it('refuses a text file as UnsupportedMediaError', async () => {
    // Act
    const result = createRenditions(textFile(), LIMITS);

    // Assert
    await expect(result).rejects.toBeInstanceOf(UnsupportedMediaError);
    await expect(result).rejects.toMatchObject({ name: 'UnsupportedMediaError', code: 'UNSUPPORTED_MEDIA' });
  });

  it('refuses more pixels than the limit as ImageTooLargeError, naming the size', async () => {
    // Arrange
    const bytes = await solidPng(2000, 1500);

    // Act
    const result = createRenditions(bytes, { maxInputPixels: 1_000_000 });

    // Assert
    await expect(result).rejects.toBeInstanceOf(ImageTooLargeError);
    await expect(result).rejects.toThrow('Image is 2000 x 1500 (3000000 pixels); the limit is 1000000 pixels');
  });

  it('refuses a PNG whose header claims more pixels than its data holds as CorruptImageError', async () => {
    // Arrange: within the pixel limit, so decoding starts and runs out of data
    const bytes = await pngClaimingSize(2000, 2000);

    // Act
    const result = createRenditions(bytes, LIMITS);

    // Assert
    await expect(result).rejects.toMatchObject({ name: 'CorruptImageError' });
  });

  it('refuses a PNG whose header claims 12000 x 12000 under the default 100 MP limit, before decoding it', async () => {
    // Arrange: a few bytes on disk, 144 MP once decoded
    const bytes = await pngClaimingSize(12_000, 12_000);

    // Act
    const result = createRenditions(bytes, LIMITS);

    // Assert
    await expect(result).rejects.toMatchObject({ name: 'ImageTooLargeError', code: 'IMAGE_TOO_LARGE' });
  });
});

describe('analysisSize', () => {
  it('fits a large image inside the long-side bound', () => {
    expect(analysisSize({ width: 9000, height: 6000 }, 4096)).toEqual({
      image: { width: 4096, height: 2731 },
      canvas: { width: 4096, height: 2731 },
    });
  });

  it('keeps an image that already fits', () => {
    expect(analysisSize({ width: 1200, height: 900 }, 4096)).toEqual({
      image: { width: 1200, height: 900 },
      canvas: { width: 1200, height: 900 },
    });
  });

  it('enlarges a thin image only as far as the long side allows, and letterboxes the rest of the way to 80 px', () => {
    expect(analysisSize({ width: 10, height: 4000 }, 4096)).toEqual({
      image: { width: 10, height: 4096 },
      canvas: { width: 80, height: 4096 },
    });
  });

  it.each([
    [
      { width: 4000, height: 60 },
      { width: 4096, height: 80 },
    ],
    [
      { width: 60, height: 4000 },
      { width: 80, height: 4096 },
    ],
    [
      { width: 10000, height: 100 },
      { width: 4096, height: 80 },
    ],
    [
      { width: 1, height: 1 },
      { width: 80, height: 80 },
    ],
    [
      { width: 1, height: 50000 },
      { width: 80, height: 4096 },
    ],
  ])('gives %p a canvas of %p: at least 80 px and at most 4096 px a side', (source, canvas) => {
    expect(analysisSize(source, 4096).canvas).toEqual(canvas);
  });
});

describe('analysis JPEG of extreme shapes, through sharp', () => {
  it.each([
    [4000, 60, 4096, 80],
    [60, 4000, 80, 4096],
    [10000, 100, 4096, 80],
    [3, 2, 120, 80],
    [1, 1, 80, 80],
  ])(
    'makes a %i x %i image into a %i x %i analysis JPEG Rekognition accepts',
    async (width, height, expectedWidth, expectedHeight) => {
      // Arrange
      const bytes = await sharp({ create: { width, height, channels: 3, background: '#3a7bd5' } })
        .jpeg()
        .toBuffer();

      // Act
      const set = await createRenditions(bytes, LIMITS);

      // Assert
      const metadata = await sharp(set.analysis.data).metadata();
      expect([metadata.format, metadata.width, metadata.height]).toEqual(['jpeg', expectedWidth, expectedHeight]);
      expect([set.analysis.width, set.analysis.height]).toEqual([expectedWidth, expectedHeight]);
      expect(set.analysis.data.length).toBeLessThanOrEqual(15 * 1024 * 1024);
    },
  );

  it('letterboxes with black bars and keeps the picture in the middle', async () => {
    // Arrange: a 4000 x 60 white strip
    const bytes = await sharp({ create: { width: 4000, height: 60, channels: 3, background: '#ffffff' } })
      .jpeg()
      .toBuffer();

    // Act
    const set = await createRenditions(bytes, LIMITS);

    // Assert: the centre column is black above, white in the middle, black below
    const { data, info } = await sharp(set.analysis.data)
      .extract({ left: 2048, top: 0, width: 1, height: 80 })
      .greyscale()
      .raw()
      .toBuffer({ resolveWithObject: true });
    expect(info.height).toBe(80);
    expect(data[2]).toBeLessThan(40);
    expect(data[40]).toBeGreaterThan(215);
    expect(data[77]).toBeLessThan(40);
  });
});
