import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { articlesSettings } from '../../functions/articles/settings';
import { labelsSettings } from '../../functions/labels/settings';
import { mediaSettings } from '../../functions/media/settings';
import { moderationSettings } from '../../functions/moderation/settings';
import { recordSettings } from '../../functions/record/settings';
import { watcherSettings } from '../../functions/watcher/settings';
import { sweeperSettings } from '../../functions/sweeper/settings';
import { takedownSettings } from '../../functions/takedown/settings';
import type { SettingsContract, Setting } from '../../functions/shared/settings';
import { thumbnailSettings } from '../../functions/thumbnail/settings';
import { type AppConfig, loadConfig, stageConfig } from '../../infra/config';
import type { AppFunction } from '../../infra/constructs/app-function';
import { REPO_ROOT } from '../../infra/repository';
import { functionEnvironment } from '../../local/twin';
import { logicalId, resourcesOfType, synthStack } from './support';

/*
 * One settings contract per function (functions/<fn>/settings.ts): the CDK construct writes the
 * environment with it, the handler reads it, the twin writes it, and infra/config.ts checks the
 * context values with it. These tests fail when any of them writes or reads a variable the
 * contract does not hold, or when a default is restated somewhere else.
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any contract
type AnyContract = SettingsContract<Record<string, Setting<any>>>;

const CONTRACTS: Record<string, AnyContract> = {
  thumbnail: thumbnailSettings,
  labels: labelsSettings,
  moderation: moderationSettings,
  record: recordSettings,
  watcher: watcherSettings,
  sweeper: sweeperSettings,
  takedown: takedownSettings,
  articles: articlesSettings,
  media: mediaSettings,
};

/** What every function gets from the construct itself, for the runtime and Powertools rather than the handler's code. */
const RUNTIME_VARIABLES = [
  'NODE_OPTIONS',
  'POWERTOOLS_SERVICE_NAME',
  'POWERTOOLS_METRICS_NAMESPACE',
  'POWERTOOLS_LOG_LEVEL',
];
/** Per function, variables for the runtime (the construct's `runtimeEnvironment`). */
const RUNTIME_ONLY: Record<string, string[]> = { thumbnail: ['MALLOC_ARENA_MAX'] };

const synth = synthStack();

function functionsByName(): Record<string, AppFunction> {
  const { pipeline, api } = synth.stack;
  return {
    thumbnail: pipeline.thumbnail,
    labels: pipeline.labels,
    moderation: pipeline.moderation,
    record: pipeline.record,
    watcher: pipeline.watcher,
    sweeper: pipeline.sweeper.fn,
    takedown: pipeline.takedown,
    articles: api.articles.fn,
    media: api.media.fn,
  };
}

function synthesizedEnvironment(fn: AppFunction): Record<string, unknown> {
  const functions = resourcesOfType(synth.template, 'AWS::Lambda::Function');
  return (functions[logicalId(fn.function)]?.Environment as { Variables: Record<string, unknown> }).Variables;
}

describe('each function has one settings contract', () => {
  it('covers every function folder that has a handler', () => {
    const folders = readdirSync(join(REPO_ROOT, 'functions'), { withFileTypes: true })
      .filter(
        (entry) => entry.isDirectory() && readdirSync(join(REPO_ROOT, 'functions', entry.name)).includes('handler.ts'),
      )
      .map((entry) => entry.name)
      .sort();

    expect(Object.keys(CONTRACTS).sort()).toEqual(folders);
    expect(Object.keys(functionsByName()).sort()).toEqual(folders);
  });

  it.each(Object.keys(CONTRACTS))(
    'the %s construct writes exactly its contract, plus the runtime variables',
    (name) => {
      const env = synthesizedEnvironment(functionsByName()[name] as AppFunction);
      const contract = CONTRACTS[name] as AnyContract;

      expect(Object.keys(env).sort()).toEqual(
        [...RUNTIME_VARIABLES, ...(RUNTIME_ONLY[name] ?? []), ...Object.values(contract.envNames)].sort(),
      );
    },
  );

  it.each(Object.keys(CONTRACTS))('the %s handler accepts what the construct writes', (name) => {
    const env = synthesizedEnvironment(functionsByName()[name] as AppFunction);
    // Ref / Fn::Join values are resolved by CloudFormation at deploy time; any non-empty string stands in.
    const literal = Object.fromEntries(
      Object.entries(env).map(([key, value]) => [key, typeof value === 'string' ? value : 'resolved-at-deploy']),
    );

    expect(() => (CONTRACTS[name] as AnyContract).fromEnv(literal)).not.toThrow();
  });

  it('the twin writes every contract, and each handler accepts it', () => {
    const env = functionEnvironment({
      allowedOrigins: ['http://localhost:5173'],
      pageTokenSecretId: 'arn:aws:secretsmanager:eu-west-1:000000000000:secret:travel-guide-local-page-token-AbCdEf',
    });

    const expected = new Set(Object.values(CONTRACTS).flatMap((contract) => Object.values(contract.envNames)));
    expect(Object.keys(env).sort()).toEqual([...expected].sort());
    for (const contract of Object.values(CONTRACTS)) expect(() => contract.fromEnv(env)).not.toThrow();
  });
});

