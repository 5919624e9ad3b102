import { type App, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { AppConfig } from './config';

/**
 * What applies to every resource of the app: the `Service` and `Environment` tags, and the AWS
 * Solutions rules of cdk-nag, run as a synth-time validation. An unacknowledged finding fails
 * the synth; acknowledgements sit next to the resource they are about, each with its reason.
 */
export function applyGovernance(app: App, config: AppConfig): void {
  Tags.of(app).add('Service', config.serviceName);
  Tags.of(app).add('Environment', config.stage);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
}
