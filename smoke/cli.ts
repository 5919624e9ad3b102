import { randomBytes } from 'node:crypto';
import { stageStackName } from '../infra/definitions/stack-outputs';
import { localToken, requestJson, describeResponse } from './api-client';
import type { AlarmCheckOptions } from './alarm-check';
import type { AwsClients } from './aws-target';
import { runJourneys } from './journeys';
import { formatReport, SmokeRun } from './run';

/**
 * `npm run smoke`: the main user journeys against the local twin (`--local URL`) or a deployed
 * stage (`--stage dev`), printed as a table. Exit code 0 when every step passed, 1 when one
 * failed (the line `FAILED: <step>: <reason>` says which and why), 2 for a usage error.
 */

export const USAGE = `Usage: npm run smoke -- --local URL [--timeout SECONDS]
       npm run smoke -- --stage STAGE [--stack NAME] [--region REGION] [--check-alarms] [--timeout SECONDS]
  --local URL       a running local twin (npm start), e.g. http://127.0.0.1:3000
  --stage STAGE     a deployed stage (dev or prod): its stack TravelGuide-STAGE, with your AWS credentials
  --stack NAME      the stack's name, if not TravelGuide-STAGE
  --region REGION   the stack's region (default: AWS_REGION or your profile's)
  --check-alarms    also check that an alarm reaches the alarm topic (SetAlarmState, temporary SQS queue)
  --timeout SECONDS how long one upload may take to finish (default 20 local, 180 on AWS)`;

export type SmokeOptions =
  | { kind: 'local'; apiUrl: string; waitTimeoutMs: number }
  | { kind: 'stage'; stage: string; stackName: string; region?: string; checkAlarms: boolean; waitTimeoutMs: number };

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

const FLAGS_WITH_VALUE = ['--local', '--stage', '--stack', '--region', '--timeout'];