describe('one name and one default per value, from context to code', () => {
  const dev = stageConfig('dev');
  /** Settings that are also stage configuration, by the name both use. */
  const shared = Object.entries(CONTRACTS).flatMap(([fn, contract]) =>
    Object.keys(contract.fields)
      .filter((key) => key in dev)
      .map((key) => [fn, key] as const),
  );

  it('shares the stage-configured settings by name', () => {
    expect(shared.map(([fn, key]) => `${fn}.${key}`).sort()).toEqual(
      [
        'articles.allowedOrigins',
        'labels.labelsMax',
        'labels.labelsMinConfidence',
        'media.allowedOrigins',
        'media.dailyUploadQuota',
        'media.maxUploadBytes',
        'moderation.moderationMinConfidence',
      ].sort(),
    );
  });

  it.each(shared)(
    "%s.%s: the stages default to the function's default, and the construct writes the configured value",
    (fn, key) => {
      const contract = CONTRACTS[fn] as AnyContract;
      const setting = contract.fields[key] as Setting<unknown>;
      const env = synthesizedEnvironment(functionsByName()[fn] as AppFunction);
      const configured = dev[key as keyof AppConfig];

      if (setting.default !== undefined) {
        expect(configured).toEqual(setting.default);
        expect(stageConfig('prod')[key as keyof AppConfig]).toEqual(setting.default);
      }
      expect(env[contract.envNames[key] as string]).toBe(setting.format(configured));
    },
  );

  it.each([
    ['dailyUploadQuota', '0', mediaSettings.fields.dailyUploadQuota.rule],
    ['moderationMinConfidence', '101', moderationSettings.fields.moderationMinConfidence.rule],
    ['allowedOrigins', 'https://*.example', mediaSettings.fields.allowedOrigins.rule],
  ])("context %s=%s is refused with the function's own rule", (key, value, rule) => {
    expect(() => loadConfig((name) => (name === key ? value : undefined))).toThrow(`Context ${key} must be ${rule}`);
  });
});

describe('handlers read their environment only through their contract', () => {
  const sources = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
      entry.isDirectory() ? sources(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
    );
  const contractNames = new Set(Object.values(CONTRACTS).flatMap((contract) => Object.values(contract.envNames)));

  it("reads no variable of its own by name: only AWS_* and POWERTOOLS_* (the SDK's and Powertools' own)", () => {
    const reads = sources(join(REPO_ROOT, 'functions')).flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/process\.env(?:\.([A-Za-z_]\w*)|\[\s*['"]([^'"]+)['"]\s*\]|\[)/g)].map(
        (match) => `${relative(REPO_ROOT, file)}: ${match[1] ?? match[2] ?? '[dynamic]'}`,
      ),
    );

    expect(reads.filter((read) => !/: (AWS|POWERTOOLS)_\w+$/.test(read))).toEqual([]);
  });

  it('spells no contract variable outside the contracts, in functions, infra or the twin', () => {
    const files = ['functions', 'infra', 'local'].flatMap((dir) => sources(join(REPO_ROOT, dir)));
    const spelled = files.flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/['"]([A-Z][A-Z0-9_]+)['"]/g)]
        .filter((match) => contractNames.has(match[1] as string))
        .map((match) => `${relative(REPO_ROOT, file)}: ${match[1]}`),
    );

    expect(spelled).toEqual([]);
  });
});
