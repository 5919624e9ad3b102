import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { TEMPORARY_SUFFIX } from './s3-atomic-put';

/**
 * Repairs what a crash (`kill -9`, a power cut) can leave half-written in s3rver's folder, before
 * s3rver opens it. s3rver stores each object as three files, written in this order: the bytes
 * (`<key>._S3rver_object`), their MD5 (`.md5`), then the metadata (`<key>._S3rver_metadata.json`),
 * and only then answers the PUT or POST. A crash in between leaves, for example, a zero-byte
 * metadata file, which s3rver cannot parse: every ListObjects and HeadBucket touching it then
 * answers 500 InternalError, and the whole store is unusable.
 *
 * - Bytes whose MD5 file matches them are complete: kept. A missing or unreadable metadata file
 *   is written again (the Content-Type read from the bytes' signature): "repaired".
 * - Bytes without a matching MD5 were cut off before s3rver finished (the upload was never
 *   answered, so no client was told it was stored): moved, with their other files, under
 *   `set-aside/<time>/` next to the store, never deleted.
 * - Metadata or MD5 files whose bytes are missing: set aside the same way.
 * - Temporary files of a write that was never published (s3-atomic-put.ts): set aside; the object
 *   as it was before that write is kept.
 */

const SUFFIX = '._S3rver_';
const OBJECT = `${SUFFIX}object`;
const MD5 = `${SUFFIX}object.md5`;
const METADATA = `${SUFFIX}metadata.json`;

export interface StoreRepairAction {
  /** bucket/key */
  object: string;
  action: 'repaired' | 'set aside';
  reason: string;
  /** Where a set-aside object's files went. */
  movedTo?: string;
}

/** The Content-Type of the bytes, from their signature: the types uploads and renditions use, else a generic one. */
export function contentTypeOf(bytes: Buffer): string {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (bytes.subarray(0, 4).toString('latin1') === 'RIFF' && bytes.subarray(8, 12).toString('latin1') === 'WEBP')
    return 'image/webp';
  return 'application/octet-stream';
}

function filesUnder(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    return entry.isDirectory() ? filesUnder(path) : entry.isFile() ? [path] : [];
  });
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function isMetadata(text: string | undefined): boolean {
  if (text === undefined) return false;
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed);
  } catch {
    return false;
  }
}

/**
 * Checks every object under `storeDirectory` (s3rver's root: one folder per bucket) and repairs or
 * sets aside what a crash left half-written. Returns what it did, one entry per object.
 */
export function repairS3Store(storeDirectory: string, setAsideDirectory: string): StoreRepairAction[] {
  if (!existsSync(storeDirectory)) return [];
  const bases = new Map<string, { object?: string; md5?: string; metadata?: string }>();
  const unpublished: string[] = [];
  for (const file of filesUnder(storeDirectory)) {
    if (file.endsWith(TEMPORARY_SUFFIX) && file.includes(SUFFIX)) {
      unpublished.push(file);
      continue;
    }
    const kind = file.endsWith(MD5)
      ? 'md5'
      : file.endsWith(OBJECT)
        ? 'object'
        : file.endsWith(METADATA)
          ? 'metadata'
          : '';
    if (kind === '') continue;
    const base = file.slice(0, file.lastIndexOf(SUFFIX));
    // Bucket-level configuration (`<bucket>/._S3rver_cors.xml`) is written again by every start.
    if (dirname(base) === storeDirectory) continue;
    const entry = bases.get(base) ?? {};
    entry[kind as 'object' | 'md5' | 'metadata'] = file;
    bases.set(base, entry);
  }

  const actions: StoreRepairAction[] = [];
  let setAsideRoot: string | undefined;
  const setAside = (base: string, files: (string | undefined)[], reason: string): void => {
    setAsideRoot ??= join(setAsideDirectory, new Date().toISOString().replace(/[:.]/g, '-'));
    const movedTo = join(setAsideRoot, relative(storeDirectory, base));
    for (const file of files) {
      if (file === undefined) continue;
      const target = join(setAsideRoot, relative(storeDirectory, file));
      mkdirSync(dirname(target), { recursive: true });
      renameSync(file, target);
    }
    actions.push({ object: relative(storeDirectory, base), action: 'set aside', reason, movedTo });
  };

  for (const file of unpublished.sort()) {
    const base = file.slice(0, file.lastIndexOf(SUFFIX));
    setAside(
      base,
      [file],
      `a write of it was cut off before it was published (${basename(file)}); the object as it was before that write, if any, is kept`,
    );
  }

  for (const [base, files] of [...bases.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (files.object === undefined) {
      setAside(base, [files.md5, files.metadata], 'its metadata or checksum was left without the object');
      continue;
    }
    const bytes = readFileSync(files.object);
    const stored = readText(files.md5 ?? '')?.trim();
    if (stored === undefined || !/^[0-9a-f]{32}$/.test(stored)) {
      setAside(
        base,
        [files.object, files.md5, files.metadata],
        `it has no checksum (${statSync(files.object).size} bytes written): the write was cut off before it was answered`,
      );
      continue;
    }
    if (createHash('md5').update(bytes).digest('hex') !== stored) {
      setAside(
        base,
        [files.object, files.md5, files.metadata],
        'its bytes do not match their checksum: the write was cut off before it was answered',
      );
      continue;
    }
    if (!isMetadata(readText(files.metadata ?? ''))) {
      const contentType = contentTypeOf(bytes);
      writeFileSync(`${base}${METADATA}`, JSON.stringify({ 'content-type': contentType }, null, 2));
      actions.push({
        object: relative(storeDirectory, base),
        action: 'repaired',
        reason: `its metadata was ${files.metadata === undefined ? 'missing' : 'half-written'}; the bytes are complete (checksum matches), Content-Type ${contentType} read from them`,
      });
    }
  }
  return actions;
}
