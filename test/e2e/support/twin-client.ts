import { S3Client } from '@aws-sdk/client-s3';
import sharp from 'sharp';
import { EMULATOR_ACCESS_KEY_ID, EMULATOR_SECRET_ACCESS_KEY } from '../../../local/settings';
import type { Twin } from '../../../local/twin';
import { encodeForm, send } from './http';

/** Small HTTP helpers for talking to a running twin the way a client app would. */

export interface JsonResponse<T = unknown> {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: T;
}

export async function requestJson<T = Record<string, unknown>>(
  twin: Twin,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
): Promise<JsonResponse<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined = options.rawBody;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const response = await send(`${twin.apiUrl}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = response.body.toString('utf8');
  let parsed: unknown = text;
  try {
    parsed = text === '' ? null : JSON.parse(text);
  } catch {
    // Non-JSON bodies are returned as text for the assertion to show.
  }
  return { status: response.status, headers: response.headers, body: parsed as T };
}

export async function tokenFor(twin: Twin, userId: string): Promise<string> {
  const response = await requestJson<{ token: string }>(twin, 'POST', '/_local/token', { body: { userId } });
  if (response.status !== 200) throw new Error(`token request failed: ${response.status}`);
  return response.body.token;
}

export interface UploadTicket {
  mediaId: string;
  url: string;
  fields: Record<string, string>;
}

export async function presign(twin: Twin, token: string, contentType: string, contentLength: number): Promise<UploadTicket> {
  const response = await requestJson<UploadTicket>(twin, 'POST', '/media/uploads', { token, body: { contentType, contentLength } });
  if (response.status !== 201) throw new Error(`presign failed: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body;
}

/** The multipart POST `curl -F` sends: every policy field first, the file last (S3 ignores fields after it). */
export async function postToPresignedUrl(ticket: UploadTicket, bytes: Buffer, contentType: string): Promise<number> {
  const form = new FormData();
  for (const [name, value] of Object.entries(ticket.fields)) form.append(name, value);
  form.append('file', new Blob([new Uint8Array(bytes)], { type: contentType }), 'upload');
  const { body, contentType: formType } = await encodeForm(form);
  const response = await send(ticket.url, { method: 'POST', headers: { 'content-type': formType }, body });
  return response.status;
}

export interface MediaView {
  mediaId: string;
  status: string;
  renditions?: { name: string; width: number; height: number; format: string; bytes: number; url: string }[];
  labels?: { name: string; confidence: number; parents: string[] }[];
  moderation?: { verdict: string };
  error?: { code: string; message: string };
  updatedAt: string;
}

const TERMINAL = ['READY', 'REJECTED', 'FAILED'];

/** Polls GET /media/{id} until a terminal status (or the timeout). */
export async function waitForTerminal(twin: Twin, mediaId: string, timeoutMs = 20_000): Promise<MediaView> {
  const deadline = Date.now() + timeoutMs;
  let last: MediaView | undefined;
  while (Date.now() < deadline) {
    const response = await requestJson<MediaView>(twin, 'GET', `/media/${mediaId}`);
    last = response.body;
    if (response.status === 200 && TERMINAL.includes(last.status)) return last;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`media ${mediaId} not terminal after ${timeoutMs} ms; last: ${JSON.stringify(last)}`);
}

/** Presign + upload in one go; returns the media id. */
export async function upload(twin: Twin, token: string, bytes: Buffer, contentType = 'image/jpeg'): Promise<string> {
  const ticket = await presign(twin, token, contentType, bytes.length);
  const status = await postToPresignedUrl(ticket, bytes, contentType);
  if (status < 200 || status > 299) throw new Error(`upload failed with ${status}`);
  return ticket.mediaId;
}

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

/** The local moderation rule's sentinel: an image that is mostly pure magenta. */
export async function sentinelJpeg(width: number, height: number): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: 255, g: 0, b: 255 } } }).jpeg({ quality: 90 }).toBuffer();
}

export async function health(twin: Twin): Promise<number> {
  return (await send(twin.healthUrl)).status;
}

/** An S3 client on the twin's S3 emulator, for what a test does behind the API's back. */
export function twinS3Client(twin: Twin): S3Client {
  return new S3Client({
    region: twin.region,
    endpoint: twin.s3Endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: EMULATOR_ACCESS_KEY_ID, secretAccessKey: EMULATOR_SECRET_ACCESS_KEY },
  });
}
