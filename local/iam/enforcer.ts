import { FAKE_ACCOUNT, FAKE_REGION } from '../../test/iam/support/cfn-resolver';
import {
  allowedPairs,
  statementActions,
  statementResources,
  type AllowedPair,
  type PolicyStatement,
  type RoleView,
} from '../../test/iam/support/roles';
import type { Decision, simulate as Simulate } from '../../test/iam/support/simulate';
import type { TwinRoles } from './app-roles';
import type { Caller } from './caller';

/**
 * Evaluates the AWS calls of the twin's functions against their roles as synthesized from this
 * app, with the offline IAM policy simulator the permission tests use (@cloud-copilot/iam-simulate,
 * AGPL: a development dependency, run by the twin and the tests only, never bundled into a
 * Lambda), and records every decision for the usage report.
 */

/** One IAM request: an action on a resource ARN as the stack names it. */
export interface IamRequest {
  action: string;
  resource: string;
  /** Request context keys a policy may condition on, e.g. `s3:prefix` of a listing. */
  context?: Readonly<Record<string, string>>;
}

export interface Refusal {
  action: string;
  resource: string;
  /** The message AWS gives: who, what, on which resource, and why not. */
  message: string;
}

export interface DecisionRow {
  action: string;
  /** The grant that allowed the call (`bucket:MediaBucket/derived/*`), or the resource a denied call named. */
  resource: string;
  decision: 'allowed' | 'denied';
  count: number;
  /** The ASL states, API routes and presigned requests that made these calls. */
  via: string[];
}

export interface FunctionUsage {
  fn: string;
  role: string | null;
  /** Every (action, resource) the role holds, in the readable form of docs/permissions.md. */
  grants: { action: string; resource: string }[];
  decisions: DecisionRow[];
}

export interface IamReport {
  enforcing: boolean;
  allowed: number;
  denied: number;
  functions: FunctionUsage[];
}

let simulator: Promise<typeof Simulate> | undefined;
/** The simulator, loaded on its first use (or by warm()): the twin answers before it needs one. */
const loadSimulator = (): Promise<typeof Simulate> =>
  (simulator ??= import('../../test/iam/support/simulate').then((module) => module.simulate));

/** Simulates one request with the policy simulator (see loadSimulator). */
async function simulate(...args: Parameters<typeof Simulate>): ReturnType<typeof Simulate> {
  return (await loadSimulator())(...args);
}

