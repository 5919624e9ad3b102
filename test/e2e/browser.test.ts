import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startTwin, type Twin } from '../../local/twin';
import { landscapeJpeg } from '../../smoke/images';

/**
 * The browser is the real client: Debian's Chromium, headless, loads the front end from its own
 * origin and drives it as a person would. The page calls the API (another origin, through CORS),
 * uploads the file chosen in its file input straight to the S3 emulator (a third origin) with the
 * presigned POST, and shows the renditions through their signed URLs. Then the dashboard renders
 * its chart of the run.
 */

/** Debian's package (`apt-get install chromium`, which .ci/run does), or CHROMIUM_PATH. */
const CHROMIUM = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find(
  (path): path is string => path !== undefined && path !== '' && existsSync(path),
);
if (CHROMIUM === undefined) {
  console.warn(
    '\n\n!!! SKIPPED: the real-browser tests (test/e2e/browser.test.ts) found no Chromium. Install it: apt-get install -y chromium (or set CHROMIUM_PATH). !!!\n\n',
  );
}
const describeInBrowser = CHROMIUM === undefined ? describe.skip : describe;

/** The flags headless Chromium needs as root in a container, without network chatter. */
const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--no-first-run',
];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject()));
    });
  });
}

/** The part of the page's DOM the checks below read (this file is compiled without DOM types). */
interface PageImages {
  document: { querySelectorAll(selector: string): ArrayLike<{ complete: boolean; naturalWidth: number }> };
}

/** True once every matched <img> has loaded real pixels (a broken signed URL never does). */
function imagesLoaded(page: Page, selector: string): Promise<unknown> {
  return page.waitForFunction(
    (css) => {
      const images = Array.from((globalThis as unknown as PageImages).document.querySelectorAll(css));
      return images.length > 0 && images.every((img) => img.complete && img.naturalWidth > 0);
    },
    selector,
    { timeout: 30_000 },
  );
}

describeInBrowser('the front end in a real browser', () => {
  let twin: Twin;
  let browser: Browser;
  let page: Page;
  let pageOrigin: string;
  let workDir: string;
  const crossOrigin: Promise<{ url: string; method: string; origin: string | undefined }>[] = [];

  beforeAll(async () => {
    const webPort = await freePort();
    // localhost for the page, 127.0.0.1 for the API and S3: another host as well as another port.
    pageOrigin = `http://localhost:${webPort}`;
    [twin, browser, workDir] = await Promise.all([
      startTwin({ webPort, allowedOrigins: [pageOrigin] }),
      chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS }),
      mkdtemp(join(tmpdir(), 'travel-guide-browser-')),
    ]);
    page = await browser.newPage();
    page.on('request', (request) => {
      if (request.url().startsWith(pageOrigin)) return;
      crossOrigin.push(
        request
          .allHeaders()
          .then((headers) => ({ url: request.url(), method: request.method(), origin: headers.origin })),
      );
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await twin?.stop();
    if (workDir !== undefined) await rm(workDir, { recursive: true, force: true });
  });

  it('signs in, uploads a photo from the page and shows its renditions and labels', async () => {
    // Arrange
    const photo = join(workDir, 'harbour.jpg');
    await writeFile(photo, await landscapeJpeg(640, 400));
    await page.goto(pageOrigin);
    await page.waitForSelector('body[data-ready="true"]');

    // Act: as a person would, through the form controls.
    await page.fill('#user-id', 'alice');
    await page.click('#sign-in');
    await page.locator('#user-status', { hasText: 'Signed in as alice.' }).waitFor();
    await page.setInputFiles('#photo-file', photo);
    await page.click('#photo-upload');
    await imagesLoaded(page, '.rendition img');

    // Assert
    expect(await page.locator('#origin-warning').isHidden()).toBe(true);
    expect(await page.locator('#upload-progress').getAttribute('value')).toBe('1');
    expect(await page.locator('#media-steps li').allTextContents()).toEqual(expect.arrayContaining(['READY']));
    expect(await page.locator('.rendition img').count()).toBeGreaterThanOrEqual(2);
    expect(await page.locator('#media-labels li').count()).toBeGreaterThan(0);
    // Every call left the page's origin: the token and the API through CORS, the file straight to S3.
    const requests = await Promise.all(crossOrigin);
    const fromPage = (prefix: string, method: string) =>
      requests.filter((r) => r.url.startsWith(prefix) && r.method === method && r.origin === pageOrigin);
    expect(fromPage(`${twin.apiUrl}/_local/token`, 'POST')).toHaveLength(1);
    expect(fromPage(`${twin.apiUrl}/media/uploads`, 'POST')).toHaveLength(1);
    expect(fromPage(`${twin.s3Endpoint}/${twin.bucketName}`, 'POST')).toHaveLength(1);
  });

  it('publishes an article with that photo as its cover and lists it', async () => {
    // Act
    await page.fill('#article-title', 'Harbour at dawn');
    await page.fill('#article-body', 'Walk down before the ferries start.');
    await page.fill('#article-tags', 'harbour, mornings');
    await page.click('#article-submit');
    await page.locator('#article-status', { hasText: 'Published' }).waitFor();
    await imagesLoaded(page, '#articles li img');

    // Assert
    expect(await page.locator('#articles h3').allTextContents()).toContain('Harbour at dawn');
  });

  it('renders the dashboard with a thumbnail of the run and its latency chart', async () => {
    // Act
    await page.goto(twin.dashboardUrl);
    await imagesLoaded(page, 'img.thumbnail');

    // Assert
    expect(await page.locator('svg#latency-chart rect.latency').count()).toBeGreaterThanOrEqual(1);
    expect(await page.locator('svg#latency-chart rect.step').count()).toBeGreaterThanOrEqual(4);
  });
});
