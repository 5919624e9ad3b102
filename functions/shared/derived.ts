import { DERIVED_PREFIX } from './media';

/**
 * Reads the media id back from a derived object key (`derived/{mediaId}/...`), so that steps which
 * only receive the analysis image can still tag their logs and traces with it.
 * @returns undefined when the key is not under the derived prefix.
 */
export function derivedMediaId(key: string): string | undefined {
  if (!key.startsWith(DERIVED_PREFIX)) return undefined;
  const id = key.slice(DERIVED_PREFIX.length).split('/')[0];
  return id === undefined || id === '' ? undefined : id;
}
