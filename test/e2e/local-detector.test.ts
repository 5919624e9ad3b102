import sharp from 'sharp';
import { colourName, labelsFrom, measureImage, moderationLabelsFrom } from '../../local/detectors/local-image-detector';

/** The twin's local image analysis (not Rekognition), on real image bytes made with sharp. */

const solid = (width: number, height: number, background: string) =>
  sharp({ create: { width, height, channels: 3, background } })
    .jpeg({ quality: 90 })
    .toBuffer();

const noisy = (width: number, height: number) =>
  sharp({
    create: { width, height, channels: 3, background: '#000000', noise: { type: 'gaussian', mean: 128, sigma: 60 } },
  })
    .jpeg({ quality: 90 })
    .toBuffer();

const names = async (bytes: Promise<Buffer>) => labelsFrom(await measureImage(await bytes)).map((label) => label.name);

it('names colour families by hue, and greys by saturation', () => {
  expect(colourName(20, 60, 220)).toBe('Blue');
  expect(colourName(230, 30, 30)).toBe('Red');
  expect(colourName(128, 128, 128)).toBe('Grey');
  expect(colourName(250, 250, 250)).toBe('White');
});

it('labels a flat dark blue portrait image as blue, dark, blurry and portrait', async () => {
  const labels = await names(solid(300, 600, '#0a1a50'));

  expect(labels).toEqual(
    expect.arrayContaining(['Colour: Blue', 'Lighting: Dark', 'Focus: Blurry', 'Orientation: Portrait']),
  );
});

it('labels a detailed square image as sharp and square', async () => {
  const labels = await names(noisy(400, 400));

  expect(labels).toEqual(expect.arrayContaining(['Focus: Sharp', 'Orientation: Square']));
  expect(labels).not.toContain('Focus: Blurry');
});

it('gives higher confidence to a colour that covers more of the image', async () => {
  const allRed = labelsFrom(await measureImage(await solid(200, 200, '#d01010')));
  const halfRed = labelsFrom(
    await measureImage(
      await sharp({ create: { width: 200, height: 200, channels: 3, background: '#808080' } })
        .composite([{ input: await solid(100, 200, '#d01010'), left: 0, top: 0 }])
        .jpeg()
        .toBuffer(),
    ),
  );
  const confidence = (labels: typeof allRed) => labels.find((l) => l.name === 'Colour: Red')?.confidence ?? 0;

  expect(confidence(allRed)).toBeGreaterThan(confidence(halfRed));
  expect(confidence(halfRed)).toBeGreaterThan(50);
});

it('applies the sentinel-colour moderation rule to a mostly magenta image only', async () => {
  const magenta = moderationLabelsFrom(await measureImage(await solid(320, 240, '#ff00ff')));
  const purple = moderationLabelsFrom(await measureImage(await solid(320, 240, '#8040c0')));

  expect(magenta).toEqual([
    { name: 'Local test rule: sentinel colour', parentName: 'Local test rule', confidence: 99 },
  ]);
  expect(purple).toEqual([]);
});
