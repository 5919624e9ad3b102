import {
  ImageTooLargeException,
  InvalidImageFormatException,
  InvalidParameterException,
} from '@aws-sdk/client-rekognition';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import sharp, { type Sharp } from 'sharp';
import type {
  LabelDetectionOptions,
  LabelDetector,
  ModerationDetectionOptions,
  ModerationDetector,
} from '../../functions/shared/detectors';
import type { ImageRef, Label, ModerationLabel } from '../../functions/shared/media';
import { toDetectorError } from '../../functions/shared/rekognition-detectors';
import { LOCAL_DETECTOR_NAME } from './lazy-detector';

/**
 * Local image analysis (not Rekognition).
 *
 * Rekognition has no local counterpart, so the twin plugs this detector into the ports that the
 * labels and moderation handlers use. Every label is a measurement of the image made with sharp,
 * named for what was measured; nothing here recognises objects, scenes or people, and nothing
 * claims to be Rekognition.
 *
 * Labels (each with a parent naming the measurement):
 * - `Colour: <name>` for every colour family covering at least 10% of the pixels (64×64 sample),
 *   confidence 50 + 50 × share (a colour covering 40% of the image scores 70).
 * - `Lighting: Bright` / `Lighting: Dark` from mean luma (Rec. 601) above 170 / below 85,
 *   confidence rising from 50 at the threshold to 99 at the extreme.
 * - `Focus: Sharp` / `Focus: Blurry` from the standard deviation of a Laplacian of the greyscale
 *   image (256 px wide), above 20 / below 6, confidence rising with the distance from the threshold.
 * - `Orientation: Landscape` / `Portrait` / `Square` from the aspect ratio (±10% counts as square).
 *
 * Moderation — a documented local test rule, not a content classifier: an image whose pixels are
 * more than 50% the sentinel colour magenta (#FF00FF, within a tolerance that survives JPEG) gets
 * the moderation label `Local test rule: sentinel colour` at confidence 99, so that anyone can
 * produce a REJECTED media on purpose. Every other image gets no moderation labels.
 */

export const SENTINEL_LABEL: ModerationLabel = {
  name: 'Local test rule: sentinel colour',
  parentName: 'Local test rule',
  confidence: 99,
};

interface Measurements {
  width: number;
  height: number;
  colourShares: Map<string, number>;
  sentinelShare: number;
  meanLuma: number;
  laplacianStdev: number;
}

const round1 = (value: number): number => Math.round(value * 10) / 10;
const clamp = (value: number, low: number, high: number): number => Math.min(high, Math.max(low, value));

/** Colour family of one pixel, by hue, with greys split off by saturation and lightness. */
export function colourName(r: number, g: number, b: number): string {
  const max = Math.max(r, g, b);
  const min = Math.min(r, g, b);
  const lightness = (max + min) / 2 / 255;
  const saturation = max === min ? 0 : (max - min) / (255 - Math.abs(max + min - 255));
  if (lightness < 0.12) return 'Black';
  if (lightness > 0.92 && saturation < 0.5) return 'White';
  if (saturation < 0.18) return 'Grey';
  const delta = max - min;
  let hue: number;
  if (max === r) hue = ((g - b) / delta) % 6;
  else if (max === g) hue = (b - r) / delta + 2;
  else hue = (r - g) / delta + 4;
  hue = (hue * 60 + 360) % 360;
  if (hue < 15 || hue >= 345) return 'Red';
  if (hue < 45) return lightness < 0.35 ? 'Brown' : 'Orange';
  if (hue < 70) return 'Yellow';
  if (hue < 160) return 'Green';
  if (hue < 200) return 'Cyan';
  if (hue < 260) return 'Blue';
  if (hue < 290) return 'Purple';
  if (hue < 330) return 'Magenta';
  return 'Pink';
}

function isSentinel(r: number, g: number, b: number): boolean {
  return r >= 215 && b >= 215 && g <= 50;
}

/** Width of the one decode every measurement is made from: JPEG and WebP shrink on load to it, cheaply. */
const WORKING_WIDTH = 256;
const LAPLACIAN = { width: 3, height: 3, kernel: [0, 1, 0, 1, -4, 1, 0, 1, 0], offset: 128 };

/** Sample standard deviation of 8-bit values, as libvips' stats() gives it. */
function standardDeviation(values: Uint8Array): number {
  let sum = 0;
  let squares = 0;
  for (const value of values) {
    sum += value;
    squares += value * value;
  }
  const n = values.length;
  return n > 1 ? Math.sqrt(Math.max(0, (squares - (sum * sum) / n) / (n - 1))) : 0;
}

