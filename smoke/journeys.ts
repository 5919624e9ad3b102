import sharp from 'sharp';
import { routes, type RouteDefinition } from '../functions/api/routes';
import {
  describeResponse,
  postToPresignedUrl,
  presign,
  requestJson,
  waitForTerminal,
  type Article,
  type MediaView,
} from './api-client';
import { send } from './http';
import { landscapeJpeg, sentinelJpeg, corruptJpeg } from './images';
import type { SmokeRun } from './run';

/**
 * The main user journeys, written once: the smoke command runs them against the local twin or
 * a deployed stage, and the e2e tests call the same steps. Each check throws with a message
 * that says what was expected and what was seen.
 */

export interface JourneyContext {
  run: SmokeRun;
  /** The REST API's base URL. */
  apiUrl: string;
  /** ID token of the throw-away user (Cognito on AWS, /_local/token in the twin). */
  token: string;
  /** How long one upload may take to reach a final status. */
  waitTimeoutMs: number;
  /**
   * The twin's moderation rule rejects images that are mostly magenta; Rekognition has no such
   * rule, so on AWS the rejection journey is left out (the corrupt upload still runs).
   */
  sentinelRule: boolean;
}

const MEDIA_DELETE_ROUTE = 'DELETE /media/{id}';

/** Cleanup order: articles, then the media they may use as covers, then the user (see SmokeRun.onCleanUp). */
export const CLEANUP_PHASE = { article: 0, media: 1, user: 2 } as const;

/** Whether the API lets an owner delete media (read from the route table, so cleanup follows the API). */
export function apiDeletesMedia(routeTable: readonly RouteDefinition[] = routes): boolean {
  return routeTable.some((route) => `${route.method} ${route.resource}` === MEDIA_DELETE_ROUTE);
}

/** POST /articles; the article's deletion is registered for cleanup at once. */
export async function createArticle(
  context: JourneyContext,
  content: { title: string; body: string },
): Promise<Article> {
  const response = await requestJson<Article>(context.apiUrl, 'POST', '/articles', {
    token: context.token,
    body: content,
  });
  if (response.status !== 201) throw new Error(`POST /articles answered ${describeResponse(response)}`);
  return response.body;
}

export async function deleteArticle(apiUrl: string, token: string, articleId: string): Promise<void> {
  const response = await requestJson(apiUrl, 'DELETE', `/articles/${articleId}`, { token });
  if (response.status !== 204) throw new Error(`DELETE /articles/${articleId} answered ${describeResponse(response)}`);
  const after = await requestJson(apiUrl, 'GET', `/articles/${articleId}`);
  if (after.status !== 404)
    throw new Error(`GET /articles/${articleId} after the delete answered ${describeResponse(after)}`);
}

/**
 * DELETE /media/{id}, then GET answers 404. A media still PROCESSING (a journey stopped while it
 * ran) answers 409: its run is waited for (up to `waitTimeoutMs`), then it is deleted. One deleted
 * already (404) is gone too.
 */
export async function deleteMedia(
  apiUrl: string,
  token: string,
  mediaId: string,
  waitTimeoutMs: number,
): Promise<string> {
  let response = await requestJson(apiUrl, 'DELETE', `/media/${mediaId}`, { token });
  let waited = '';
  if (response.status === 409) {
    const settled = await waitForTerminal(apiUrl, mediaId, {
      timeoutMs: waitTimeoutMs,
      intervalMs: waitTimeoutMs > 30_000 ? 1000 : 100,
    });
    waited = `waited for ${settled.status}, `;
    response = await requestJson(apiUrl, 'DELETE', `/media/${mediaId}`, { token });
  }
  if (response.status === 404) return `${waited}404: already gone`;
  if (response.status !== 204) throw new Error(`DELETE /media/${mediaId} answered ${describeResponse(response)}`);
  const after = await requestJson(apiUrl, 'GET', `/media/${mediaId}`);
  if (after.status !== 404)
    throw new Error(`GET /media/${mediaId} after the delete answered ${describeResponse(after)}`);
  return `${waited}204, then GET answers 404`;
}

