import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startS3Emulator } from '../../local/emulators/s3';

/*
 * The S3 emulator in a process of its own, for the thumbnail section: real S3 is another machine,
 * so the emulator's own work (body parsing, MD5, file writes) must not run on the event loop of the
 * handler being timed. Prints {"endpoint": ...} on one line, then serves until stdin closes.
 *
 * argv: bucket, region (the SigV4 scope the emulator accepts)
 */
async function main(): Promise<void> {
  const bucket = process.argv[2] ?? 'bench-media';
  const region = process.argv[3];
  const directory = await mkdtemp(join(tmpdir(), 'bench-s3-'));
  const emulator = await startS3Emulator({
    port: 0,
    directory,
    bucket,
    ...(region ? { region } : {}),
    onRecord: () => undefined,
  });
  process.stdout.write(`${JSON.stringify({ endpoint: emulator.endpoint })}\n`);
  const stop = async (): Promise<void> => {
    await emulator.close().catch(() => undefined);
    await rm(directory, { recursive: true, force: true });
    process.exit(0);
  };
  process.stdin.on('end', () => void stop());
  process.stdin.on('close', () => void stop());
  process.stdin.resume();
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