/**
 * Decodes the image once, straight to a small sRGB image at most 256 px wide (shrink-on-load makes
 * that a fraction of a full decode), and makes every measurement from it.
 */
export async function measureImage(bytes: Buffer): Promise<Measurements> {
  const { width = 0, height = 0 } = await sharp(bytes, { failOn: 'error' }).metadata();
  const { data: working, info } = await sharp(bytes, { failOn: 'error' })
    .removeAlpha()
    .toColourspace('srgb')
    .resize({ width: WORKING_WIDTH, withoutEnlargement: true })
    .raw()
    .toBuffer({ resolveWithObject: true });
  const fromWorking = (): Sharp =>
    sharp(working, { raw: { width: info.width, height: info.height, channels: info.channels } });
  const [sample, laplacian] = await Promise.all([
    fromWorking().resize(64, 64, { fit: 'fill' }).raw().toBuffer(),
    fromWorking().greyscale().convolve(LAPLACIAN).raw().toBuffer(),
  ]);

  const counts = new Map<string, number>();
  let sentinel = 0;
  let lumaTotal = 0;
  const pixels = sample.length / 3;
  for (let i = 0; i < sample.length; i += 3) {
    const r = sample[i] ?? 0;
    const g = sample[i + 1] ?? 0;
    const b = sample[i + 2] ?? 0;
    const name = colourName(r, g, b);
    counts.set(name, (counts.get(name) ?? 0) + 1);
    if (isSentinel(r, g, b)) sentinel++;
    lumaTotal += 0.299 * r + 0.587 * g + 0.114 * b;
  }
  const colourShares = new Map([...counts].map(([name, count]) => [name, count / pixels]));

  return {
    width,
    height,
    colourShares,
    sentinelShare: sentinel / pixels,
    meanLuma: lumaTotal / pixels,
    laplacianStdev: standardDeviation(laplacian),
  };
}

export function labelsFrom(m: Measurements): Label[] {
  const labels: Label[] = [];
  for (const [name, share] of m.colourShares) {
    if (share >= 0.1)
      labels.push({ name: `Colour: ${name}`, confidence: round1(50 + 50 * share), parents: ['Colour'] });
  }
  if (m.meanLuma > 170) {
    labels.push({
      name: 'Lighting: Bright',
      confidence: round1(50 + (49 * (m.meanLuma - 170)) / 85),
      parents: ['Lighting'],
    });
  } else if (m.meanLuma < 85) {
    labels.push({
      name: 'Lighting: Dark',
      confidence: round1(50 + (49 * (85 - m.meanLuma)) / 85),
      parents: ['Lighting'],
    });
  }
  if (m.laplacianStdev > 20) {
    labels.push({
      name: 'Focus: Sharp',
      confidence: round1(clamp(50 + (m.laplacianStdev - 20) * 2, 50, 99)),
      parents: ['Focus'],
    });
  } else if (m.laplacianStdev < 6) {
    labels.push({
      name: 'Focus: Blurry',
      confidence: round1(clamp(50 + (6 - m.laplacianStdev) * 10, 50, 99)),
      parents: ['Focus'],
    });
  }
  if (m.width > 0 && m.height > 0) {
    const ratio = m.width / m.height;
    const name = ratio > 1.1 ? 'Landscape' : ratio < 1 / 1.1 ? 'Portrait' : 'Square';
    const distance =
      name === 'Square' ? 1 - Math.abs(Math.log(ratio)) / Math.log(1.1) : Math.abs(Math.log(ratio)) / Math.log(1.1) - 1;
    labels.push({
      name: `Orientation: ${name}`,
      confidence: round1(clamp(70 + 29 * distance, 50, 99)),
      parents: ['Orientation'],
    });
  }
  return labels.sort((a, b) => b.confidence - a.confidence);
}

export function moderationLabelsFrom(m: Measurements): ModerationLabel[] {
  return m.sentinelShare > 0.5 ? [{ ...SENTINEL_LABEL }] : [];
}

/**
 * Rekognition's set quotas for DetectLabels and DetectModerationLabels on an S3 object ("Guidelines
 * and quotas in Amazon Rekognition"): at most 15 MB, JPEG or PNG only, 80 to 10,000 px a side.
 */
