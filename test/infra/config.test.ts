import { RemovalPolicy } from 'aws-cdk-lib';
import { loadConfig, stageConfig } from '../../infra/config';

function reader(values: Record<string, unknown>): (key: string) => unknown {
  return (key) => values[key];
}

describe('loadConfig', () => {
  it('builds the dev stage when no stage is given', () => {
    const config = loadConfig(reader({}));

    expect(config).toEqual(stageConfig('dev'));
  });

  it('retains stateful resources and turns on threat protection in prod', () => {
    const config = loadConfig(reader({ stage: 'prod' }));

    expect(config.removalPolicy).toBe(RemovalPolicy.RETAIN);
    expect(config.userPoolPlan).toBe('PLUS');
  });

  it('refuses an unknown stage', () => {
    expect(() => loadConfig(reader({ stage: 'staging' }))).toThrow(/stage must be "dev" or "prod"/);
  });

  it('takes the workflow type from the context', () => {
    const config = loadConfig(reader({ workflowType: 'EXPRESS' }));

    expect(config.workflowType).toBe('EXPRESS');
  });

  it('refuses an unknown workflow type', () => {
    expect(() => loadConfig(reader({ workflowType: 'FAST' }))).toThrow(/workflowType/);
  });

  it('reads comma-separated origins from a -c value', () => {
    const config = loadConfig(reader({ allowedOrigins: 'https://a.example, https://b.example:8443' }));

    expect(config.allowedOrigins).toEqual(['https://a.example', 'https://b.example:8443']);
  });

  it.each(['*', 'https://*.example.com', 'https://a.example/path', 'a.example'])('refuses %s as an origin', (origin) => {
    expect(() => loadConfig(reader({ allowedOrigins: origin }))).toThrow(/allowedOrigins/);
  });

  it('reads "true" and "false" strings as booleans', () => {
    const config = loadConfig(reader({ withAccessAnalyzer: 'true', selfSignUp: 'false' }));

    expect(config.withAccessAnalyzer).toBe(true);
    expect(config.selfSignUp).toBe(false);
  });

  it('refuses a boolean flag that is neither true nor false', () => {
    expect(() => loadConfig(reader({ withAccessAnalyzer: 'yes' }))).toThrow(/withAccessAnalyzer/);
  });
});
