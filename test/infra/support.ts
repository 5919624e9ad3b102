import { App, CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { buildApp, cdkJsonContext } from '../../infra/build-app';
import { type AppConfig, stageConfig } from '../../infra/config';
import type { TravelGuideStack } from '../../infra/stacks/travel-guide-stack';

export interface SynthOptions {
  readonly config?: AppConfig;
  /**
   * Run esbuild for every function. Off by default: most tests read the template only, and
   * bundling five functions costs seconds. The bundling test turns it on.
   */
  readonly bundle?: boolean;
}

export interface Synthesized {
  readonly app: App;
  readonly stack: TravelGuideStack;
  readonly template: Template;
  readonly config: AppConfig;
}

/**
 * Builds the app with `buildApp`, as `infra/app.ts` does (stacks, tags, cdk-nag), with the
 * feature flags of cdk.json, and returns the stage stack.
 */
export function synthStack(options: SynthOptions = {}): Synthesized {
  const config = options.config ?? stageConfig('dev');
  const app = new App({
    // The built-in CloudFormation schema validation (a WASM engine) costs ~10 s per synth and
    // its engine keeps the jest worker alive; `cdk synth` runs it on every real synth.
    builtinCloudFormationValidation: false,
    context: {
      ...cdkJsonContext(),
      // An empty list means "bundle no stack": the assets stay placeholders.
      ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }),
    },
  });
  const stack = buildApp(app, config).travelGuide;
  return { app, stack, template: Template.fromStack(stack), config };
}

/** The logical id of a construct's CloudFormation resource. */
export function logicalId(construct: IConstruct): string {
  const element = construct instanceof CfnElement ? construct : construct.node.defaultChild;
  if (!(element instanceof CfnElement)) throw new Error(`${construct.node.path} has no CloudFormation resource`);
  return Stack.of(element).getLogicalId(element);
}

/** A value as it appears in the template (tokens resolved to Ref / Fn::GetAtt / Fn::Join). */
export function resolved(stack: Stack, value: unknown): unknown {
  return stack.resolve(value);
}

interface Statement {
  Effect?: string;
  Action?: string | string[];
  NotAction?: unknown;
  Resource?: unknown;
  NotResource?: unknown;
  Condition?: unknown;
  Principal?: unknown;
}

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;

function asArray<T>(value: T | T[] | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** Every identity-policy statement attached to a role: its inline policies and AWS::IAM::Policy resources. */
export function roleStatements(template: Template, roleId: string): Statement[] {
  const resources = template.toJSON().Resources as Resources;
  const role = resources[roleId];
  if (role?.Type !== 'AWS::IAM::Role') throw new Error(`${roleId} is not a role`);
  const inline = asArray(role.Properties?.Policies as Array<{ PolicyDocument: { Statement: Statement[] } }>).flatMap(
    (policy) => policy.PolicyDocument.Statement,
  );
  const attached = Object.values(resources)
    .filter((resource) => resource.Type === 'AWS::IAM::Policy')
    .filter((resource) =>
      asArray(resource.Properties?.Roles as unknown[]).some(
        (ref) => JSON.stringify(ref) === JSON.stringify({ Ref: roleId }),
      ),
    )
    .flatMap((resource) => (resource.Properties?.PolicyDocument as { Statement: Statement[] }).Statement);
  return [...inline, ...attached];
}

/**
 * A role's permissions as a sorted list of "action on resource" pairs, so a test compares the
 * whole set: a pair gained or lost fails it, however statements happen to be merged.
 * Statements must be plain Allow statements (no NotAction, NotResource or conditions).
 */
export function permissionPairs(template: Template, roleId: string): string[] {
  const pairs = new Set<string>();
  for (const statement of roleStatements(template, roleId)) {
    if (statement.Effect !== 'Allow' || statement.NotAction || statement.NotResource || statement.Condition) {
      throw new Error(`Unexpected statement shape on ${roleId}: ${JSON.stringify(statement)}`);
    }
    for (const action of asArray(statement.Action)) {
      for (const resource of asArray(statement.Resource as unknown)) {
        pairs.add(`${action} ${JSON.stringify(resource)}`);
      }
    }
  }
  return [...pairs].sort();
}

/** Expected pairs, written as actions on a resolved resource. */
export function pairs(actions: string[], resources: unknown[]): string[] {
  return actions.flatMap((action) => resources.map((resource) => `${action} ${JSON.stringify(resource)}`));
}

/** All resources of one type, by logical id. */
export function resourcesOfType(template: Template, type: string): Record<string, Record<string, unknown>> {
  const all = template.findResources(type) as Record<string, { Properties?: Record<string, unknown> }>;
  return Object.fromEntries(Object.entries(all).map(([id, resource]) => [id, resource.Properties ?? {}]));
}
