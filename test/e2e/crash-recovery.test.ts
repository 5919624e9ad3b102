import { HeadObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { mkdtempSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EMULATOR_ACCESS_KEY_ID, EMULATOR_SECRET_ACCESS_KEY, MEDIA_BUCKET_NAME } from '../../local/settings';
import { uploadKeyFor } from '../../functions/shared/media';
import { CRASH_USER, freePorts, runCrashScenario, type CrashPorts } from '../../bench/crash/harness';
import { photoJpeg } from '../../smoke/images';

/*
 * `kill -9` of a real twin process (`npm start -- --data-dir DIR`) at every moment the crash run
 * knows (bench/crash/harness.ts): right after a burst's uploads were answered, while a burst is
 * being sent, while a burst is processing, and right after a restart while it runs again what the
 * last kill interrupted; each followed by a restart on the same folder. Before the last restart, a
 * zero-byte metadata file and a half-written object are planted in the store, as a kill can leave
 * them. After it the twin is healthy, lists its bucket, has repaired or set aside what was
 * half-written with a line saying so, lost no complete object, and every media is final.
 *
 * Small bursts keep `npm test` lean; `npm run crash -- --uploads 20 --kills 4 --runs 3` is the full
 * run (README "Operations").
 */

const UPLOADS_PER_BURST = 4;

let dataDir: string;
let ports: CrashPorts;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'travel-guide-crash-'));
  ports = await freePorts();
});

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

it('restarts healthy after kill -9 at four moments of bursts, loses no complete object, and settles every media', async () => {
  // Arrange: what a kill can leave in the store, planted so that the repair is seen every time
  const photo = await photoJpeg(160, 120);
  const store = join(dataDir, 's3', MEDIA_BUCKET_NAME, 'uploads', CRASH_USER);
  let emptied = '';
  const plant = (tickets: readonly { mediaId: string }[]): void => {
    emptied = tickets[0]?.mediaId ?? '';
    truncateSync(join(store, `${emptied}._S3rver_metadata.json`), 0);
    writeFileSync(join(store, 'cut-off._S3rver_object'), photo.subarray(0, 100));
  };

  // Act
  const run = await runCrashScenario({
    dataDir,
    ports,
    photo,
    uploadsPerBurst: UPLOADS_PER_BURST,
    moments: ['accepted', 'uploading', 'processing', 'recovering'],
    settleTimeoutMs: 60_000,
    beforeLastRestart: plant,
    keepRunning: true,
  });
  const s3 = new S3Client({
    region: 'eu-west-1',
    endpoint: `http://127.0.0.1:${ports.s3}`,
    forcePathStyle: true,
    credentials: { accessKeyId: EMULATOR_ACCESS_KEY_ID, secretAccessKey: EMULATOR_SECRET_ACCESS_KEY },
  });
  try {
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: MEDIA_BUCKET_NAME, Prefix: 'uploads/' }));
    const repaired = await s3.send(
      new HeadObjectCommand({ Bucket: MEDIA_BUCKET_NAME, Key: uploadKeyFor(CRASH_USER, emptied) }),
    );

    // Assert
    expect(run.kills.map((kill) => [kill.moment, kill.sent])).toEqual([
      ['accepted', UPLOADS_PER_BURST],
      ['uploading', UPLOADS_PER_BURST],
      ['processing', UPLOADS_PER_BURST],
      ['recovering', 0],
    ]);
    expect(run.healthStatus).toBe(200);
    // Final, every one: READY, or on a machine too busy for a step's timeout a transient failure
    // that `npm run redrive` runs again (never PROCESSING, PENDING, or a code that blames the photo).
    expect(run.media.filter((media) => !media.settled)).toEqual([]);
    expect(run.media).toHaveLength(3 * UPLOADS_PER_BURST);
    expect(run.lostOriginals).toEqual([]);
    expect(run.lostRenditions).toEqual([]);
    expect(listed.Contents?.map((object) => object.Key).sort()).toEqual(
      run.media.map((media) => uploadKeyFor(CRASH_USER, media.mediaId)).sort(),
    );
    expect(repaired).toMatchObject({ ContentType: 'image/jpeg', ContentLength: photo.length });
    expect(run.lastOutput).toContain(
      `recovery: S3 object ${MEDIA_BUCKET_NAME}/${uploadKeyFor(CRASH_USER, emptied)} repaired`,
    );
    expect(run.lastOutput).toContain(
      `recovery: S3 object ${MEDIA_BUCKET_NAME}/uploads/${CRASH_USER}/cut-off set aside`,
    );
    // A kill during a write may have set objects aside at an earlier restart too; the last restart's
    // folder holds the planted cut-off object.
    const setAsideFolders = readdirSync(join(dataDir, 'set-aside')).sort();
    const lastFolder = join(dataDir, 'set-aside', setAsideFolders[setAsideFolders.length - 1] ?? '');
    expect(readdirSync(lastFolder, { recursive: true }).map(String)).toEqual(
      expect.arrayContaining([expect.stringContaining('cut-off')]),
    );
  } finally {
    s3.destroy();
    await run.stop();
  }
}, 300_000);
