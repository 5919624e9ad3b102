import sharp from 'sharp';

/*
 * The thumbnail step's outputs written the way a plain sharp script would: one pipeline per output
 * straight from the input bytes (sharp's shrink-on-load does the heavy lifting), no intermediate.
 * Same outputs as functions/thumbnail/renditions.ts: large (1280) and small (320) as WebP q80 and
 * JPEG q82 on white, and a 4096 px analysis JPEG q85, all EXIF-oriented, metadata stripped, never
 * upscaled.
 */

const WHITE = '#ffffff';

export async function plainSharpRenditions(input: Buffer): Promise<Buffer[]> {
  const base = sharp(input, { autoOrient: true, limitInputPixels: 100_000_000, failOn: 'error' });
  const sized = (width: number, height?: number) =>
    base
      .clone()
      .resize({ width, ...(height !== undefined ? { height } : {}), fit: 'inside', withoutEnlargement: true });
  return Promise.all([
    sized(4096, 4096).flatten({ background: WHITE }).jpeg({ quality: 85 }).toBuffer(),
    sized(1280).webp({ quality: 80 }).toBuffer(),
    sized(1280).flatten({ background: WHITE }).jpeg({ quality: 82 }).toBuffer(),
    sized(320).webp({ quality: 80 }).toBuffer(),
    sized(320).flatten({ background: WHITE }).jpeg({ quality: 82 }).toBuffer(),
  ]);
}
