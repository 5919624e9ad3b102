/**
 * Finds the project's roles (docs/design.md "Roles") among all roles of the app, by what uses
 * them: a function's execution role, the state machine's role, the EventBridge target's role,
 * the role EventBridge Scheduler assumes for the sweeper's schedule, and, when the optional CI deploy stack is on, the role GitHub Actions' OIDC provider may assume.
 * Everything else is a CDK-internal role (custom-resource providers and the like).
 */
import type { CfnResolver } from './cfn-resolver';
import { collectRoles, type RoleView } from './roles';

/** The functions' execution roles, one per function. */
export const FUNCTION_ROLES = [
  'thumbnail',
  'labels',
  'moderation',
  'record',
  'watcher',
  'sweeper',
  'takedown',
  'articles',
  'media',
] as const;

/** Roles every stage has. */
export const CORE_ROLES = [
  ...FUNCTION_ROLES,
  'stateMachine',
  'ruleTarget',
  'sweeperSchedule',
  'apiGatewayLogging',
] as const;
export type CoreRole = (typeof CORE_ROLES)[number];
/** Roles of the optional account-level stacks, present only when the config turns their stack on. */
export const OPTIONAL_ROLES = ['ciDeploy'] as const;
export type OptionalRole = (typeof OPTIONAL_ROLES)[number];

export const PROJECT_ROLES = [...CORE_ROLES, ...OPTIONAL_ROLES] as const;
export type ProjectRole = (typeof PROJECT_ROLES)[number];

/** The issuer of GitHub Actions' OIDC tokens, which names the provider in IAM. */
const GITHUB_OIDC_PROVIDER_SUFFIX = ':oidc-provider/token.actions.githubusercontent.com';

/**
 * How each function is recognised: its logical id (construct path) names it, e.g.
 * `PipelineThumbnailFunction…`. The two API functions sit in the `Articles` construct, so they are
 * told apart by the whole prefix: `ArticlesFunction…` and `ArticlesMediaFunction…`.
 */
const FUNCTION_NAME_PATTERNS: Readonly<
  Record<Exclude<CoreRole, 'stateMachine' | 'ruleTarget' | 'sweeperSchedule' | 'apiGatewayLogging'>, RegExp>
> = {
  thumbnail: /Thumbnail/i,
  labels: /Labels/i,
  moderation: /Moderation/i,
  record: /Record/i,
  watcher: /Watcher/i,
  sweeper: /^PipelineSweeper/,
  takedown: /^PipelineTakedown/,
  articles: /^ArticlesFunction/,
  media: /^ArticlesMediaFunction/,
};

export interface AppRoles {
  /** The roles found; a role missing from the app is listed in `missing` with the reason. */
  project: Partial<Record<ProjectRole, RoleView>>;
  missing: Partial<Record<ProjectRole, string>>;
  /** Roles of the app that are not the project's own (CDK custom-resource providers...). */
  other: RoleView[];
  all: RoleView[];
}

function only<T>(items: T[], what: string): T {
  if (items.length !== 1 || items[0] === undefined) {
    throw new Error(`Expected exactly one ${what}, found ${items.length}`);
  }
  return items[0];
}

