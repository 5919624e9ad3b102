import { build } from 'esbuild';
import { readFile } from 'node:fs/promises';
import { createServer, type ServerResponse } from 'node:http';
import { join, resolve } from 'node:path';
import { listenOnLoopback, type Listening } from '../listen';

/**
 * The twin's front-end server: the page in web/ on its own origin (by default
 * http://localhost:5173, the dev stage's allowed origin), so that the browser talks to the API
 * and to S3 across origins, as a deployed front end does. The TypeScript is bundled with esbuild
 * (the bundler CDK uses for the functions) once, at start, into memory: no build step, no file
 * written, and no script from anywhere but this server. esbuild bundles in its own process, so the
 * twin starts the bundling first and the emulators meanwhile.
 */

const WEB_DIR = resolve(__dirname, '..', '..', 'web');

export interface WebServerOptions {
  /** 0 picks a free port. */
  port: number;
  /** The REST API the page calls (the twin's API server). */
  apiUrl: string;
  /** The API's ALLOWED_ORIGINS: the page warns when it is not served from one of them. */
  allowedOrigins: readonly string[];
  dashboardUrl: string;
  /** The page's script when its bundling was started earlier (see bundleApp). @default bundled now */
  script?: Promise<string>;
}

/** The page's script: web/app.ts and what it imports, as one ES module. */
export async function bundleApp(): Promise<string> {
  const result = await build({
    entryPoints: [join(WEB_DIR, 'app.ts')],
    bundle: true,
    format: 'esm',
    target: 'es2022',
    platform: 'browser',
    write: false,
    sourcemap: 'inline',
    logLevel: 'silent',
  });
  const [output] = result.outputFiles;
  if (output === undefined) throw new Error('esbuild produced no bundle for web/app.ts');
  return output.text;
}

export async function startWebServer(options: WebServerOptions): Promise<Listening> {
  const [html, css, script] = await Promise.all([
    readFile(join(WEB_DIR, 'index.html'), 'utf8'),
    readFile(join(WEB_DIR, 'app.css'), 'utf8'),
    options.script ?? bundleApp(),
  ]);
  const config = JSON.stringify({
    apiUrl: options.apiUrl,
    allowedOrigins: options.allowedOrigins,
    dashboardUrl: options.dashboardUrl,
  });
  const files: Readonly<Record<string, { type: string; body: string }>> = {
    '/': { type: 'text/html; charset=utf-8', body: html },
    '/index.html': { type: 'text/html; charset=utf-8', body: html },
    '/app.css': { type: 'text/css; charset=utf-8', body: css },
    '/app.js': { type: 'text/javascript; charset=utf-8', body: script },
    '/config.json': { type: 'application/json', body: config },
  };
  const server = createServer((req, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const file = files[path];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (file === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found');
      return;
    }
    res.writeHead(200, {
      'content-type': file.type,
      'cache-control': 'no-store',
      // Scripts, styles and data from this origin only; the API and S3 are the only other hosts.
      'content-security-policy':
        "default-src 'self'; img-src 'self' http://127.0.0.1:* http://localhost:*; connect-src 'self' http://127.0.0.1:* http://localhost:*; object-src 'none'; base-uri 'none'",
    });
    res.end(req.method === 'HEAD' ? undefined : file.body);
  });
  return listenOnLoopback(server, options.port);
}
