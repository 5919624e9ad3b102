import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { startS3Emulator, type S3Emulator } from '../../../local/emulators/s3';
import { publishObjectsAtomically, type S3rverObjectStore } from '../../../local/emulators/s3-atomic-put';
import { repairS3Store } from '../../../local/emulators/s3-repair';
import { EMULATOR_ACCESS_KEY_ID, EMULATOR_SECRET_ACCESS_KEY } from '../../../local/settings';

/*
 * The twin's S3 replaces an object whole, as S3 does: while a new version is still arriving, a GET
 * answers the old one in full, and a crash at that moment leaves the old object complete (the
 * start's repair sets the unpublished write aside). s3rver alone truncates the object and streams
 * into it, so a client sending the same upload again could cost the complete object.
 */

const BUCKET = 'atomic-put';
const KEY = 'uploads/alice/m-1';
let root: string;
let emulator: S3Emulator;
let s3: S3Client;

const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

async function read(key: string): Promise<Buffer> {
  const object = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return Buffer.from((await object.Body?.transformToByteArray()) ?? []);
}

function filesOf(directory: string): string[] {
  return readdirSync(directory, { recursive: true }).map(String).sort();
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 's3-atomic-put-'));
  emulator = await startS3Emulator({ port: 0, directory: join(root, 's3'), bucket: BUCKET, onRecord: () => undefined });
  s3 = new S3Client({
    region: 'eu-west-1',
    endpoint: emulator.endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: EMULATOR_ACCESS_KEY_ID, secretAccessKey: EMULATOR_SECRET_ACCESS_KEY },
    requestChecksumCalculation: 'WHEN_REQUIRED',
  });
});

afterAll(async () => {
  s3?.destroy();
  await emulator?.close();
  rmSync(root, { recursive: true, force: true });
});

it('serves the old object whole while a new one arrives, and a crash then keeps the old one', async () => {
  // Arrange: a complete object, then a new version that has sent half its bytes
  const old = Buffer.alloc(64 * 1024, 1);
  const next = Buffer.alloc(64 * 1024, 2);
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: KEY, Body: old }));
  const body = new PassThrough();
  const writing = s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: KEY, Body: body, ContentLength: next.length }));
  body.write(next.subarray(0, next.length / 2));
  const folder = join(root, 's3', BUCKET, 'uploads', 'alice');
  for (let i = 0; i < 1500 && !filesOf(folder).some((file) => file.endsWith('.tmp')); i++) await sleep(10);

  // Act: a reader now, and what a crash now would leave (a copy of the folder, repaired)
  const duringWrite = await read(KEY);
  const crashed = join(root, 'crashed');
  cpSync(join(root, 's3'), join(crashed, 's3'), { recursive: true });
  const repairs = repairS3Store(join(crashed, 's3'), join(crashed, 'set-aside'));
  body.end(next.subarray(next.length / 2));
  await writing;
  const afterWrite = await read(KEY);

  // Assert
  expect(duringWrite.equals(old)).toBe(true);
  expect(repairs).toEqual([
    expect.objectContaining({
      object: `${BUCKET}/${KEY}`,
      action: 'set aside',
      reason: expect.stringContaining('the object as it was before that write, if any, is kept'),
    }),
  ]);
  expect(readFileSync(join(crashed, 's3', BUCKET, `${KEY}._S3rver_object`)).equals(old)).toBe(true);
  expect(afterWrite.equals(next)).toBe(true);
  expect(filesOf(folder).filter((file) => file.endsWith('.tmp'))).toEqual([]);
});

it('publishes nothing of a body cut off mid-stream, and leaves no temporary file', async () => {
  // Arrange: the store's write on its own, with a body whose sender goes away half-way
  const directory = join(root, 'cut');
  const store: S3rverObjectStore = {
    getResourcePath: (bucket, key, resource) => join(directory, bucket, `${key}._S3rver_${resource}`),
    putObject: () => Promise.reject(new Error('replaced')),
  };
  publishObjectsAtomically(store);
  const body = new PassThrough();
  const writing = store.putObject({ bucket: BUCKET, key: KEY, metadata: {}, content: body });
  body.write(Buffer.alloc(1024, 4));
  await sleep(50);

  // Act
  body.destroy(new Error('the client went away'));

  // Assert
  await expect(writing).rejects.toThrow('the client went away');
  expect(filesOf(directory).filter((file) => file.includes('._S3rver_'))).toEqual([]);
});