export const REKOGNITION_IMAGE_LIMITS = {
  maxBytes: 15 * 1024 * 1024,
  minSide: 80,
  maxSide: 10_000,
  formats: ['jpeg', 'png'],
} as const;

const metadata = { $metadata: {} };

/**
 * Refuses what Rekognition refuses, with the exception Rekognition throws: ImageTooLargeException
 * over 15 MB, InvalidImageFormatException for anything but a decodable JPEG or PNG, and
 * InvalidParameterException ("Request has invalid parameters", what Rekognition answers for an
 * image under 80 px) for a side outside 80..10,000 px. The detector's callers translate them
 * exactly as they translate Rekognition's (toDetectorError), so the twin shows what AWS would do.
 */
export async function checkRekognitionLimits(bytes: Buffer): Promise<void> {
  const limits = REKOGNITION_IMAGE_LIMITS;
  if (bytes.length > limits.maxBytes) {
    throw new ImageTooLargeException({
      message: `Image size ${bytes.length} bytes exceeds the maximum of ${limits.maxBytes} bytes`,
      ...metadata,
    });
  }
  const {
    format,
    width = 0,
    height = 0,
  } = await sharp(bytes)
    .metadata()
    .catch(() => {
      throw new InvalidImageFormatException({ message: 'Request has invalid image format', ...metadata });
    });
  if (!(limits.formats as readonly string[]).includes(format ?? '')) {
    throw new InvalidImageFormatException({ message: 'Request has invalid image format', ...metadata });
  }
  if (Math.min(width, height) < limits.minSide) {
    throw new InvalidParameterException({ message: 'Request has invalid parameters', ...metadata });
  }
  if (Math.max(width, height) > limits.maxSide) {
    throw new InvalidParameterException({
      message: `Input image dimensions ${width} x ${height} exceed maximum dimension size of ${limits.maxSide} pixels`,
      ...metadata,
    });
  }
}

/** Analysis images whose measurements are kept: enough for every run of a burst in AnalyseImage at once. */
const RECENT_IMAGES = 64;

export class LocalImageDetector implements LabelDetector, ModerationDetector {
  readonly displayName = LOCAL_DETECTOR_NAME;

  /**
   * Measurements of recent images, by bucket and key. DetectLabels and DetectModerationLabels look
   * at the same analysis JPEG at the same moment (AnalyseImage's two branches): one download and
   * one decode serve both. An analysis JPEG's key is never rewritten (each object version gets its
   * own folder), and a failed measurement is not kept, so a retry measures again.
   */
  private readonly recent = new Map<string, Promise<Measurements>>();

  constructor(private readonly s3: S3Client) {}

  private measure(image: ImageRef): Promise<Measurements> {
    const id = `${image.bucket}/${image.key}`;
    const known = this.recent.get(id);
    if (known !== undefined) return known;
    const measured = this.download(image);
    this.recent.set(id, measured);
    measured.catch(() => this.recent.delete(id));
    for (const oldest of this.recent.keys()) {
      if (this.recent.size <= RECENT_IMAGES) break;
      this.recent.delete(oldest);
    }
    return measured;
  }

  private async download(image: ImageRef): Promise<Measurements> {
    const response = await this.s3.send(new GetObjectCommand({ Bucket: image.bucket, Key: image.key }));
    if (!response.Body) throw new Error(`s3://${image.bucket}/${image.key} has no body`);
    const bytes = Buffer.from(await response.Body.transformToByteArray());
    try {
      await checkRekognitionLimits(bytes);
      return await measureImage(bytes);
    } catch (error: unknown) {
      // Rekognition's exceptions become the port's errors exactly as the Rekognition adapters map
      // them (a decoding failure past the checks too: Rekognition calls that an invalid format).
      const rekognitionError =
        error instanceof Error && error.name.endsWith('Exception')
          ? error
          : new InvalidImageFormatException({ message: 'Request has invalid image format', ...metadata });
      throw toDetectorError(rekognitionError, image);
    }
  }

  async detectLabels(image: ImageRef, options: LabelDetectionOptions): Promise<Label[]> {
    const labels = labelsFrom(await this.measure(image)).filter((l) => l.confidence >= options.minConfidence);
    return labels.slice(0, options.maxLabels);
  }

  async detectModerationLabels(image: ImageRef, options: ModerationDetectionOptions): Promise<ModerationLabel[]> {
    return moderationLabelsFrom(await this.measure(image)).filter((l) => l.confidence >= options.minConfidence);
  }
}
