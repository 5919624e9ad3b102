import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repairS3Store } from '../../../local/emulators/s3-repair';

/*
 * What a kill can leave in s3rver's folder, and what the twin's start does about it: complete
 * objects are kept (their metadata rebuilt if it was cut off), half-written ones and orphaned
 * files are moved aside, never deleted.
 */

const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4, 5, 6]);
let root: string;
let store: string;
let aside: string;

function writeObject(key: string, parts: { bytes?: Buffer; md5?: string; metadata?: string }): string {
  const base = join(store, 'bucket', key);
  mkdirSync(join(base, '..'), { recursive: true });
  if (parts.bytes) writeFileSync(`${base}._S3rver_object`, parts.bytes);
  if (parts.md5 !== undefined) writeFileSync(`${base}._S3rver_object.md5`, parts.md5);
  if (parts.metadata !== undefined) writeFileSync(`${base}._S3rver_metadata.json`, parts.metadata);
  return base;
}

const md5 = (bytes: Buffer): string => createHash('md5').update(bytes).digest('hex');

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 's3-repair-'));
  store = join(root, 's3');
  aside = join(root, 'set-aside');
});

afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('repairS3Store', () => {
  it('leaves a complete object alone', () => {
    const base = writeObject('uploads/a/ok', {
      bytes: JPEG,
      md5: md5(JPEG),
      metadata: '{"content-type":"image/jpeg"}',
    });

    expect(repairS3Store(store, aside)).toEqual([]);
    expect(readFileSync(`${base}._S3rver_object`)).toEqual(JPEG);
  });

  it('rebuilds the empty metadata of a complete object, with the Content-Type of its bytes', () => {
    const base = writeObject('uploads/a/empty-metadata', { bytes: JPEG, md5: md5(JPEG), metadata: '' });

    const actions = repairS3Store(store, aside);

    expect(actions).toEqual([
      expect.objectContaining({ object: 'bucket/uploads/a/empty-metadata', action: 'repaired' }),
    ]);
    expect(JSON.parse(readFileSync(`${base}._S3rver_metadata.json`, 'utf8'))).toEqual({ 'content-type': 'image/jpeg' });
  });

  it.each([
    ['no checksum yet', { bytes: JPEG.subarray(0, 3) }],
    ['a checksum of other bytes', { bytes: JPEG.subarray(0, 3), md5: md5(JPEG), metadata: '{}' }],
    ['an empty checksum', { bytes: JPEG, md5: '' }],
  ])('sets aside an object cut off with %s', (_case, parts) => {
    const base = writeObject('uploads/a/cut', parts);

    const actions = repairS3Store(store, aside);

    expect(actions).toEqual([expect.objectContaining({ object: 'bucket/uploads/a/cut', action: 'set aside' })]);
    expect(existsSync(`${base}._S3rver_object`)).toBe(false);
    expect(readFileSync(join(actions[0]?.movedTo ?? '', '..', 'cut._S3rver_object'))).toEqual(parts.bytes);
  });

  it('sets aside metadata whose object is missing', () => {
    const base = writeObject('derived/m/thumb.webp', { metadata: '' });

    const actions = repairS3Store(store, aside);

    expect(actions).toEqual([expect.objectContaining({ object: 'bucket/derived/m/thumb.webp', action: 'set aside' })]);
    expect(existsSync(`${base}._S3rver_metadata.json`)).toBe(false);
  });
});
