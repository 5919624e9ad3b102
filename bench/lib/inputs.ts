import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { noisyJpeg } from '../../test/fixtures/images';
import { INPUT_DIR } from './paths';

/*
 * Benchmark inputs, generated with sharp (nothing binary in the repository). Blurred Gaussian noise
 * stands in for a photo: unlike a flat or synthetic image it keeps every encoder busy, so the
 * timings are not flattered by trivially compressible content.
 */

export interface BenchInput {
  name: string;
  label: string;
  file: string;
  contentType: string;
  width: number;
  height: number;
  bytes: number;
}

interface InputSpec {
  name: string;
  label: string;
  fileName: string;
  contentType: string;
  width: number;
  height: number;
  build(): Promise<Buffer>;
}

async function noisyRaw(width: number, height: number, channels: 3 | 4): Promise<Buffer> {
  const rgb = await sharp({
    create: { width, height, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 40 } },
  })
    .blur(1.5)
    .raw()
    .toBuffer();
  if (channels === 3) return rgb;
  // A diagonal alpha ramp from opaque to fully transparent: every JPEG output must flatten it.
  const rgba = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const source = (y * width + x) * 3;
      const target = (y * width + x) * 4;
      rgba[target] = rgb[source] ?? 0;
      rgba[target + 1] = rgb[source + 1] ?? 0;
      rgba[target + 2] = rgb[source + 2] ?? 0;
      rgba[target + 3] = Math.round(255 * (1 - (x / width + y / height) / 2));
    }
  }
  return rgba;
}

export const PHOTO_12MP: InputSpec = {
  name: 'jpeg-12mp',
  label: '12 MP JPEG 4000x3000',
  fileName: 'photo-4000x3000.jpg',
  contentType: 'image/jpeg',
  width: 4000,
  height: 3000,
  build: () => noisyJpeg(4000, 3000),
};

export const WEBP_16MP: InputSpec = {
  name: 'webp-4096',
  label: 'WebP 4096x4096',
  fileName: 'square-4096.webp',
  contentType: 'image/webp',
  width: 4096,
  height: 4096,
  build: async () =>
    sharp(await noisyRaw(4096, 4096, 3), { raw: { width: 4096, height: 4096, channels: 3 } })
      .webp({ quality: 80, effort: 0 })
      .toBuffer(),
};

export const PNG_ALPHA: InputSpec = {
  name: 'png-alpha',
  label: 'PNG+alpha 2000x1500',
  fileName: 'alpha-2000x1500.png',
  contentType: 'image/png',
  width: 2000,
  height: 1500,
  build: async () =>
    sharp(await noisyRaw(2000, 1500, 4), { raw: { width: 2000, height: 1500, channels: 4 } })
      .png({ compressionLevel: 6 })
      .toBuffer(),
};

/** A small phone-size photo: shows the fixed per-run overhead that a 12 MP photo hides. */
export const PHOTO_1MP: InputSpec = {
  name: 'jpeg-1mp',
  label: '1.2 MP JPEG 1280x960',
  fileName: 'photo-1280x960.jpg',
  contentType: 'image/jpeg',
  width: 1280,
  height: 960,
  build: () => noisyJpeg(1280, 960),
};

export const PHOTO_54MP: InputSpec = {
  name: 'jpeg-54mp',
  label: '54 MP JPEG 9000x6000',
  fileName: 'photo-9000x6000.jpg',
  contentType: 'image/jpeg',
  width: 9000,
  height: 6000,
  // Noise made at a third of the size and enlarged: the same decode work for the memory test at a
  // fraction of the generation time (54 MP of blurred noise takes ~15 s to make here).
  build: async () =>
    sharp(await noisyRaw(3000, 2000, 3), { raw: { width: 3000, height: 2000, channels: 3 } })
      .resize({ width: 9000, height: 6000, fit: 'fill' })
      .jpeg({ quality: 90 })
      .toBuffer(),
};

export const ALL_INPUTS: readonly InputSpec[] = [PHOTO_12MP, WEBP_16MP, PNG_ALPHA, PHOTO_1MP, PHOTO_54MP];

/**
 * Writes every input under bench/tmp/inputs. Reuses files from an earlier run unless `fresh`
 * (bench/tmp is not committed, so a fresh clone always generates them).
 */
export async function prepareInputs(
  fresh: boolean,
): Promise<{ inputs: Record<string, BenchInput>; generatedMs: number; reused: boolean }> {
  await mkdir(INPUT_DIR, { recursive: true });
  const started = performance.now();
  let reused = true;
  const inputs: Record<string, BenchInput> = {};
  for (const spec of ALL_INPUTS) {
    const file = join(INPUT_DIR, spec.fileName);
    if (fresh || !existsSync(file)) {
      reused = false;
      await writeFile(file, await spec.build());
    }
    const bytes = (await readFile(file)).length;
    inputs[spec.name] = {
      name: spec.name,
      label: spec.label,
      file,
      contentType: spec.contentType,
      width: spec.width,
      height: spec.height,
      bytes,
    };
  }
  return { inputs, generatedMs: performance.now() - started, reused };
}
