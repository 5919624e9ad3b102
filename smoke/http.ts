import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

/**
 * A minimal HTTP(S) client on node:http and node:https, one connection per request (no
 * keep-alive pool). The smoke command and the e2e tests use it instead of the global fetch:
 * fetch's connection pool outlives a test file and keeps jest's worker from exiting cleanly.
 */

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export interface SendOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
  /** Gives up when no byte moved for this long. @default 30000 */
  timeoutMs?: number;
}

export function send(url: string, options: SendOptions = {}): Promise<HttpResponse> {
  const request = url.startsWith('https:') ? httpsRequest : httpRequest;
  const timeoutMs = options.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: options.method ?? 'GET', headers: options.headers ?? {}, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on('error', reject);
      },
    );
    req.setTimeout(timeoutMs, () =>
      req.destroy(new Error(`${options.method ?? 'GET'} ${url}: no answer within ${timeoutMs} ms`)),
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Encodes a FormData exactly as fetch would send it (multipart boundary and all), without fetch's pool. */
export async function encodeForm(form: FormData): Promise<{ body: Buffer; contentType: string }> {
  const encoded = new Response(form);
  return { body: Buffer.from(await encoded.arrayBuffer()), contentType: encoded.headers.get('content-type') ?? '' };
}
