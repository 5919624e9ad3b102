import { HeadObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { EMULATOR_ACCESS_KEY_ID, EMULATOR_SECRET_ACCESS_KEY, MEDIA_BUCKET_NAME } from '../../local/settings';
import { REDRIVABLE_CODES } from '../../functions/record/record';
import * as api from '../../smoke/api-client';
import { send } from '../../smoke/http';
import { photoJpeg } from '../../smoke/images';

/*
 * `kill -9` of a real twin process (`npm start -- --data-dir DIR`) at three moments of small
 * bursts, each followed by a restart on the same folder: right after the uploads were answered,
 * while uploads are still being sent, and while runs are processing. After the last restart
 * (with a zero-byte metadata file and a half-written object planted in the store, as a kill can
 * leave them) the twin is healthy, lists its bucket, has repaired or set aside what was
 * half-written with a line saying so, lost no complete object, and every media ends READY.
 */

const ROOT = resolve(__dirname, '..', '..');
const UPLOADS_PER_BURST = 4;

interface RunningTwin {
  child: ChildProcess;
  apiUrl: string;
  output: () => string;
}

let dataDir: string;
let ports: { api: number; s3: number; dynamodb: number };
let twin: RunningTwin | undefined;
let photo: Buffer;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  await new Promise<void>((done) => server.close(() => done()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** Starts `npm start -- --data-dir DIR` as its own process, on the same ports every time (upload forms name the S3 port). */
async function startProcess(): Promise<RunningTwin> {
  // `node --import tsx`, not the tsx command: the twin must be this one process, which SIGKILL ends.
  const child = spawn(process.execPath, ['--import', 'tsx', 'local/main.ts', '--data-dir', dataDir], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(ports.api),
      S3_PORT: String(ports.s3),
      DYNAMODB_PORT: String(ports.dynamodb),
      // The front end is not used here; its default port (5173) may be held by another twin.
      WEB_PORT: '0',
      LOG_LEVEL: 'ERROR',
      // Each start loads the app's roles and the simulator (seconds on a busy machine); the roles
      // are held by the other e2e tests, and what a kill leaves behind does not depend on them.
      IAM: 'off',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + 60_000;
  while (!output.includes('Press Ctrl-C to stop.')) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the twin did not start:\n${output}`);
    await new Promise((done) => setTimeout(done, 50));
  }
  return { child, apiUrl: `http://127.0.0.1:${ports.api}`, output: () => output };
}

async function kill(running: RunningTwin): Promise<void> {
  const exited = new Promise((done) => running.child.once('exit', done));
  running.child.kill('SIGKILL');
  await exited;
}

async function stop(running: RunningTwin): Promise<void> {
  const exited = new Promise((done) => running.child.once('exit', done));
  running.child.kill('SIGTERM');
  await exited;
}

async function tickets(apiUrl: string, count: number): Promise<api.UploadTicket[]> {
  const token = await api.localToken(apiUrl, 'alice');
  return Promise.all(Array.from({ length: count }, () => api.presign(apiUrl, token, 'image/jpeg', photo.length)));
}

/** Posts every form; a form whose POST the kill cut off resolves to 0. */
function postAll(forms: api.UploadTicket[]): Promise<number[]> {
  return Promise.all(forms.map((form) => api.postToPresignedUrl(form, photo, 'image/jpeg').catch(() => 0)));
}

async function mediaStatus(apiUrl: string, mediaId: string): Promise<string | undefined> {
  const response = await api.requestJson<{ status?: string }>(apiUrl, 'GET', `/media/${mediaId}`);
  return response.body.status;
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'travel-guide-crash-'));
  ports = { api: await freePort(), s3: await freePort(), dynamodb: await freePort() };
  photo = await photoJpeg(160, 120);
});

afterAll(async () => {
  if (twin !== undefined && twin.child.exitCode === null) await stop(twin);
  rmSync(dataDir, { recursive: true, force: true });
});

it('restarts healthy after kill -9 at three moments of a burst, and settles every media', async () => {
  const forms: api.UploadTicket[] = [];
  const unanswered: api.UploadTicket[] = [];

  // Kill 1: right after the uploads were answered (their runs have just started)
  twin = await startProcess();
  const first = await tickets(twin.apiUrl, UPLOADS_PER_BURST);
  forms.push(...first);
  const firstStatuses = await postAll(first);
  await kill(twin);

  // Kill 2: while the uploads are still being sent
  twin = await startProcess();
  const second = await tickets(twin.apiUrl, UPLOADS_PER_BURST);
  forms.push(...second);
  const sending = postAll(second);
  await new Promise((done) => setTimeout(done, 20));
  await kill(twin);
  const secondStatuses = await sending;
  second.forEach((form, i) => secondStatuses[i] !== 204 && unanswered.push(form));

  // Kill 3: while runs are processing
  twin = await startProcess();
  const retried = await postAll(unanswered); // a client sends an unanswered upload again, with the same form
  const third = await tickets(twin.apiUrl, UPLOADS_PER_BURST);
  forms.push(...third);
  await postAll(third);
  const running = twin;
  const deadline = Date.now() + 20_000;
  while (
    Date.now() < deadline &&
    !/PROCESSING|READY/.test((await mediaStatus(running.apiUrl, third[0]?.mediaId ?? '')) ?? '')
  )
    await new Promise((done) => setTimeout(done, 20));
  await kill(twin);

  // What a kill can leave in the store, planted so that the repair is seen every time:
  // a complete upload whose metadata file is empty, and an object cut off before its checksum.
  const store = join(dataDir, 's3', MEDIA_BUCKET_NAME, 'uploads', 'alice');
  const emptied = first[0]?.mediaId ?? '';
  truncateSync(join(store, `${emptied}._S3rver_metadata.json`), 0);
  writeFileSync(join(store, 'cut-off._S3rver_object'), photo.subarray(0, 100));

  // Act: the last restart
  twin = await startProcess();
  const apiUrl = twin.apiUrl;
  const health = await send(`${apiUrl}/_local/health`);
  const final = await Promise.all(
    forms.map((form) => api.waitForTerminal(apiUrl, form.mediaId, { timeoutMs: 60_000 })),
  );

  // Assert
  expect(firstStatuses.every((status) => status === 204)).toBe(true);
  expect(retried.every((status) => status === 204)).toBe(true);
  expect(health.status).toBe(200);
  // Final, every one: READY, or on a machine too busy for a step's timeout a transient failure
  // that `npm run redrive` runs again (never PROCESSING, PENDING, or a code that blames the photo).
  const settled = final.map((media) =>
    media.status === 'FAILED' && REDRIVABLE_CODES.includes(media.error?.code as never) ? 'READY' : media.status,
  );
  expect({ settled, codes: final.map((media) => media.error?.code ?? media.status) }).toMatchObject({
    settled: forms.map(() => 'READY'),
  });
  const s3 = new S3Client({
    region: 'eu-west-1',
    endpoint: `http://127.0.0.1:${ports.s3}`,
    forcePathStyle: true,
    credentials: { accessKeyId: EMULATOR_ACCESS_KEY_ID, secretAccessKey: EMULATOR_SECRET_ACCESS_KEY },
  });
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: MEDIA_BUCKET_NAME, Prefix: 'uploads/' }));
  const repaired = await s3.send(new HeadObjectCommand({ Bucket: MEDIA_BUCKET_NAME, Key: `uploads/alice/${emptied}` }));
  s3.destroy();
  expect(listed.Contents?.map((object) => object.Key).sort()).toEqual(
    forms.map((form) => `uploads/alice/${form.mediaId}`).sort(),
  );
  expect(repaired).toMatchObject({ ContentType: 'image/jpeg', ContentLength: photo.length });
  expect(twin.output()).toContain(`recovery: S3 object ${MEDIA_BUCKET_NAME}/uploads/alice/${emptied} repaired`);
  expect(twin.output()).toContain(`recovery: S3 object ${MEDIA_BUCKET_NAME}/uploads/alice/cut-off set aside`);
  // A kill during a write may have set objects aside at an earlier restart too; the last restart's
  // folder holds the planted cut-off object.
  const setAsideFolders = readdirSync(join(dataDir, 'set-aside')).sort();
  const lastFolder = join(dataDir, 'set-aside', setAsideFolders[setAsideFolders.length - 1] ?? '');
  expect(readdirSync(lastFolder, { recursive: true }).map(String)).toEqual(
    expect.arrayContaining([expect.stringContaining('cut-off')]),
  );
}, 240_000);
