import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { REPO_ROOT } from '../../infra/repository';
import { CfnResolver, type StackTemplate } from '../../test/iam/support/cfn-resolver';
import { identifyRoles, type AppRoles } from '../../test/iam/support/project-roles';
import { ResourceNames, type RoleView } from '../../test/iam/support/roles';
import { TWIN_CACHE_DIR } from '../cache';

/**
 * The roles of this app as CloudFormation would deploy them, for the twin's IAM enforcement: the
 * dev stage synthesized in-process (no bundling: an IAM role does not depend on handler code),
 * its templates cached by a hash of everything that can change a role, and each function's
 * effective identity policy read with the same resolver the permission tests use.
 */

/** Everything a synthesized role can depend on: the CDK app, the code it reads, the resolver, the versions. */
const HASHED_PATHS = [
  'infra',
  'functions',
  'statemachines',
  'events',
  'test/iam/support',
  'test/iam/fixtures/project',
  'cdk.json',
  'package-lock.json',
];

export const CACHE_DIR = TWIN_CACHE_DIR;

function filesUnder(path: string): string[] {
  if (!existsSync(path)) return [];
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path)
    .sort()
    .flatMap((name) => (name === 'node_modules' ? [] : filesUnder(join(path, name))));
}

/** A hash of the sources of the app's roles: the cache key. */
export function appSourceHash(root = REPO_ROOT): string {
  const hash = createHash('sha256');
  for (const file of HASHED_PATHS.flatMap((path) => filesUnder(join(root, path)))) {
    hash.update(relative(root, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}

export interface LoadedTemplates {
  stacks: StackTemplate[];
  /** True when the app was synthesized now (the cache was missing or stale). */
  synthesized: boolean;
  ms: number;
}

/**
 * The dev stage's templates, from the cache when infra/, functions/ and the rest are unchanged,
 * else synthesized (about ten seconds) and cached.
 */
export async function loadAppTemplates(): Promise<LoadedTemplates> {
  const startedAt = Date.now();
  const cacheFile = join(CACHE_DIR, `app-${appSourceHash()}.json`);
  try {
    return {
      stacks: JSON.parse(readFileSync(cacheFile, 'utf8')) as StackTemplate[],
      synthesized: false,
      ms: Date.now() - startedAt,
    };
  } catch {
    // Missing or unreadable: synthesize below.
  }
  // Loaded only on a cache miss: aws-cdk-lib alone takes seconds to import.
  const { synthApp } = await import('../../test/iam/support/synth');
  const stacks = synthApp('dev');
  mkdirSync(CACHE_DIR, { recursive: true });
  for (const stale of readdirSync(CACHE_DIR).filter((name) => name.startsWith('app-')))
    rmSync(join(CACHE_DIR, stale), { force: true });
  // Written whole, then renamed: two processes warming the cache at once never read half a file.
  const temporary = `${cacheFile}.${process.pid}.tmp`;
  writeFileSync(temporary, JSON.stringify(stacks));
  renameSync(temporary, cacheFile);
  return { stacks, synthesized: true, ms: Date.now() - startedAt };
}

/** The roles the twin enforces, read from the templates. */
export interface TwinRoles {
  /** Each function's role, by function folder name. */
  functions: Readonly<Record<string, RoleView>>;
  names: ResourceNames;
  /**
   * The stack resource each environment variable of a function names (`MEDIA_TABLE_NAME` → the
   * media table's ARN), read from the functions' Environment in the template: the twin sets the
   * same variables to its emulators' names, so a twin name maps to the resource it stands for.
   */
  resourceByVariable: Readonly<Record<string, string>>;
  all: AppRoles;
}

/** Resources a function's environment names by `Ref` (a bucket or table name, a secret's ARN). */
const NAMED_BY_REF: ReadonlySet<string> = new Set([
  'AWS::S3::Bucket',
  'AWS::DynamoDB::Table',
  'AWS::SecretsManager::Secret',
]);

/** Finds each function's role; `functionNames` are the twin's function folders. */
export function twinRoles(stacks: readonly StackTemplate[], functionNames: readonly string[]): TwinRoles {
  const resolver = new CfnResolver(stacks);
  const all = identifyRoles(resolver);
  const lambdas = resolver.resources().filter((r) => r.type === 'AWS::Lambda::Function');
  const functions: Record<string, RoleView> = {};
  const resourceByVariable: Record<string, string> = {};
  for (const name of functionNames) {
    const roleOf = (fn: (typeof lambdas)[number]): string =>
      resolver.resolveString(resolver.resource(fn.stackName, fn.logicalId).Properties?.Role, fn.stackName);
    const known = (all.project as Record<string, RoleView | undefined>)[name];
    // A function the role finder does not know yet: the one Lambda whose construct names it.
    const pattern = new RegExp(name.replace(/[^a-z0-9]/gi, ''), 'i');
    const candidates =
      known !== undefined
        ? lambdas.filter((fn) => roleOf(fn) === known.arn)
        : lambdas.filter((fn) => pattern.test(fn.name));
    const lambda = candidates.length === 1 ? candidates[0] : undefined;
    const properties =
      lambda === undefined ? undefined : resolver.resource(lambda.stackName, lambda.logicalId).Properties;
    const role =
      known ?? (lambda === undefined ? undefined : all.all.find((candidate) => candidate.arn === roleOf(lambda)));
    if (role !== undefined) functions[name] = role;
    const variables = (properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
    for (const [variable, value] of Object.entries(variables)) {
      const ref = (value as { Ref?: unknown } | null)?.Ref;
      if (typeof ref !== 'string' || lambda === undefined) continue;
      const target = resolver.resources().find((r) => r.stackName === lambda.stackName && r.logicalId === ref);
      if (target !== undefined && NAMED_BY_REF.has(target.type))
        resourceByVariable[variable] = resolver.arn(target.stackName, target.logicalId);
    }
  }
  return { functions, names: new ResourceNames(resolver), resourceByVariable, all };
}
