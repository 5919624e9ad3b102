import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArguments } from '../../smoke/cli';
import { OPERATOR_PERMISSIONS } from '../../smoke/operator-permissions';

/**
 * README "Check it", followed as written: `npm start` runs the twin, and every `npm run smoke`
 * line of the section's command block that needs no AWS account runs verbatim in bash against
 * it. The lines for a deployed stage are checked with the command's own argument parser (their
 * behaviour is covered with mocked AWS clients in test/unit/smoke and test/e2e/smoke.test.ts).
 */

const ROOT = join(__dirname, '..', '..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

function checkItSection(): string {
  const start = README.indexOf('\n### Check it\n');
  if (start < 0) throw new Error('README has no "### Check it" section');
  const rest = README.slice(start + 1);
  const end = rest.search(/\n##{1,2} /);
  return end < 0 ? rest : rest.slice(0, end);
}

function commandLines(section: string): string[] {
  const block = /```bash\n([\s\S]*?)```/.exec(section)?.[1];
  if (block === undefined) throw new Error('README "Check it" has no bash block');
  return block.split('\n').filter((line) => line.trim() !== '' && !line.trim().startsWith('#'));
}

let twin: ChildProcess | undefined;
let port: string;

/** `npm start` as README says, on free ports; resolves with the API port it printed. */
function startTwinProcess(): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['start'], {
      cwd: ROOT,
      env: { ...process.env, PORT: '0', S3_PORT: '0', DYNAMODB_PORT: '0', WEB_PORT: '0' },
      // Its own process group, so the twin under npm can be stopped with the group.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    twin = child;
    let output = '';
    const onData = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      const api = /REST API\s+http:\/\/127\.0\.0\.1:(\d+)/.exec(output);
      if (api?.[1]) resolve(api[1]);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', (code) => reject(new Error(`npm start exited with ${code}:\n${output}`)));
  });
}

beforeAll(async () => {
  port = await startTwinProcess();
}, 90_000);

afterAll(async () => {
  const child = twin;
  if (child?.pid === undefined || child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  process.kill(-child.pid, 'SIGTERM');
  await exited;
}, 30_000);

describe('README "Check it"', () => {
  const lines = commandLines(checkItSection());
  const localLines = lines.filter((line) => line.includes('--local'));
  const stageLines = lines.filter((line) => line.includes('--stage'));

  it('shows the local form and both AWS forms, and nothing else', () => {
    expect(localLines).toHaveLength(1);
    expect(stageLines).toEqual(['npm run smoke -- --stage dev', 'npm run smoke -- --stage dev --check-alarms']);
    expect(lines).toHaveLength(localLines.length + stageLines.length);
  });

  it.each(localLines)(
    'passes against `npm start` when run verbatim: %s',
    (line) => {
      const result = spawnSync('bash', ['-c', line], {
        cwd: ROOT,
        env: { ...process.env, PORT: port },
        encoding: 'utf8',
        timeout: 120_000,
      });

      expect(result.stdout).toMatch(/^see it end REJECTED, with no URL +ok /m);
      expect(result.stdout).toMatch(/^PASSED: \d+ steps in /m);
      expect(result.status).toBe(0);
    },
    150_000,
  );

  it.each(stageLines)('is a valid command for a deployed stage: %s', async (line) => {
    const argv = line.replace(/^npm run smoke -- /, '').split(/\s+/);

    await expect(parseArguments(argv)).resolves.toMatchObject({
      kind: 'stage',
      stage: 'dev',
      stackName: 'TravelGuide-dev',
    });
  });

  it('lists exactly the IAM actions the stage path sends, each with its scope and when it is needed', () => {
    const section = checkItSection();
    const rows = section.split('\n').filter((row) => /^\| `[a-z-]+:/.test(row));
    const listed = rows.flatMap((row) => {
      const [actions = '', resource = '', when = ''] = row
        .split('|')
        .slice(1)
        .map((cell) => cell.trim());
      return [...actions.matchAll(/`([a-z-]+:[A-Za-z]+)`/g)].map((match) => ({
        action: match[1],
        resource,
        alarmsOnly: when === '`--check-alarms`',
      }));
    });

    expect(listed).toEqual(
      OPERATOR_PERMISSIONS.map(({ action, resource, alarmsOnly }) => ({ action, resource, alarmsOnly })),
    );
  });
});