export function identifyRoles(resolver: CfnResolver): AppRoles {
  const all = collectRoles(resolver);
  const resources = resolver.resources();
  const roleByArn = (arn: string, usedBy: string): RoleView => {
    const role = all.find((candidate) => candidate.arn === arn);
    if (role === undefined) throw new Error(`${usedBy} uses role ${arn}, which is not in the app`);
    return role;
  };
  const propertiesOf = (stackName: string, logicalId: string): Record<string, unknown> =>
    resolver.resource(stackName, logicalId).Properties ?? {};

  const functions = resources.filter((r) => r.type === 'AWS::Lambda::Function');
  const functionRole = (pattern: RegExp, label: string): RoleView => {
    const fn = only(
      functions.filter((f) => pattern.test(f.name)),
      `function matching ${pattern} (the ${label} function)`,
    );
    return roleByArn(resolver.resolveString(propertiesOf(fn.stackName, fn.logicalId).Role, fn.stackName), fn.name);
  };

  const stateMachine = () =>
    only(
      resources.filter((r) => r.type === 'AWS::StepFunctions::StateMachine'),
      'state machine',
    );
  const stateMachineRole = (): RoleView => {
    const machine = stateMachine();
    const roleArn = propertiesOf(machine.stackName, machine.logicalId).RoleArn;
    return roleByArn(resolver.resolveString(roleArn, machine.stackName), machine.name);
  };

  const ruleTargetRoles = (): RoleView[] => {
    const machine = stateMachine();
    const stateMachineArn = resolver.arn(machine.stackName, machine.logicalId);
    return resources
      .filter((r) => r.type === 'AWS::Events::Rule')
      .flatMap((rule) => {
        const targets = (propertiesOf(rule.stackName, rule.logicalId).Targets ?? []) as {
          Arn: unknown;
          RoleArn?: unknown;
        }[];
        return targets
          .filter((target) => resolver.resolveString(target.Arn, rule.stackName) === stateMachineArn)
          .map((target) => {
            if (target.RoleArn === undefined) throw new Error(`${rule.name}: state machine target without a role`);
            return roleByArn(resolver.resolveString(target.RoleArn, rule.stackName), rule.name);
          });
      });
  };

  // The schedule's target names the role EventBridge Scheduler assumes to invoke the sweeper.
  const scheduleRole = (): RoleView => {
    const schedule = only(
      resources.filter((r) => r.type === 'AWS::Scheduler::Schedule'),
      'EventBridge Scheduler schedule',
    );
    const target = propertiesOf(schedule.stackName, schedule.logicalId).Target as { RoleArn?: unknown } | undefined;
    return roleByArn(resolver.resolveString(target?.RoleArn, schedule.stackName), schedule.name);
  };

  // Whoever the trust names, not the construct path: a second role that GitHub workflows can
  // assume is a second door into the account, and must fail the lookup rather than go unseen.
  const githubDeployRole = (): RoleView =>
    only(
      all.filter((role) =>
        role.trust.Statement.some((statement) => {
          const principal = statement.Principal as { Federated?: unknown } | undefined;
          const federated = [principal?.Federated ?? []].flat();
          return federated.some((arn) => typeof arn === 'string' && arn.endsWith(GITHUB_OIDC_PROVIDER_SUFFIX));
        }),
      ),
      'role trusted by the GitHub Actions OIDC provider',
    );

  // The account stack's setting names API Gateway's account-wide CloudWatch role.
  const apiGatewayLoggingRole = (): RoleView => {
    const account = only(
      resources.filter((r) => r.type === 'AWS::ApiGateway::Account'),
      'API Gateway account setting',
    );
    return roleByArn(
      resolver.resolveString(propertiesOf(account.stackName, account.logicalId).CloudWatchRoleArn, account.stackName),
      account.name,
    );
  };

  const finders: Record<ProjectRole, () => RoleView> = {
    thumbnail: () => functionRole(FUNCTION_NAME_PATTERNS.thumbnail, 'thumbnail'),
    labels: () => functionRole(FUNCTION_NAME_PATTERNS.labels, 'labels'),
    moderation: () => functionRole(FUNCTION_NAME_PATTERNS.moderation, 'moderation'),
    takedown: () => functionRole(FUNCTION_NAME_PATTERNS.takedown, 'takedown'),
    record: () => functionRole(FUNCTION_NAME_PATTERNS.record, 'record'),
    watcher: () => functionRole(FUNCTION_NAME_PATTERNS.watcher, 'watcher'),
    sweeper: () => functionRole(FUNCTION_NAME_PATTERNS.sweeper, 'sweeper'),
    articles: () => functionRole(FUNCTION_NAME_PATTERNS.articles, 'articles'),
    media: () => functionRole(FUNCTION_NAME_PATTERNS.media, 'media'),
    stateMachine: stateMachineRole,
    ruleTarget: () => only(ruleTargetRoles(), 'EventBridge target role starting the state machine'),
    sweeperSchedule: scheduleRole,
    apiGatewayLogging: apiGatewayLoggingRole,
    ciDeploy: githubDeployRole,
  };
  const project: Partial<Record<ProjectRole, RoleView>> = {};
  const missing: Partial<Record<ProjectRole, string>> = {};
  for (const role of PROJECT_ROLES) {
    try {
      project[role] = finders[role]();
    } catch (e: unknown) {
      missing[role] = e instanceof Error ? e.message : String(e);
    }
  }
  const projectArns = new Set(Object.values(project).map((role) => role.arn));
  return { project, missing, other: all.filter((role) => !projectArns.has(role.arn)), all };
}