/** Registers the removal of a media the run created: through the API where it can, else named as left behind. */
function cleanUpMedia(context: JourneyContext, mediaId: string): void {
  if (!apiDeletesMedia()) {
    context.run.leftBehind.push(`media ${mediaId} (the API has no ${MEDIA_DELETE_ROUTE} route yet)`);
    return;
  }
  context.run.onCleanUp(
    `delete media ${mediaId}`,
    async (note) => note(await deleteMedia(context.apiUrl, context.token, mediaId, context.waitTimeoutMs)),
    CLEANUP_PHASE.media,
  );
}

/** Two steps: ask for a presigned POST, then POST the bytes to S3 as a browser would. */
async function uploadSteps(context: JourneyContext, what: string, bytes: Buffer, contentType: string): Promise<string> {
  const { run } = context;
  const ticket = await run.step(`request an upload URL (${what})`, async (note) => {
    const issued = await presign(context.apiUrl, context.token, contentType, bytes.length);
    note(`media ${issued.mediaId}, ${Object.keys(issued.fields).length} form fields`);
    return issued;
  });
  cleanUpMedia(context, ticket.mediaId);
  await run.step(`upload ${what} to S3`, async (note) => {
    const status = await postToPresignedUrl(ticket, bytes, contentType);
    if (status < 200 || status > 299) throw new Error(`the presigned POST answered ${status}`);
    note(`${status}, ${bytes.length} bytes`);
  });
  return ticket.mediaId;
}

/** Waits for a final status and checks it is the expected one. */
export async function expectOutcome(
  apiUrl: string,
  mediaId: string,
  expected: string,
  timeoutMs: number,
): Promise<MediaView> {
  const view = await waitForTerminal(apiUrl, mediaId, { timeoutMs, intervalMs: timeoutMs > 30_000 ? 1000 : 100 });
  if (view.status !== expected) {
    const reason = view.error
      ? ` (${view.error.code}: ${view.error.message})`
      : view.moderation
        ? ` (verdict ${view.moderation.verdict})`
        : '';
    throw new Error(`media ${mediaId} ended ${view.status}${reason} instead of ${expected}`);
  }
  return view;
}

/** Downloads the smallest rendition through its signed URL and checks the bytes are the image the record describes. */
export async function fetchSmallestRendition(
  view: MediaView,
): Promise<{ name: string; width: number; height: number; format: string; bytes: number }> {
  const smallest = [...(view.renditions ?? [])].sort((a, b) => a.width - b.width)[0];
  if (!smallest) throw new Error(`media ${view.mediaId} is READY without renditions`);
  const response = await send(smallest.url);
  if (response.status !== 200)
    throw new Error(`the signed URL of rendition ${smallest.name} answered ${response.status}`);
  const metadata = await sharp(response.body).metadata();
  const seen = { width: metadata.width, height: metadata.height, format: metadata.format, bytes: response.body.length };
  const stated = { width: smallest.width, height: smallest.height, format: smallest.format, bytes: smallest.bytes };
  if (JSON.stringify(seen) !== JSON.stringify(stated)) {
    throw new Error(`rendition ${smallest.name} is ${JSON.stringify(seen)}, the record says ${JSON.stringify(stated)}`);
  }
  return { name: smallest.name, ...stated };
}

/** A READY photo carries labels and an APPROVED verdict. */
export function checkLabelsAndVerdict(view: MediaView): string {
  const labels = view.labels ?? [];
  if (labels.length === 0) throw new Error(`media ${view.mediaId} is READY with no labels`);
  if (view.moderation?.verdict !== 'APPROVED')
    throw new Error(`media ${view.mediaId} is READY with verdict ${view.moderation?.verdict ?? 'none'}`);
  const named = labels.slice(0, 3).map((label) => `${label.name} ${Math.round(label.confidence)}%`);
  return `${labels.length} labels (${named.join(', ')}${labels.length > 3 ? ', ...' : ''}), verdict APPROVED`;
}

