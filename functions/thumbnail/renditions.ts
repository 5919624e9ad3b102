import sharp from 'sharp';
import type { Metadata, Sharp, SharpOptions } from 'sharp';
import { CorruptImageError, ImageTooLargeError, UnsupportedMediaError } from '../shared/errors';
import { IMAGE_CONTENT_TYPES, type ImageFormat } from '../shared/media';

/*
 * Pure core of the thumbnail step: bytes in, encoded images out. No SDK, no environment.
 *
 * One sharp input, cloned into two branches that run in parallel (libvips decodes each branch
 * itself, and shrink-on-load makes the rendition branch's decode cheap):
 *   - the analysis JPEG, streamed from the input straight to the encoder;
 *   - the renditions: decoded once at the widest rendition size into an uncompressed buffer, each
 *     narrower size resized from the previous one, and every size encoded as WebP and JPEG.
 * Measured against one sharp pipeline per output this is as fast, and memory stays bounded however
 * large the input: JPEG shrink-on-load means a 54 MP photo is never decoded at full resolution
 * (peak RSS about 280 MB here), and the rendition buffer is at most 1280 px wide.
 */

export type InputFormat = ImageFormat;

export interface RenditionSpec {
  name: string;
  /** Target width in pixels; smaller images keep their own width (never upscaled). */
  width: number;
}

/** Widths a web page needs: a card thumbnail and an article-width image. Ordered widest first. */
export const DEFAULT_RENDITIONS: readonly RenditionSpec[] = [
  { name: 'large', width: 1280 },
  { name: 'small', width: 320 },
];

export interface RenditionLimits {
  /** Inputs with more pixels are refused before they are decoded. */
  maxInputPixels: number;
  /** Long side of the analysis JPEG. Rekognition accepts up to 4096 px. @default 4096 */
  analysisMaxSide?: number;
  /** Size of the analysis JPEG. Rekognition's S3 limit is 15 MB. @default 15728640 */
  analysisMaxBytes?: number;
  /** @default DEFAULT_RENDITIONS */
  renditions?: readonly RenditionSpec[];
}

export interface EncodedImage {
  /** 'small', 'large', ... or 'analysis'. */
  name: string;
  /** File name under the media's derived folder, e.g. small.webp. */
  fileName: string;
  format: 'webp' | 'jpeg';
  contentType: string;
  width: number;
  height: number;
  data: Buffer;
}

export interface SourceImage {
  format: InputFormat;
  contentType: string;
  /** Display dimensions, after EXIF orientation. */
  width: number;
  height: number;
}

export interface RenditionSet {
  source: SourceImage;
  /** Every rendition in every format, widest first. */
  renditions: EncodedImage[];
  analysis: EncodedImage;
}

/** Called as soon as each output is encoded, so the caller can upload while the rest are encoded. */
export type OutputSink = (image: EncodedImage) => Promise<void>;

const DEFAULT_ANALYSIS_MAX_SIDE = 4096;
const DEFAULT_ANALYSIS_MAX_BYTES = 15 * 1024 * 1024;
/** Rekognition's minimum image size, in pixels on each side. */
const ANALYSIS_MIN_SIDE = 80;
/** Tried in order until the analysis JPEG fits; detectors need shapes, not fine detail. */
const ANALYSIS_QUALITIES = [85, 70, 55, 40] as const;
/** When even the lowest quality is too big, shrink the long side by this factor and try again. */
const ANALYSIS_SHRINK = 0.75;
const WEBP_QUALITY = 80;
const JPEG_QUALITY = 82;
/** JPEG has no alpha: transparent areas become white, as a browser would show them on a page. */
const JPEG_BACKGROUND = '#ffffff';

/**
 * Identifies the image type from its first bytes (never from the declared Content-Type).
 * @throws UnsupportedMediaError naming what was found when it is not JPEG, PNG or WebP.
 */