/** Parses the command line; `--stage` is checked against the stages the CDK app accepts. */
export async function parseArguments(argv: readonly string[]): Promise<SmokeOptions> {
  const values = new Map<string, string>();
  let checkAlarms = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--help' || arg === '-h') throw new UsageError(USAGE);
    if (arg === '--check-alarms') {
      checkAlarms = true;
      continue;
    }
    const [name = '', inline] = arg.split(/=(.*)/s, 2);
    if (!FLAGS_WITH_VALUE.includes(name)) throw new UsageError(`Unknown argument "${arg}"\n${USAGE}`);
    const value = inline ?? argv[++i];
    if (value === undefined || value === '' || value.startsWith('--'))
      throw new UsageError(`${name} needs a value\n${USAGE}`);
    values.set(name, value);
  }
  const local = values.get('--local');
  const stage = values.get('--stage');
  if ((local === undefined) === (stage === undefined))
    throw new UsageError(`Give either --local URL or --stage STAGE\n${USAGE}`);
  const timeout = values.get('--timeout');
  const seconds = timeout === undefined ? undefined : Number(timeout);
  if (seconds !== undefined && !(Number.isFinite(seconds) && seconds > 0))
    throw new UsageError(`--timeout must be a number of seconds, got "${timeout}"`);

  if (local !== undefined) {
    for (const flag of ['--stack', '--region'])
      if (values.has(flag)) throw new UsageError(`${flag} applies to --stage only`);
    if (checkAlarms) throw new UsageError('--check-alarms applies to --stage only: the local twin has no alarms');
    let url: URL;
    try {
      url = new URL(local);
    } catch {
      throw new UsageError(`--local must be a URL such as http://127.0.0.1:3000, got "${local}"`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new UsageError(`--local must be an http(s) URL, got "${local}"`);
    return { kind: 'local', apiUrl: local.replace(/\/+$/, ''), waitTimeoutMs: (seconds ?? 20) * 1000 };
  }
  const stageName = stage ?? '';
  try {
    // The stage names the CDK app accepts, from the one place that decides them (loaded only
    // here: it brings aws-cdk-lib, a second of start-up the local form does not need).
    const { loadConfig } = await import('../infra/config');
    loadConfig((key) => (key === 'stage' ? stageName : undefined));
  } catch (error: unknown) {
    throw new UsageError(`--stage: ${error instanceof Error ? error.message : String(error)}`);
  }
  const region = values.get('--region');
  return {
    kind: 'stage',
    stage: stageName,
    stackName: values.get('--stack') ?? stageStackName(stageName),
    ...(region !== undefined ? { region } : {}),
    checkAlarms,
    waitTimeoutMs: (seconds ?? 180) * 1000,
  };
}

export interface SmokeDeps {
  /** Where the report goes. @default process.stdout */
  write?: (text: string) => void;
  /** @default real clients from the SDK's default credential chain */
  awsClients?: (region?: string) => AwsClients;
  /** Tests shorten the alarm check's waits. */
  alarmCheck?: Omit<AlarmCheckOptions, 'runId'>;
  /** @default 8 random hex characters */
  runId?: string;
}

async function localSmoke(
  run: SmokeRun,
  options: Extract<SmokeOptions, { kind: 'local' }>,
  runId: string,
): Promise<void> {
  const { apiUrl } = options;
  await run.step('reach the twin (GET /_local/health)', async (note) => {
    const health = await requestJson<{ ready?: boolean }>(apiUrl, 'GET', '/_local/health');
    if (health.status !== 200 || health.body.ready !== true)
      throw new Error(`GET /_local/health answered ${describeResponse(health)}`);
    note('ready');
  });
  const userId = `smoke-${runId}`;
  const token = await run.step('get a token (POST /_local/token)', async (note) => {
    const issued = await localToken(apiUrl, userId);
    note(`user ${userId}`);
    return issued;
  });
  await runJourneys({ run, apiUrl, token, waitTimeoutMs: options.waitTimeoutMs, sentinelRule: true });
}

async function stageSmoke(
  run: SmokeRun,
  options: Extract<SmokeOptions, { kind: 'stage' }>,
  deps: SmokeDeps,
  runId: string,
): Promise<void> {
  // The AWS SDK clients load only for a stage: the local form starts faster without them.
  const { createAwsClients, destroyAwsClients, prepareStage } = await import('./aws-target');
  const { checkAlarmDelivery } = await import('./alarm-check');
  const clients = (deps.awsClients ?? createAwsClients)(options.region);
  try {
    const { outputs, token } = await prepareStage(run, clients, options.stackName, runId);
    await runJourneys({
      run,
      apiUrl: outputs.apiUrl,
      token,
      waitTimeoutMs: options.waitTimeoutMs,
      sentinelRule: false,
    });
    if (options.checkAlarms)
      await run.journey(() => checkAlarmDelivery(run, clients, outputs.alarmTopicArn, { ...deps.alarmCheck, runId }));
  } finally {
    // Undos use the clients: run them before the clients go.
    await run.cleanUp();
    destroyAwsClients(clients);
  }
}

/** Runs the smoke test the arguments ask for and returns the exit code. */
export async function runSmoke(argv: readonly string[], deps: SmokeDeps = {}): Promise<number> {
  const write = deps.write ?? ((text: string) => process.stdout.write(text));
  let options: SmokeOptions;
  try {
    options = await parseArguments(argv);
  } catch (error: unknown) {
    if (!(error instanceof UsageError)) throw error;
    write(`${error.message}\n`);
    return error.message === USAGE ? 0 : 2;
  }
  const runId = deps.runId ?? randomBytes(4).toString('hex');
  const run = new SmokeRun();
  try {
    await run.journey(() =>
      options.kind === 'local' ? localSmoke(run, options, runId) : stageSmoke(run, options, deps, runId),
    );
  } finally {
    await run.cleanUp();
  }
  const target =
    options.kind === 'local'
      ? `the local twin at ${options.apiUrl}`
      : `stack ${options.stackName}${options.region ? ` in ${options.region}` : ''}`;
  write(formatReport(run, target));
  return run.passed ? 0 : 1;
}
