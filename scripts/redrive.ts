import '../local/sdk-notice';
import { findRedrivable, redriveMedia } from './redrive/redrive';
import { redriveDeadLetters } from './redrive/dead-letters';
import { stageDeadLetterDeps, stageDeps, twinDeps } from './redrive/targets';

/*
 * `npm run redrive -- [--twin URL | --stage dev|prod] (<mediaId>... | --all-failed)`
 * `npm run redrive -- --stage dev|prod --from-dlq`
 *
 * --from-dlq: the upload events in the upload rule's dead-letter queue start the executions the
 * rule would have started (see redrive/dead-letters.ts); it needs sqs:ReceiveMessage and
 * sqs:DeleteMessage on the queue (output UploadDeadLetterQueueUrl) and states:StartExecution.
 *
 *
 * Runs media FAILED for a transient reason (REDRIVABLE_CODES in functions/record/record.ts:
 * throttling, a timeout, a stopped or stranded run) again from their stored upload; a bad upload
 * is refused.
 * Against the twin by default (http://127.0.0.1:3000), or against a deployed stage with your
 * AWS credentials (it needs dynamodb:UpdateItem and Scan on the media table, states:StartExecution
 * on the state machine, cloudformation:DescribeStacks on the stage's stack).
 */

const USAGE =
  'usage: npm run redrive -- [--twin http://127.0.0.1:3000 | --stage dev|prod] (<mediaId>... | --all-failed)\n' +
  '       npm run redrive -- --stage dev|prod --from-dlq';

interface Options {
  twin?: string;
  stage?: string;
  all: boolean;
  fromDlq: boolean;
  mediaIds: string[];
}

function parse(argv: string[]): Options {
  const options: Options = { all: false, fromDlq: false, mediaIds: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--twin') options.twin = argv[++i];
    else if (arg === '--stage') options.stage = argv[++i];
    else if (arg === '--all-failed') options.all = true;
    else if (arg === '--from-dlq') options.fromDlq = true;
    else if (/^[A-Za-z0-9_-]{1,64}$/.test(arg)) options.mediaIds.push(arg);
    else throw new Error(`Unknown argument ${arg}\n${USAGE}`);
  }
  if (options.twin !== undefined && options.stage !== undefined)
    throw new Error(`--twin and --stage exclude each other\n${USAGE}`);
  if (options.fromDlq) {
    if (options.stage === undefined)
      throw new Error(
        `--from-dlq needs --stage: the twin has no dead-letter queue (it never fails to start a run)\n${USAGE}`,
      );
    if (options.all || options.mediaIds.length > 0) throw new Error(`--from-dlq takes no media ids\n${USAGE}`);
    return options;
  }
  if (options.all === options.mediaIds.length > 0)
    throw new Error(`Name media ids or --all-failed (not both)\n${USAGE}`);
  return options;
}

async function redriveFromDeadLetterQueue(stage: string): Promise<void> {
  const deps = await stageDeadLetterDeps(stage);
  try {
    const report = await redriveDeadLetters(deps);
    for (const name of report.started) console.log(`started ${name}`);
    for (const kept of report.kept) console.log(`kept message ${kept.messageId}: ${kept.reason}`);
    console.log(`${report.started.length} upload events put back, ${report.kept.length} messages kept in the queue`);
    if (report.kept.length > 0) process.exitCode = 1;
  } finally {
    deps.close();
  }
}

async function main(): Promise<void> {
  const options = parse(process.argv.slice(2));
  if (options.fromDlq && options.stage !== undefined) return redriveFromDeadLetterQueue(options.stage);
  const deps =
    options.stage !== undefined
      ? await stageDeps(options.stage)
      : await twinDeps(options.twin ?? 'http://127.0.0.1:3000');
  try {
    const ids = options.all ? await findRedrivable(deps) : options.mediaIds;
    if (ids.length === 0) console.log('No media FAILED for a transient reason: nothing to re-drive.');
    let refused = 0;
    for (const mediaId of ids) {
      const result = await redriveMedia(deps, mediaId);
      if (result.outcome === 'started') console.log(`${mediaId}  re-driven: execution ${result.executionName}`);
      else {
        refused++;
        console.log(`${mediaId}  not re-driven: ${result.outcome === 'missing' ? 'no such media' : result.reason}`);
      }
    }
    if (refused > 0) process.exitCode = 1;
  } finally {
    deps.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(2);
});