/** Article, photo, READY, rendition, labels and verdict, then the photo as the article's cover. */
export async function photoJourney(context: JourneyContext): Promise<void> {
  const { run, apiUrl, token } = context;
  const article = await run.step('create an article', async (note) => {
    const created = await createArticle(context, {
      title: 'Smoke test: Lisbon by tram',
      body: 'Take the 28 from Martim Moniz.',
    });
    note(`article ${created.id} by ${created.authorId}`);
    return created;
  });
  run.onCleanUp(
    'delete the article',
    async (note) => {
      await deleteArticle(apiUrl, token, article.id);
      note(`204, then GET answers 404`);
    },
    CLEANUP_PHASE.article,
  );

  const photo = await landscapeJpeg();
  const mediaId = await uploadSteps(context, 'a photo', photo, 'image/jpeg');
  const view = await run.step('wait for READY', async (note) => {
    const ready = await expectOutcome(apiUrl, mediaId, 'READY', context.waitTimeoutMs);
    note(`${ready.renditions?.length ?? 0} renditions`);
    return ready;
  });
  await run.step('fetch a rendition (signed URL)', async (note) => {
    const rendition = await fetchSmallestRendition(view);
    note(`${rendition.name}: ${rendition.width}x${rendition.height} ${rendition.format}, ${rendition.bytes} bytes`);
  });
  await run.step('check labels and verdict', async (note) => note(checkLabelsAndVerdict(view)));
  await run.step("set the photo as the article's cover", async (note) => {
    const response = await requestJson<Article>(apiUrl, 'PUT', `/articles/${article.id}`, {
      token,
      body: { title: article.title, body: article.body, coverMediaId: mediaId },
    });
    if (response.status !== 200 || response.body.coverMediaId !== mediaId)
      throw new Error(`PUT /articles/${article.id} answered ${describeResponse(response)}`);
    note(`cover ${mediaId}`);
  });
}

/** A JPEG cut short ends FAILED with CORRUPT_IMAGE: refused with a reason, not a pipeline fault. */
export async function corruptUploadJourney(context: JourneyContext): Promise<void> {
  const mediaId = await uploadSteps(context, 'a corrupt JPEG', await corruptJpeg(), 'image/jpeg');
  await context.run.step('see it end FAILED (CORRUPT_IMAGE)', async (note) => {
    const view = await expectOutcome(context.apiUrl, mediaId, 'FAILED', context.waitTimeoutMs);
    if (view.error?.code !== 'CORRUPT_IMAGE')
      throw new Error(`media ${mediaId} failed with ${JSON.stringify(view.error)} instead of CORRUPT_IMAGE`);
    note(`${view.error.code}: ${view.error.message}`);
  });
}

/** The twin's moderation rule: a mostly magenta photo ends REJECTED and is never served. */
export async function rejectedUploadJourney(context: JourneyContext): Promise<void> {
  const mediaId = await uploadSteps(context, 'a magenta photo', await sentinelJpeg(640, 480), 'image/jpeg');
  await context.run.step('see it end REJECTED, with no URL', async (note) => {
    const view = await expectOutcome(context.apiUrl, mediaId, 'REJECTED', context.waitTimeoutMs);
    if (view.renditions !== undefined || JSON.stringify(view).includes('http'))
      throw new Error(`REJECTED media ${mediaId} shows URLs: ${JSON.stringify(view)}`);
    note(`verdict ${view.moderation?.verdict ?? 'none'}`);
  });
}

/** Every journey that applies to the target, each independent of the others' failures. */
export async function runJourneys(context: JourneyContext): Promise<void> {
  await context.run.journey(() => photoJourney(context));
  await context.run.journey(() => corruptUploadJourney(context));
  if (context.sentinelRule) await context.run.journey(() => rejectedUploadJourney(context));
}
