import { App, CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { buildApp, cdkJsonContext } from '../../infra/build-app';
import { type AppConfig, stageConfig } from '../../infra/config';
import type { TravelGuideStack } from '../../infra/stacks/travel-guide-stack';
import { scratchFolder } from '../support/scratch';

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
  const app = testApp({ bundle: options.bundle });
  const stack = buildApp(app, config).travelGuide;
  return { app, stack, template: Template.fromStack(stack), config };
}

/**
 * A CDK app as tests build it: the feature flags of cdk.json, and its cloud assembly in the test
 * run's scratch folder (removed after the run, so no synth leaves a folder behind). Unless
 * `bundle`, no function is bundled and no asset is copied (the sharp layer alone is 20 MB a copy):
 * the assets stay placeholders that point at their sources.
 */
export function testApp(options: { readonly bundle?: boolean } = {}): App {
  return new App({
    outdir: scratchFolder('cdk.out-'),
    // The built-in CloudFormation schema validation (a WASM engine) costs ~10 s per synth and
    // its engine keeps the jest worker alive; `cdk synth` runs it on every real synth.
    builtinCloudFormationValidation: false,
    context: {
      ...cdkJsonContext(),
      // An empty list means "bundle no stack".
      ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [], 'aws:cdk:disable-asset-staging': true }),
    },
  });
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

/** All resources of one type, by logical id. */
export function resourcesOfType(template: Template, type: string): Record<string, Record<string, unknown>> {
  const all = template.findResources(type) as Record<string, { Properties?: Record<string, unknown> }>;
  return Object.fromEntries(Object.entries(all).map(([id, resource]) => [id, resource.Properties ?? {}]));
}
