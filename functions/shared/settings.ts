import * as z from 'zod/mini';

/*
 * Settings contracts: one typed schema of each function's environment. The CDK construct writes
 * the environment with `toEnv`, the handler reads it with `fromEnv`, the local twin writes it with
 * `toEnv`, and infra/config.ts checks the matching context value with the same setting. Each
 * default and each range is written once, here or in the function's own `settings.ts`; the
 * environment variable is the setting's name in CONSTANT_CASE (`dailyUploadQuota` ->
 * `DAILY_UPLOAD_QUOTA`), so one value has one name from context to code.
 */

/** One setting: what a valid value is, its default, and how it travels as an environment string. */
export interface Setting<T> {
  /** What a valid value is, for messages: "must be <rule>". */
  readonly rule: string;
  /** Used when the variable is absent or blank. No default: the setting is required. */
  readonly default?: T;
  /** The value's schema (a value from context, a CLI or the environment is converted first). */
  readonly schema: z.core.$ZodType<T>;
  /** The value of a string (environment, `-c key=value`, CLI) or of a JSON value (cdk.json). */
  readonly convert: (raw: unknown) => unknown;
  /** The environment string of a value. */
  readonly format: (value: T) => string;
}

/** A setting with a default: optional for writers of the environment. */
export type DefaultedSetting<T> = Setting<T> & { readonly default: T };

/** An integer within [min, max]. */
export function integerSetting(range: { min: number; max: number; default: number }): DefaultedSetting<number>;
export function integerSetting(range: { min: number; max: number }): Setting<number>;
export function integerSetting(range: { min: number; max: number; default?: number }): Setting<number> {
  return {
    rule: `an integer from ${range.min} to ${range.max}`,
    ...(range.default !== undefined ? { default: range.default } : {}),
    schema: z.int().check(z.gte(range.min), z.lte(range.max)),
    convert: toNumber,
    format: String,
  };
}

/**
 * A confidence in percent. 80 is meant, and 800 or 0.8 would silently turn a threshold off or on
 * for everything; `aboveZero` refuses 0, where every image would pass the threshold.
 */
export function percentSetting(options: { default: number; aboveZero: boolean }): DefaultedSetting<number> {
  return {
    rule: `a confidence in percent (${options.aboveZero ? '0 < value' : '0 <= value'} <= 100)`,
    default: options.default,
    schema: z.number().check(options.aboveZero ? z.gt(0) : z.gte(0), z.lte(100)),
    convert: toNumber,
    format: String,
  };
}

/**
 * Browser origins (scheme://host[:port]), comma-separated in the environment; at least one. A
 * wildcard or a path would widen CORS beyond what the stage means to allow.
 */
