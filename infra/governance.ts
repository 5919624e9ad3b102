import { type App, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { AppConfig } from './config';

/** The tags every stack and every resource of the app carries. */
export function governanceTags(config: AppConfig): Record<string, string> {
  return { Service: config.serviceName, Environment: config.stage };
}

/**
 * What applies to every resource of the app: the `Service` and `Environment` tags, and the AWS
 * Solutions rules of cdk-nag, run as a synth-time validation. An unacknowledged finding fails
 * the synth; acknowledgements sit next to the resource they are about, each with its reason.
 *
 * The tags are written on each resource in the template (visible in review and in tests) and,
 * because `@aws-cdk/core:explicitStackTags` is on, given to each stack through its props
 * ({@link governanceTags}), so CloudFormation also tags what it creates that the template cannot.
 */
export function applyGovernance(app: App, config: AppConfig): void {
  for (const [key, value] of Object.entries(governanceTags(config))) Tags.of(app).add(key, value);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
}
