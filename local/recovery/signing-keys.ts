import { randomBytes } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';

/**
 * The secret of a function's own signing key (see SIGNING_FUNCTIONS in local/twin.ts), kept in
 * `--data-dir` so that upload forms and signed URLs handed out before a restart stay valid after
 * it, as on AWS they stay valid until they expire. Without a file: a fresh secret each start.
 */
export function signingSecret(file: string | undefined, fn: string): string {
  if (file === undefined) return randomBytes(20).toString('hex');
  let secrets: Record<string, string> = {};
  try {
    secrets = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
  } catch {
    // Missing, or cut off by a crash while first written: start a new one.
  }
  const kept = secrets[fn];
  if (typeof kept === 'string' && /^[0-9a-f]{40}$/.test(kept)) return kept;
  const secret = randomBytes(20).toString('hex');
  const temporary = `${file}.tmp`;
  writeFileSync(temporary, JSON.stringify({ ...secrets, [fn]: secret }), { mode: 0o600 });
  renameSync(temporary, file);
  return secret;
}