const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** IAM's wildcard match: `*` any run of characters, `?` one character. */
function wildcard(pattern: string, flags = ''): RegExp {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`, flags);
}

export class IamEnforcer {
  private readonly byTwinName = new Map<string, string>();
  private readonly grants = new Map<string, AllowedPair[]>();
  private readonly rows = new Map<string, DecisionRow>();
  /** Statements of each role whose decisions can be reused (see decide), by function. */
  private readonly reusable = new Map<string, PolicyStatement[]>();
  private readonly decisions = new Map<string, Decision>();

  /**
   * @param roles the app's roles
   * @param twinVariables the environment the twin gives its handlers (`MEDIA_TABLE_NAME` → its twin table name)
   */
  constructor(
    private readonly roles: TwinRoles,
    twinVariables: Readonly<Record<string, string>>,
    private readonly functionNames: readonly string[],
  ) {
    for (const [variable, arn] of Object.entries(roles.resourceByVariable)) {
      const twinName = twinVariables[variable];
      if (twinName !== undefined) this.byTwinName.set(twinName, arn);
    }
    for (const [fn, role] of Object.entries(roles.functions)) {
      this.grants.set(fn, allowedPairs(role));
      const statements = role.policies.flatMap((policy) => policy.document.Statement);
      const plain = statements.every(
        (st) =>
          st.Effect === 'Allow' &&
          st.Condition === undefined &&
          st.NotAction === undefined &&
          st.NotResource === undefined,
      );
      if (plain) this.reusable.set(fn, statements);
    }
  }

  /** Loads the policy simulator now rather than on the first AWS call (the twin calls it once it is up). */
  warm(): void {
    loadSimulator().catch(() => undefined);
  }

  /** The ARN of a twin bucket as the stack names it; a bucket the stack does not have keeps its own name. */
  bucketArn(bucket: string): string {
    return this.byTwinName.get(bucket) ?? `arn:aws:s3:::${bucket}`;
  }

  objectArn(bucket: string, key: string): string {
    return `${this.bucketArn(bucket)}/${key}`;
  }

  tableArn(table: string): string {
    return this.byTwinName.get(table) ?? `arn:aws:dynamodb:${FAKE_REGION}:${FAKE_ACCOUNT}:table/${table}`;
  }

  /** The ARN of a secret named by the twin (its ARN or its name) as the stack names it. */
  secretArn(secretId: string): string {
    return (
      this.byTwinName.get(secretId) ??
      (secretId.startsWith('arn:')
        ? secretId
        : `arn:aws:secretsmanager:${FAKE_REGION}:${FAKE_ACCOUNT}:secret:${secretId}`)
    );
  }

  roleOf(fn: string): RoleView | undefined {
    return this.roles.functions[fn];
  }

  /**
   * Evaluates each request as the caller's role; records every decision. Returns the first refusal,
   * or undefined when every request is allowed.
   */
  async authorize(caller: Caller, requests: readonly IamRequest[]): Promise<Refusal | undefined> {
    let refusal: Refusal | undefined;
    for (const request of requests) {
      const role = this.roles.functions[caller.fn];
      const decision: Decision = role === undefined ? 'ImplicitlyDenied' : await this.decide(caller.fn, role, request);
      this.record(caller, request, decision);
      if (decision !== 'Allowed' && refusal === undefined)
        refusal = { ...request, message: this.message(caller.fn, role, request, decision) };
    }
    return refusal;
  }

  /**
   * The simulator's decision. Where a role has only plain Allow statements (no condition, no deny,
   * no NotAction/NotResource), the decision depends on nothing but which statements match the
   * request, so the simulator's answer is reused for every request matching the same statements:
   * a pipeline run asks about a few patterns, not a few dozen object keys.
   */
  private async decide(fn: string, role: RoleView, request: IamRequest): Promise<Decision> {
    const statements = this.reusable.get(fn);
    if (statements === undefined) return simulate(role, request.action, request.resource, request.context);
    const matching = statements
      .map((statement, index) =>
        statementActions(statement).some((action) => wildcard(action, 'i').test(request.action)) &&
        statementResources(statement).some((resource) => wildcard(resource).test(request.resource))
          ? index
          : -1,
      )
      .filter((index) => index >= 0);
    const key = `${fn}\n${request.action}\n${matching.join(',')}`;
    const known = this.decisions.get(key);
    if (known !== undefined) return known;
    const decision = await simulate(role, request.action, request.resource, request.context);
    this.decisions.set(key, decision);
    return decision;
  }

  private message(fn: string, role: RoleView | undefined, request: IamRequest, decision: Decision): string {
    const who = `arn:aws:sts::${FAKE_ACCOUNT}:assumed-role/${role?.name ?? `(no role found for the ${fn} function)`}/travel-guide-local-${fn}`;
    const why =
      decision === 'ExplicitlyDenied'
        ? 'with an explicit deny in an identity-based policy'
        : `because no identity-based policy allows the ${request.action} action`;
    return `User: ${who} is not authorized to perform: ${request.action} on resource: ${request.resource} ${why}`;
  }

  private record(caller: Caller, request: IamRequest, decision: Decision): void {
    const allowed = decision === 'Allowed';
    const resource = allowed ? this.grantFor(caller.fn, request) : this.roles.names.readable(request.resource);
    const key = [caller.fn, request.action, resource, allowed].join('\n');
    const row = this.rows.get(key) ?? {
      action: request.action,
      resource,
      decision: allowed ? 'allowed' : 'denied',
      count: 0,
      via: [],
    };
    row.count += 1;
    if (!row.via.includes(caller.via)) row.via.push(caller.via);
    this.rows.set(key, row);
  }

  /** The grant that allows an allowed request: the most specific (action, resource) pair of the role that matches it. */
  private grantFor(fn: string, request: IamRequest): string {
    const matching = (this.grants.get(fn) ?? []).filter(
      (pair) => wildcard(pair.action, 'i').test(request.action) && wildcard(pair.resource).test(request.resource),
    );
    const best = matching.sort((a, b) => b.resource.length - a.resource.length)[0];
    return this.roles.names.readable(best?.resource ?? request.resource);
  }

  report(): IamReport {
    const rows = [...this.rows.entries()].map(([key, row]) => ({ fn: key.split('\n')[0] ?? '', row }));
    const functions = this.functionNames.map((fn): FunctionUsage => {
      const role = this.roles.functions[fn];
      return {
        fn,
        role: role?.name ?? null,
        grants: (this.grants.get(fn) ?? []).map((pair) => ({
          action: pair.action,
          resource: this.roles.names.readable(pair.resource),
        })),
        decisions: rows
          .filter((entry) => entry.fn === fn)
          .map(({ row }) => ({ ...row, via: [...row.via].sort(compareText) }))
          .sort(
            (a, b) =>
              compareText(a.action, b.action) ||
              compareText(a.resource, b.resource) ||
              compareText(a.decision, b.decision),
          ),
      };
    });
    const total = (decision: 'allowed' | 'denied'): number =>
      rows.filter(({ row }) => row.decision === decision).reduce((sum, { row }) => sum + row.count, 0);
    return { enforcing: true, allowed: total('allowed'), denied: total('denied'), functions };
  }
}
