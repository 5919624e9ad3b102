import type { ArticleListing } from '../functions/articles/articles-service';
import type { Article } from '../functions/articles/ports';
import type { MediaView, UploadTicket } from '../functions/media/media-service';

/**
 * The REST API as this page calls it: plain fetch with a Bearer token, and the upload straight to
 * S3 with XMLHttpRequest, whose upload events give the progress bar (fetch has none). Types are
 * the handlers' own (docs/openapi.json describes the same shapes).
 */

export type { Article, ArticleListing, MediaView, UploadTicket };

/** What the twin's front-end server tells the page (GET /config.json). */
export interface PageConfig {
  apiUrl: string;
  allowedOrigins: string[];
  dashboardUrl: string;
}

/** A refusal in the contract's shape `{"error": {"code", "message"}}`, or a network failure. */
export class ApiCallError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export class TravelGuideApi {
  private token: string | undefined;

  constructor(readonly apiUrl: string) {}

  get signedIn(): boolean {
    return this.token !== undefined;
  }

  /** The twin's stand-in for Cognito: a token for any user id (on AWS, the Cognito ID token). */
  async signIn(userId: string): Promise<void> {
    const { token } = await this.call<{ token: string }>('POST', '/_local/token', { userId });
    this.token = token;
  }

  listArticles(): Promise<ArticleListing> {
    return this.call('GET', '/articles?limit=20');
  }

  createArticle(input: { title: string; body: string; tags?: string[]; coverMediaId?: string }): Promise<Article> {
    return this.call('POST', '/articles', input);
  }

  getMedia(mediaId: string): Promise<MediaView> {
    return this.call('GET', `/media/${encodeURIComponent(mediaId)}`);
  }

  requestUpload(file: File): Promise<UploadTicket> {
    return this.call('POST', '/media/uploads', { contentType: file.type, contentLength: file.size });
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = {};
    if (this.token !== undefined) headers.authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(`${this.apiUrl}${path}`, {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch {
      throw new ApiCallError(
        0,
        'NETWORK',
        `${method} ${path}: no answer (is the twin running, and this origin allowed?)`,
      );
    }
    const text = await response.text();
    const parsed: unknown = text === '' ? undefined : JSON.parse(text);
    if (!response.ok) {
      const error = (parsed as { error?: { code?: string; message?: string } } | undefined)?.error;
      throw new ApiCallError(
        response.status,
        error?.code ?? 'HTTP',
        error?.message ?? `${method} ${path}: ${response.status}`,
      );
    }
    return parsed as T;
  }
}

/**
 * POSTs the file to S3 with the presigned form: every field first, then the file, as S3 requires.
 * `onProgress` gets the fraction of the body sent.
 */
export function uploadToBucket(
  ticket: UploadTicket,
  file: File,
  onProgress: (fraction: number) => void,
): Promise<void> {
  const form = new FormData();
  for (const [name, value] of Object.entries(ticket.fields)) form.append(name, value);
  form.append('file', file);
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', ticket.url);
    xhr.upload.addEventListener('progress', (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    });
    xhr.addEventListener('load', () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(1);
        resolve();
      } else {
        const code = /<Code>([^<]*)<\/Code>/.exec(xhr.responseText)?.[1] ?? String(xhr.status);
        const message = /<Message>([^<]*)<\/Message>/.exec(xhr.responseText)?.[1] ?? 'upload refused';
        reject(new ApiCallError(xhr.status, code, `S3 refused the upload: ${code}: ${message}`));
      }
    });
    xhr.addEventListener('error', () =>
      reject(new ApiCallError(0, 'NETWORK', 'The upload to S3 failed (network or CORS)')),
    );
    xhr.send(form);
  });
}