export function originsSetting(): Setting<readonly string[]> {
  return {
    rule: 'one or more comma-separated origins (scheme://host[:port], no wildcard, no path)',
    schema: z.array(z.string().check(z.regex(/^https?:\/\/[^/*\s,]+$/))).check(z.minLength(1)),
    convert: (raw) =>
      (Array.isArray(raw) ? raw.map(String) : String(raw).split(','))
        .map((origin) => origin.trim())
        .filter((origin) => origin !== ''),
    format: (origins) => origins.join(','),
  };
}

/**
 * A non-empty string that is not checked further: a resource name or a secret. On AWS it is a
 * CloudFormation token at synth time, resolved at deploy.
 */
export function textSetting(): Setting<string> {
  return {
    rule: 'a non-empty string',
    schema: z.string().check(z.minLength(1)),
    convert: (raw) => (typeof raw === 'string' ? raw.trim() : raw),
    format: (value) => value,
  };
}

function toNumber(raw: unknown): unknown {
  if (typeof raw === 'number') return raw;
  if (typeof raw === 'string' && raw.trim() !== '') return Number(raw);
  return Number.NaN;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any setting, whatever its value type
type AnySetting = Setting<any>;
type Fields = Record<string, AnySetting>;
type ValueOf<S> = S extends Setting<infer T> ? T : never;
type KeysWithDefault<F extends Fields> = { [K in keyof F]: F[K] extends { default: unknown } ? K : never }[keyof F];

/** A function's settings, as its handler reads them. */
export type SettingsOf<C> = C extends SettingsContract<infer F> ? { [K in keyof F]: ValueOf<F[K]> } : never;
/** What a writer of the environment must give: every setting without a default, the others optional. */
export type SettingsInput<C> =
  C extends SettingsContract<infer F>
    ? { [K in Exclude<keyof F, KeysWithDefault<F>>]: ValueOf<F[K]> } & { [K in KeysWithDefault<F>]?: ValueOf<F[K]> }
    : never;

/** `dailyUploadQuota` -> `DAILY_UPLOAD_QUOTA`. */
export function envNameOf(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

/** Checks one value against its setting; throws `<label> must be <rule>, got <raw>`. */
export function checkSetting<T>(setting: Setting<T>, raw: unknown, label: string): T {
  const parsed = z.safeParse(setting.schema, setting.convert(raw));
  if (!parsed.success) throw new Error(`${label} must be ${setting.rule}, got ${JSON.stringify(raw)}`);
  return parsed.data;
}

/** True for a CDK token (`${Token[...]}`), which only CloudFormation resolves: it cannot be checked at synth. */
function isUnresolvedToken(value: unknown): boolean {
  return typeof value === 'string' && value.includes('${Token[');
}

export interface SettingsContract<F extends Fields> {
  readonly fields: F;
  /** Environment variable names, by setting name. */
  readonly envNames: { readonly [K in keyof F]: string };
  /** The default of each setting that has one. */
  readonly defaults: { readonly [K in KeysWithDefault<F>]: ValueOf<F[K]> };
  /**
   * The settings from an environment; an absent or blank variable takes the default. Throws,
   * naming the variable and its rule, when a value is invalid or a required one is missing.
   * `overrides` (tests, local wiring) replace variables and are checked by the same rules.
   */
  fromEnv(
    env?: NodeJS.ProcessEnv,
    overrides?: Partial<SettingsOf<SettingsContract<F>>>,
  ): SettingsOf<SettingsContract<F>>;
  /** The environment holding these settings; defaults are written out, so the template shows every value. */
  toEnv(values: SettingsInput<SettingsContract<F>>): Record<string, string>;
}

/** The settings contract of one function. */
export function defineSettings<F extends Fields>(fields: F): SettingsContract<F> {
  const keys = Object.keys(fields) as (keyof F & string)[];
  const envNames = Object.fromEntries(keys.map((key) => [key, envNameOf(key)])) as { [K in keyof F]: string };
  type Values = SettingsOf<SettingsContract<F>>;

  const defaults = Object.fromEntries(
    keys.flatMap((key) => (fields[key]?.default !== undefined ? [[key, fields[key].default]] : [])),
  ) as SettingsContract<F>['defaults'];

  return {
    fields,
    envNames,
    defaults,
    fromEnv(env = process.env, overrides = {}) {
      const values: Record<string, unknown> = {};
      for (const key of keys) {
        const setting = fields[key] as AnySetting;
        const name = envNames[key];
        const override = (overrides as Record<string, unknown>)[key];
        if (override !== undefined) {
          values[key] = checkSetting(setting, override, name);
          continue;
        }
        const raw = env[name];
        if (raw === undefined || raw.trim() === '') {
          if (setting.default === undefined)
            throw new Error(`Missing required environment variable ${name} (${setting.rule})`);
          values[key] = setting.default;
        } else {
          values[key] = checkSetting(setting, raw, `Environment variable ${name}`);
        }
      }
      return values as Values;
    },
    toEnv(input) {
      const env: Record<string, string> = {};
      for (const key of keys) {
        const setting = fields[key] as AnySetting;
        const value = (input as Record<string, unknown>)[key] ?? setting.default;
        if (value === undefined) throw new Error(`Setting ${key} (${envNames[key]}) has no value and no default`);
        const checked = isUnresolvedToken(value) ? value : checkSetting(setting, value, `Setting ${key}`);
        env[envNames[key]] = setting.format(checked);
      }
      return env;
    },
  };
}
