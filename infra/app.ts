import { App } from 'aws-cdk-lib';
import { buildApp } from './build-app';
import { loadConfig } from './config';

// Only the entry point: what the app contains is decided in buildApp, which the tests call too.
const app = new App();
buildApp(
  app,
  loadConfig((key) => app.node.tryGetContext(key), Object.keys(app.node.getAllContext() as Record<string, unknown>)),
);
