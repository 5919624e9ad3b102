import { TERMINAL_STATUSES } from '../functions/shared/media';
import { ApiCallError, TravelGuideApi, uploadToBucket, type MediaView, type PageConfig } from './api';

/**
 * The travel guide's page: pick a local user, upload a photo and watch it through the pipeline,
 * write articles with a cover, list them. No framework: a few DOM helpers over the API client.
 */

/** The record's final statuses, from the one list the functions use. */
const FINAL_STATUSES: ReadonlySet<string> = new Set(TERMINAL_STATUSES);
const POLL_MS = 400;
/** How long the page keeps asking before it says the photo is still processing. */
const POLL_GIVE_UP_MS = 120_000;

function byId<T extends HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`#${id} is missing from index.html`);
  return element as T;
}

/** An element with text and children; text is always set as text, never parsed as HTML. */
function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: { className?: string; text?: string; attrs?: Record<string, string> } = {},
  children: readonly Node[] = [],
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  if (props.className !== undefined) element.className = props.className;
  if (props.text !== undefined) element.textContent = props.text;
  for (const [name, value] of Object.entries(props.attrs ?? {})) element.setAttribute(name, value);
  element.append(...children);
  return element;
}

function describe(error: unknown): string {
  if (error instanceof ApiCallError) return `${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

function showStatus(target: HTMLElement, text: string, isError = false): void {
  target.textContent = text;
  target.classList.toggle('error', isError);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
  const config = (await (await fetch('/config.json')).json()) as PageConfig;
  const api = new TravelGuideApi(config.apiUrl);
  byId<HTMLAnchorElement>('api-link').href = config.apiUrl;
  byId<HTMLAnchorElement>('contract-link').href = `${config.apiUrl}/openapi.json`;
  byId<HTMLAnchorElement>('dashboard-link').href = config.dashboardUrl;
  if (!config.allowedOrigins.includes(window.location.origin)) {
    const warning = byId('origin-warning');
    warning.hidden = false;
    warning.textContent = `This page's origin ${window.location.origin} is not in the twin's ALLOWED_ORIGINS (${config.allowedOrigins.join(', ')}): the browser will block the API's answers. Open one of those origins, or restart the twin with ALLOWED_ORIGINS=${window.location.origin}.`;
  }

  const userStatus = byId('user-status');
  byId<HTMLFormElement>('user-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const userId = byId<HTMLInputElement>('user-id').value.trim();
    api.signIn(userId).then(
      () => showStatus(userStatus, `Signed in as ${userId}.`),
      (error: unknown) => showStatus(userStatus, describe(error), true),
    );
  });

  const covers = byId<HTMLSelectElement>('article-cover');
  const progress = byId<HTMLProgressElement>('upload-progress');
  const uploadStatus = byId('upload-status');
  byId<HTMLFormElement>('photo-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const file = byId<HTMLInputElement>('photo-file').files?.[0];
    if (file === undefined) return;
    uploadPhoto(api, file, progress, uploadStatus, covers).catch((error: unknown) =>
      showStatus(uploadStatus, describe(error), true),
    );
  });

  const articleStatus = byId('article-status');
  byId<HTMLFormElement>('article-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const tags = byId<HTMLInputElement>('article-tags')
      .value.split(',')
      .map((tag) => tag.trim())
      .filter((tag) => tag !== '');
    const coverMediaId = covers.value;
    api
      .createArticle({
        title: byId<HTMLInputElement>('article-title').value,
        body: byId<HTMLTextAreaElement>('article-body').value,
        ...(tags.length > 0 ? { tags } : {}),
        ...(coverMediaId !== '' ? { coverMediaId } : {}),
      })
      .then(
        async (article) => {
          showStatus(articleStatus, `Published "${article.title}".`);
          await renderArticles(api);
        },
        (error: unknown) => showStatus(articleStatus, describe(error), true),
      );
  });
  byId('articles-refresh').addEventListener('click', () => void renderArticles(api));
  await renderArticles(api);
  document.body.dataset.ready = 'true';
}

