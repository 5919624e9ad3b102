import sharp from 'sharp';

/** Images made with sharp for the journeys and the e2e tests: each is exactly what its name says. */

/** A real photo-like JPEG: a gradient with detail, so it is neither flat nor blurry. */
export async function photoJpeg(width: number, height: number): Promise<Buffer> {
  const channels = 3;
  const pixels = Buffer.alloc(width * height * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * channels;
      const stripe = (Math.floor(x / 8) + Math.floor(y / 8)) % 2 === 0 ? 40 : 0;
      pixels[i] = 30 + stripe;
      pixels[i + 1] = 90 + Math.round((x / width) * 60) + stripe;
      pixels[i + 2] = 200 + Math.round((y / height) * 40);
    }
  }
  return sharp(pixels, { raw: { width, height, channels } }).jpeg({ quality: 90 }).toBuffer();
}

/**
 * A landscape (sky, sun, mountains, a lake) drawn as SVG and encoded as JPEG: the smoke
 * command's photo, recognisable enough for Rekognition to find labels in.
 */
export function landscapeJpeg(width = 1200, height = 800): Promise<Buffer> {
  const key = `${width}x${height}`;
  // Made once per size and process: a smoke run uploads it once, a test file may run several.
  let made = landscapes.get(key);
  if (!made) {
    made = drawLandscape(width, height);
    landscapes.set(key, made);
  }
  return made;
}

const landscapes = new Map<string, Promise<Buffer>>();

async function drawLandscape(width: number, height: number): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 1200 800" preserveAspectRatio="none">
  <defs><linearGradient id="sky" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#2a6fd6"/><stop offset="1" stop-color="#bfe3ff"/></linearGradient></defs>
  <rect width="1200" height="800" fill="url(#sky)"/>
  <circle cx="900" cy="180" r="80" fill="#fff3b0"/>
  <polygon points="0,560 220,260 420,520 640,220 900,540 1200,300 1200,800 0,800" fill="#4b5d4a"/>
  <polygon points="560,300 640,220 720,310 680,300 640,330 600,300" fill="#ffffff"/>
  <rect y="620" width="1200" height="180" fill="#2f7fa6"/>
</svg>`;
  return sharp(Buffer.from(svg)).jpeg({ quality: 85 }).toBuffer();
}

/** The local moderation rule's sentinel: an image that is mostly pure magenta. */
export async function sentinelJpeg(width: number, height: number): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: 255, g: 0, b: 255 } } })
    .jpeg({ quality: 90 })
    .toBuffer();
}

/** A JPEG cut off after its first 2,000 bytes: the header is valid, the scan data is not there. */
export async function corruptJpeg(width = 640, height = 480): Promise<Buffer> {
  return (await photoJpeg(width, height)).subarray(0, 2000);
}
