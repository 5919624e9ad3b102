import type { Article } from '../functions/articles/ports';
import type { MediaView, UploadTicket } from '../functions/media/media-service';
import { TERMINAL_STATUSES } from '../functions/shared/media';
import { encodeForm, send } from './http';

/**
 * The REST API as a client app calls it, against any base URL: the local twin
 * (`http://127.0.0.1:3000`) or a deployed stage (the stack's `ApiUrl`, e.g.
 * `https://abc.execute-api.eu-west-1.amazonaws.com/v1/`). The smoke command and the e2e tests
 * both use it.
 */

export type { Article, MediaView, UploadTicket };

export interface JsonResponse<T = unknown> {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: T;
}

export interface RequestOptions {
  token?: string;
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
}

/** `apiUrl` + `path`, whether or not the base ends in a slash (a stage URL does). */
export function apiUrlOf(apiUrl: string, path: string): string {
  return `${apiUrl.replace(/\/+$/, '')}${path}`;
}

export async function requestJson<T = Record<string, unknown>>(
  apiUrl: string,
  method: string,
  path: string,
  options: RequestOptions = {},
): Promise<JsonResponse<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined = options.rawBody;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const response = await send(apiUrlOf(apiUrl, path), { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = response.body.toString('utf8');
  let parsed: unknown = text;
  try {
    parsed = text === '' ? null : JSON.parse(text);
  } catch {
    // Non-JSON bodies are returned as text for the caller to show.
  }
  return { status: response.status, headers: response.headers, body: parsed as T };
}

/** A short, readable account of an unexpected answer, for error messages. */
export function describeResponse(response: JsonResponse): string {
  const body = typeof response.body === 'string' ? response.body : JSON.stringify(response.body);
  return `${response.status} ${body.length > 300 ? `${body.slice(0, 300)}...` : body}`;
}

/** The local twin's stand-in for Cognito: a token for any user id. */
export async function localToken(apiUrl: string, userId: string): Promise<string> {
  const response = await requestJson<{ token: string }>(apiUrl, 'POST', '/_local/token', { body: { userId } });
  if (response.status !== 200) throw new Error(`POST /_local/token answered ${describeResponse(response)}`);
  return response.body.token;
}

export async function presign(
  apiUrl: string,
  token: string,
  contentType: string,
  contentLength: number,
): Promise<UploadTicket> {
  const response = await requestJson<UploadTicket>(apiUrl, 'POST', '/media/uploads', {
    token,
    body: { contentType, contentLength },
  });
  if (response.status !== 201) throw new Error(`POST /media/uploads answered ${describeResponse(response)}`);
  return response.body;
}

/** The multipart POST `curl -F` sends: every policy field first, the file last (S3 ignores fields after it). */
export async function postToPresignedUrl(
  ticket: Pick<UploadTicket, 'url' | 'fields'> & { mediaId?: string },
  bytes: Buffer,
  contentType: string,
): Promise<number> {
  const form = new FormData();
  for (const [name, value] of Object.entries(ticket.fields)) form.append(name, value);
  form.append('file', new Blob([new Uint8Array(bytes)], { type: contentType }), 'upload');
  const { body, contentType: formType } = await encodeForm(form);
  const response = await send(ticket.url, { method: 'POST', headers: { 'content-type': formType }, body });
  return response.status;
}

/** Presign + upload in one go; returns the media id. */
export async function upload(
  apiUrl: string,
  token: string,
  bytes: Buffer,
  contentType = 'image/jpeg',
): Promise<string> {
  const ticket = await presign(apiUrl, token, contentType, bytes.length);
  const status = await postToPresignedUrl(ticket, bytes, contentType);
  if (status < 200 || status > 299) throw new Error(`the presigned POST to S3 answered ${status}`);
  return ticket.mediaId;
}

/** The record's final statuses (functions/shared/media.ts, the one list). */
export { TERMINAL_STATUSES };

export interface WaitOptions {
  /** @default 20000 */
  timeoutMs?: number;
  /** @default 100 */
  intervalMs?: number;
}

/** Polls GET /media/{id} until a terminal status; throws, naming the last status seen, at the timeout. */
export async function waitForTerminal(apiUrl: string, mediaId: string, options: WaitOptions = {}): Promise<MediaView> {
  const timeoutMs = options.timeoutMs ?? 20_000;
  const deadline = Date.now() + timeoutMs;
  let last: JsonResponse<MediaView> | undefined;
  for (;;) {
    last = await requestJson<MediaView>(apiUrl, 'GET', `/media/${mediaId}`);
    if (last.status === 200 && (TERMINAL_STATUSES as readonly string[]).includes(last.body.status)) return last.body;
    if (Date.now() >= deadline) break;
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 100));
  }
  const seen =
    last.status === 200 ? `still ${last.body.status}` : `GET /media/${mediaId} answered ${describeResponse(last)}`;
  throw new Error(`media ${mediaId} ${seen} after ${(timeoutMs / 1000).toFixed(1)} s: the pipeline did not finish it`);
}
