import { App } from 'aws-cdk-lib';
import { loadConfig } from './config';
import { applyGovernance } from './governance';
import { TravelGuideStack } from './stacks/travel-guide-stack';

const app = new App();
const config = loadConfig((key) => app.node.tryGetContext(key));

// Environment-agnostic on purpose: synth needs no account and no network. `cdk deploy` fills
// in the account and region of the credentials in use.
new TravelGuideStack(app, `TravelGuide-${config.stage}`, {
  config,
  description: `Travel guide backend (${config.stage}): article API and media pipeline`,
});

applyGovernance(app, config);