export function detectImageFormat(bytes: Uint8Array): InputFormat {
  const starts = (offset: number, signature: readonly number[]): boolean =>
    bytes.length >= offset + signature.length && signature.every((value, i) => bytes[offset + i] === value);
  const ascii = (offset: number, text: string): boolean => starts(offset, [...Buffer.from(text, 'latin1')]);

  if (starts(0, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (starts(0, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  if (ascii(0, 'RIFF') && ascii(8, 'WEBP')) return 'webp';
  throw new UnsupportedMediaError(
    `Unsupported media: found ${describeBytes(bytes, ascii)}; expected JPEG, PNG or WebP`,
  );
}

function describeBytes(bytes: Uint8Array, ascii: (offset: number, text: string) => boolean): string {
  if (bytes.length === 0) return 'an empty file';
  if (ascii(0, 'GIF8')) return 'a GIF image';
  if (ascii(4, 'ftypheic') || ascii(4, 'ftypheix') || ascii(4, 'ftypmif1') || ascii(4, 'ftyphevc'))
    return 'a HEIC image';
  if (ascii(4, 'ftypavif')) return 'an AVIF image';
  if (ascii(4, 'ftyp')) return 'an ISO media file (video or HEIF)';
  if (ascii(0, 'II*\0') || ascii(0, 'MM\0*')) return 'a TIFF image';
  if (ascii(0, 'BM')) return 'a BMP image';
  if (ascii(0, '%PDF')) return 'a PDF document';
  if (ascii(0, 'PK\x03\x04')) return 'a ZIP archive';
  const head = bytes.subarray(0, 512);
  if (/<svg[\s>]/i.test(Buffer.from(head).toString('latin1'))) return 'an SVG image';
  // No control characters other than tab and line breaks: plain text (bytes >= 0x80 may be UTF-8).
  if (head.every((b) => b === 0x09 || b === 0x0a || b === 0x0d || (b >= 0x20 && b !== 0x7f))) return 'text';
  return 'binary data of an unknown type';
}

/**
 * Decodes, orients and strips the image, and encodes every rendition and the analysis JPEG.
 * @throws UnsupportedMediaError, ImageTooLargeError, CorruptImageError
 */
export async function createRenditions(
  bytes: Uint8Array,
  limits: RenditionLimits,
  onOutput?: OutputSink,
): Promise<RenditionSet> {
  const format = detectImageFormat(bytes);
  const input = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const options: SharpOptions = {
    limitInputPixels: limits.maxInputPixels,
    // 'error' aborts on truncated or corrupt pixel data but tolerates the harmless warnings some
    // cameras' JPEGs raise ('warning', the strictest level, would refuse those photos).
    failOn: 'error',
    autoOrient: true,
    sequentialRead: true,
  };

  // Headers only: cheap, and gives a clear message before any pixel is decoded.
  const metadata = await readMetadata(input, { ...options, limitInputPixels: false });
  const pixels = metadata.width * metadata.height;
  if (pixels > limits.maxInputPixels) {
    throw new ImageTooLargeError(
      `Image is ${metadata.width} x ${metadata.height} (${pixels} pixels); the limit is ${limits.maxInputPixels} pixels`,
    );
  }
  const source: SourceImage = {
    format,
    contentType: IMAGE_CONTENT_TYPES[format],
    width: metadata.autoOrient.width,
    height: metadata.autoOrient.height,
  };

  const analysisMaxSide = limits.analysisMaxSide ?? DEFAULT_ANALYSIS_MAX_SIDE;
  // The output of every branch has no metadata at all (sharp strips it unless asked to keep it),
  // its pixels are already rotated, and its colour space is sRGB.
  // One input for both branches; each clone is its own pipeline, reading the same bytes.
  const decoder = sharp(input, options);

  const emit = async (image: EncodedImage): Promise<EncodedImage> => {
    if (onOutput !== undefined) await onOutput(image);
    return image;
  };

  const [analysis, renditions] = await Promise.all([
    encodeAnalysis(
      () => decoder.clone(),
      source,
      analysisMaxSide,
      limits.analysisMaxBytes ?? DEFAULT_ANALYSIS_MAX_BYTES,
    ).then(emit),
    encodeRenditions(decoder.clone(), limits.renditions ?? DEFAULT_RENDITIONS, emit),
  ]);
  return { source, renditions, analysis };
}

interface RawImage {
  data: Buffer;
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
}

async function readMetadata(input: Buffer, options: SharpOptions): Promise<Metadata> {
  try {
    return await sharp(input, options).metadata();
  } catch (error: unknown) {
    throw toDomainError(error);
  }
}

async function decode(pipeline: Sharp): Promise<RawImage> {
  try {
    const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
    return { data, width: info.width, height: info.height, channels: info.channels };
  } catch (error: unknown) {
    throw toDomainError(error);
  }
}

function fromRaw(image: RawImage): Sharp {
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels: image.channels } });
}

async function encodeRenditions(
  input: Sharp,
  specs: readonly RenditionSpec[],
  emit: (image: EncodedImage) => Promise<EncodedImage>,
): Promise<EncodedImage[]> {
  // Widest first, each resized from the previous one: downscaling a 1280 px image to 320 px is far
  // cheaper than decoding the input again, and quality is the same.
  const ordered = [...specs].sort((a, b) => b.width - a.width);
  const encodes: Promise<EncodedImage[]>[] = [];
  let previous: RawImage | undefined;
  for (const spec of ordered) {
    const sized =
      previous === undefined
        ? await decode(input.resize({ width: spec.width, withoutEnlargement: true }))
        : previous.width <= spec.width
          ? previous
          : await decode(fromRaw(previous).resize({ width: spec.width }));
    encodes.push(
      Promise.all([
        encode(fromRaw(sized), spec.name, 'webp', WEBP_QUALITY).then(emit),
        encode(fromRaw(sized), spec.name, 'jpeg', JPEG_QUALITY).then(emit),
      ]),
    );
    previous = sized;
  }
  return (await Promise.all(encodes)).flat();
}

async function encode(pipeline: Sharp, name: string, format: 'webp' | 'jpeg', quality: number): Promise<EncodedImage> {
  const encoded =
    format === 'webp'
      ? pipeline.webp({ quality })
      : pipeline.flatten({ background: JPEG_BACKGROUND }).jpeg({ quality, mozjpeg: false });
  try {
    const { data, info } = await encoded.toBuffer({ resolveWithObject: true });
    return {
      name,
      fileName: `${name}.${format === 'webp' ? 'webp' : 'jpg'}`,
      format,
      contentType: format === 'webp' ? 'image/webp' : 'image/jpeg',
      width: info.width,
      height: info.height,
      data,
    };
  } catch (error: unknown) {
    throw toDomainError(error);
  }
}

/** Where the analysis image is letterboxed, the bars are black, as in a letterboxed film. */
const LETTERBOX_BACKGROUND = '#000000';

/** How the analysis JPEG is made from the decoded image: resized to `image`, then padded to `canvas`. */
export interface AnalysisLayout {
  /** The picture itself, fitted inside the long-side bound (and enlarged where that helps). */
  image: { width: number; height: number };
  /** The encoded JPEG: the picture centred, with black bars where a side was under 80 px. */
  canvas: { width: number; height: number };
}

/**
 * Layout of the analysis JPEG. Rekognition accepts 80 px to 10,000 px a side (the long side is
 * kept within maxSide, 4096 px by default). The picture is fitted inside maxSide, never enlarged,
 * except that a side under 80 px is enlarged towards 80 as far as the long side allows (the
 * analysis JPEG is never served; renditions are never enlarged). Where that cannot reach 80 px
 * (a 4000 x 60 panorama strip, a 10,000 x 100 banner), the picture is letterboxed: centred on a
 * canvas 80 px on that side, so every image that passes the upload checks can be analysed.
 */
export function analysisSize(image: { width: number; height: number }, maxSide: number): AnalysisLayout {
  const longSide = Math.max(image.width, image.height);
  const shortSide = Math.min(image.width, image.height);
  const scale = Math.min(maxSide / longSide, Math.max(1, ANALYSIS_MIN_SIDE / shortSide));
  const fitted = {
    width: Math.min(maxSide, Math.max(1, Math.round(image.width * scale))),
    height: Math.min(maxSide, Math.max(1, Math.round(image.height * scale))),
  };
  return { image: fitted, canvas: padded(fitted) };
}

function padded(image: { width: number; height: number }): { width: number; height: number } {
  return { width: Math.max(ANALYSIS_MIN_SIDE, image.width), height: Math.max(ANALYSIS_MIN_SIDE, image.height) };
}

/** Centres the picture on a canvas at least 80 px a side (no-op when it already is). */
function letterbox(pipeline: Sharp, image: { width: number; height: number }): Sharp {
  const canvas = padded(image);
  if (canvas.width === image.width && canvas.height === image.height) return pipeline;
  const left = Math.floor((canvas.width - image.width) / 2);
  const top = Math.floor((canvas.height - image.height) / 2);
  return pipeline.extend({
    left,
    right: canvas.width - image.width - left,
    top,
    bottom: canvas.height - image.height - top,
    background: LETTERBOX_BACKGROUND,
  });
}

/**
 * Streams the analysis JPEG from the input. In the rare case it is over the byte budget, decodes
 * once and lowers quality, then size, until it fits (letterboxing again after each shrink).
 */
async function encodeAnalysis(
  input: () => Sharp,
  source: { width: number; height: number },
  maxSide: number,
  maxBytes: number,
): Promise<EncodedImage> {
  const { image: size } = analysisSize(source, maxSide);
  const sized = (): Sharp => input().resize({ ...size, fit: 'fill' });
  const [firstQuality, ...lowerQualities] = ANALYSIS_QUALITIES;
  // extend() applies after resize() in one sharp pipeline, so this still streams.
  const first = await encode(letterbox(sized(), size), 'analysis', 'jpeg', firstQuality);
  if (first.data.length <= maxBytes) return first;

  let image = await decode(sized());
  let qualities: readonly number[] = lowerQualities;
  for (;;) {
    for (const quality of qualities) {
      const encoded = await encode(letterbox(fromRaw(image), image), 'analysis', 'jpeg', quality);
      if (encoded.data.length <= maxBytes) return encoded;
    }
    const longSide = Math.max(image.width, image.height);
    if (longSide <= 16) {
      throw new ImageTooLargeError(`Cannot encode an analysis JPEG within ${maxBytes} bytes`);
    }
    const target = Math.floor(longSide * ANALYSIS_SHRINK);
    image = await decode(fromRaw(image).resize({ width: target, height: target, fit: 'inside' }));
    qualities = ANALYSIS_QUALITIES;
  }
}

/** Maps libvips/sharp failures to the domain errors the ASL matches by name. */
function toDomainError(error: unknown): Error {
  const message = error instanceof Error ? error.message : String(error);
  if (/exceeds pixel limit/i.test(message)) {
    return new ImageTooLargeError(`Image has more pixels than the limit allows (${message})`, { cause: error });
  }
  if (/unsupported image format/i.test(message)) {
    return new UnsupportedMediaError(`Unsupported media: ${message}`, { cause: error });
  }
  return new CorruptImageError(`Image cannot be decoded: ${message.split('\n')[0] ?? message}`, { cause: error });
}