async function uploadPhoto(
  api: TravelGuideApi,
  file: File,
  progress: HTMLProgressElement,
  status: HTMLElement,
  covers: HTMLSelectElement,
): Promise<void> {
  progress.value = 0;
  byId('media-steps').replaceChildren();
  byId('media-result').replaceChildren();
  showStatus(status, 'Asking for an upload form…');
  const ticket = await api.requestUpload(file);
  showStatus(status, `Uploading ${file.name} (${file.size} bytes) to S3…`);
  await uploadToBucket(ticket, file, (fraction) => {
    progress.value = fraction;
    showStatus(status, `Uploading: ${Math.round(fraction * 100)} %`);
  });
  showStatus(status, `Uploaded as ${ticket.mediaId}; processing…`);
  const media = await watchMedia(api, ticket.mediaId);
  showStatus(status, `${ticket.mediaId}: ${media.status}`, media.status !== 'READY');
  renderMedia(media);
  if (media.status === 'READY') {
    covers.append(
      el('option', { text: `${file.name} (${ticket.mediaId.slice(0, 8)})`, attrs: { value: media.mediaId } }),
    );
    covers.value = media.mediaId;
  }
}

/** Polls GET /media/{id}, adding each new status to the step list, until a final one. */
async function watchMedia(api: TravelGuideApi, mediaId: string): Promise<MediaView> {
  const steps = byId('media-steps');
  const seen: string[] = [];
  const deadline = Date.now() + POLL_GIVE_UP_MS;
  for (;;) {
    const media = await api.getMedia(mediaId);
    if (seen[seen.length - 1] !== media.status) {
      seen.push(media.status);
      steps.append(el('li', { className: media.status, text: media.status }));
    }
    if (FINAL_STATUSES.has(media.status)) return media;
    if (Date.now() > deadline) throw new Error(`${mediaId} is still ${media.status}; see the dashboard`);
    await sleep(POLL_MS);
  }
}

function renderMedia(media: MediaView): void {
  const result = byId('media-result');
  const parts: Node[] = [];
  if (media.status === 'READY') {
    parts.push(
      el(
        'div',
        { className: 'renditions' },
        (media.renditions ?? []).map((rendition) =>
          el('figure', { className: 'rendition' }, [
            el('img', {
              attrs: { src: rendition.url, alt: `${rendition.name} rendition`, 'data-rendition': rendition.name },
            }),
            el('figcaption', {
              text: `${rendition.name}: ${rendition.width}×${rendition.height} ${rendition.format}, ${rendition.bytes} bytes`,
            }),
          ]),
        ),
      ),
      el(
        'ul',
        { className: 'labels', attrs: { id: 'media-labels' } },
        (media.labels ?? []).map((label) => el('li', { text: `${label.name} ${Math.round(label.confidence)} %` })),
      ),
    );
  } else if (media.status === 'REJECTED') {
    parts.push(
      el('p', {
        className: 'error',
        text: `Rejected by moderation (${media.moderation?.verdict ?? 'REJECTED'}): no rendition is served.`,
      }),
    );
  } else if (media.error !== undefined) {
    parts.push(el('p', { className: 'error', text: `${media.error.code}: ${media.error.message}` }));
  }
  result.replaceChildren(...parts);
}

async function renderArticles(api: TravelGuideApi): Promise<void> {
  const list = byId('articles');
  try {
    const { items } = await api.listArticles();
    const rows = await Promise.all(
      items.map(async (article) => {
        const cover = article.coverMediaId === undefined ? undefined : await coverUrl(api, article.coverMediaId);
        return el('li', { attrs: { 'data-article-id': article.id } }, [
          ...(cover !== undefined ? [el('img', { attrs: { src: cover, alt: 'cover' } })] : []),
          el('div', {}, [
            el('h3', { text: article.title }),
            el('p', {
              className: 'muted',
              text: `by ${article.authorId} · ${article.createdAt} · ${article.tags.join(', ')}`,
            }),
            el('p', { text: article.body }),
          ]),
        ]);
      }),
    );
    list.replaceChildren(...(rows.length > 0 ? rows : [el('li', { className: 'muted', text: 'No articles yet.' })]));
  } catch (error: unknown) {
    list.replaceChildren(el('li', { className: 'error', text: describe(error) }));
  }
}

/** The smallest rendition of a READY cover; nothing for media that is not (or no longer) shown. */
async function coverUrl(api: TravelGuideApi, mediaId: string): Promise<string | undefined> {
  try {
    const media = await api.getMedia(mediaId);
    const smallest = [...(media.renditions ?? [])].sort((a, b) => a.width - b.width)[0];
    return smallest?.url;
  } catch {
    return undefined;
  }
}

main().catch((error: unknown) => {
  document.body.prepend(el('p', { className: 'warning', text: `The page could not start: ${describe(error)}` }));
});
