import { Duration } from 'aws-cdk-lib';
import type { AppConfig } from '../config';
import type { AppFunctionProps } from './app-function';

/** What a service needs to build its API function. */
export interface ApiFunctionProps {
  /** The stage's configuration. */
  readonly config: AppConfig;
  /**
   * Folder holding `package-lock.json`, `node_modules` and `functions/<name>/handler.ts`.
   * @default the repository root
   */
  readonly projectRoot?: string;
}

/** What the API functions share: short requests, so a short timeout. */
export function apiFunctionDefaults(
  props: ApiFunctionProps,
): Pick<AppFunctionProps, 'metricsNamespace' | 'logRetention' | 'memorySize' | 'timeout' | 'projectRoot'> {
  const { config } = props;
  return {
    metricsNamespace: config.serviceName,
    logRetention: config.logRetention,
    memorySize: 512,
    timeout: Duration.seconds(10),
    ...(props.projectRoot !== undefined ? { projectRoot: props.projectRoot } : {}),
  };
}
