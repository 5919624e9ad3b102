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

  it.each(['*', 'https://*.example.com', 'https://a.example/path', 'a.example'])(
    'refuses %s as an origin',
    (origin) => {
      expect(() => loadConfig(reader({ allowedOrigins: origin }))).toThrow(/allowedOrigins/);
    },
  );

  it('reads "true" and "false" strings as booleans', () => {
    const config = loadConfig(reader({ withAccessAnalyzer: 'true', selfSignUp: 'false' }));

    expect(config.withAccessAnalyzer).toBe(true);
    expect(config.selfSignUp).toBe(false);
  });

  it('reads the moderation threshold as a percentage', () => {
    expect(loadConfig(reader({ moderationMinConfidence: '92.5' })).moderationMinConfidence).toBe(92.5);
  });

  it.each(['800', '101', '0', '-5', 'eighty'])('refuses %s as a moderation threshold', (value) => {
    expect(() => loadConfig(reader({ moderationMinConfidence: value }))).toThrow(/moderationMinConfidence/);
  });

  it("reads Rekognition's quota from a -c value or a cdk.json number, and leaves it unset by default", () => {
    expect(loadConfig(reader({})).rekognitionTps).toBeUndefined();
    expect(loadConfig(reader({ rekognitionTps: '5' })).rekognitionTps).toBe(5);
    expect(loadConfig(reader({ rekognitionTps: 2.5 })).rekognitionTps).toBe(2.5);
  });

  it.each(['0', '-1', 'fast', '', true])('refuses rekognitionTps=%p', (value) => {
    expect(() => loadConfig(reader({ rekognitionTps: value }))).toThrow(/rekognitionTps must be a positive number/);
  });

  it('accepts a Rekognition quota whose reserved concurrency leaves Lambda its 100 unreserved', () => {
    // 450 for each detector function: 900 of the default 1,000.
    expect(loadConfig(reader({ rekognitionTps: '450.9' })).rekognitionTps).toBe(450.9);
    expect(loadConfig(reader({ rekognitionTps: '1450', lambdaConcurrencyQuota: '3000' })).rekognitionTps).toBe(1450);
  });

  it.each([
    [{ rekognitionTps: '451' }, /reserves 902 concurrent executions.*more than the 900.*quota of 1000/],
    [{ rekognitionTps: '1000', lambdaConcurrencyQuota: '2000' }, /reserves 2000 .*more than the 1900/],
    [{ rekognitionTps: '5', lambdaConcurrencyQuota: '10.5' }, /lambdaConcurrencyQuota must be a whole number/],
    [{ rekognitionTps: '5', lambdaConcurrencyQuota: 'lots' }, /lambdaConcurrencyQuota must be a positive number/],
  ])('refuses %p: the deploy would fail at PutFunctionConcurrency', (context, message) => {
    expect(() => loadConfig(reader(context))).toThrow(message);
  });

  it('refuses a boolean flag that is neither true nor false', () => {
    expect(() => loadConfig(reader({ withAccessAnalyzer: 'yes' }))).toThrow(/withAccessAnalyzer/);
  });

  it('leaves developer access and the CI deploy role out by default', () => {
    const config = loadConfig(reader({}));

    expect(config.withDeveloperAccess).toBe(false);
    expect(config.githubDeploy).toBeUndefined();
  });

  it('turns developer access on with withDeveloperAccess=true', () => {
    const config = loadConfig(reader({ withDeveloperAccess: 'true' }));

    expect(config.withDeveloperAccess).toBe(true);
  });

  it('deploys from the main branch when only githubRepo is given', () => {
    const config = loadConfig(reader({ githubRepo: 'acme/travel-guide' }));

    expect(config.githubDeploy).toEqual({ repository: 'acme/travel-guide', branch: 'main' });
  });

  it('takes the branch and an existing OIDC provider from the context', () => {
    const oidcProviderArn = 'arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com';

    const config = loadConfig(
      reader({ githubRepo: 'acme/travel-guide', githubBranch: 'release/2026', githubOidcProviderArn: oidcProviderArn }),
    );

    expect(config.githubDeploy).toEqual({ repository: 'acme/travel-guide', branch: 'release/2026', oidcProviderArn });
  });

  it.each([
    'acme',
    'acme/',
    '/travel-guide',
    'acme/travel-guide/extra',
    'acme/*',
    '-acme/travel-guide',
    'acme/..',
    'acme/travel guide',
  ])('refuses %s as a GitHub repository', (githubRepo) => {
    expect(() => loadConfig(reader({ githubRepo }))).toThrow(/githubRepo must be "owner\/name"/);
  });

  it.each(['', '*', 'feature/*', 'refs/heads/main', 'main branch', 'a..b', 'main/'])(
    'refuses %j as a branch',
    (githubBranch) => {
      expect(() => loadConfig(reader({ githubRepo: 'acme/travel-guide', githubBranch }))).toThrow(/githubBranch/);
    },
  );

  it('refuses a branch without a repository', () => {
    expect(() => loadConfig(reader({ githubBranch: 'main' }))).toThrow(/need githubRepo/);
  });

  it('refuses an OIDC provider ARN of another issuer', () => {
    const githubOidcProviderArn = 'arn:aws:iam::111122223333:oidc-provider/accounts.google.com';

    expect(() => loadConfig(reader({ githubRepo: 'acme/travel-guide', githubOidcProviderArn }))).toThrow(
      /githubOidcProviderArn/,
    );
  });

  it('uses the default bootstrap qualifier when the context sets none', () => {
    expect(loadConfig(reader({})).bootstrapQualifier).toBe('hnb659fds');
  });

  it('takes the bootstrap qualifier from the context', () => {
    const config = loadConfig(reader({ '@aws-cdk/core:bootstrapQualifier': 'tg2026' }));

    expect(config.bootstrapQualifier).toBe('tg2026');
  });

  it('refuses a bootstrap qualifier the bootstrap template would refuse', () => {
    expect(() => loadConfig(reader({ '@aws-cdk/core:bootstrapQualifier': 'far-too-long-qualifier' }))).toThrow(
      /bootstrapQualifier/,
    );
  });

  it('allows 100 uploads per user and day in both stages by default', () => {
    expect([loadConfig(reader({})).dailyUploadQuota, loadConfig(reader({ stage: 'prod' })).dailyUploadQuota]).toEqual([
      100, 100,
    ]);
  });

  it('takes the daily upload quota from a -c value', () => {
    expect(loadConfig(reader({ dailyUploadQuota: '25' })).dailyUploadQuota).toBe(25);
  });

  it('takes the daily upload quota as a number from cdk.json', () => {
    expect(loadConfig(reader({ dailyUploadQuota: 1_000_000 })).dailyUploadQuota).toBe(1_000_000);
  });

  it.each(['0', '-1', '2.5', '1e9', '1000001', 'unlimited', '', true])(
    'refuses %j as a daily upload quota',
    (dailyUploadQuota) => {
      expect(() => loadConfig(reader({ dailyUploadQuota }))).toThrow(
        /dailyUploadQuota must be an integer from 1 to 1000000/,
      );
    },
  );
  it('fails on a context key that is a setting but for case, hyphens or underscores, naming the setting', () => {
    const values = { workflowtype: 'EXPRESS' };

    expect(() => loadConfig(reader(values), Object.keys(values))).toThrow(
      'Context workflowtype is not a setting of this app; did you mean workflowType?',
    );
    expect(() => loadConfig(reader({ 'alarm-email': 'ops@example.com' }), ['alarm-email'])).toThrow(
      /did you mean alarmEmail\?/,
    );
  });

  it('leaves alone context keys that are not near a setting (CDK feature flags, lookups)', () => {
    const values = {
      stage: 'prod',
      '@aws-cdk/aws-lambda:recognizeLayerVersion': true,
      'availability-zones:account=111122223333:region=eu-west-1': ['eu-west-1a'],
    };

    expect(loadConfig(reader(values), Object.keys(values)).stage).toBe('prod');
  });

  it('takes the sign-up e-mail sender as an address, and leaves it unset by default', () => {
    expect(loadConfig(reader({})).signUpEmailFrom).toBeUndefined();
    expect(loadConfig(reader({ signUpEmailFrom: 'hello@guide.example' })).signUpEmailFrom).toBe('hello@guide.example');
    expect(() => loadConfig(reader({ signUpEmailFrom: 'guide.example' }))).toThrow(
      'Context signUpEmailFrom must be an e-mail address, got "guide.example"',
    );
  });

  it('takes an alarm e-mail address and refuses anything else', () => {
    expect(loadConfig(reader({ alarmEmail: 'ops@example.com' })).alarmEmail).toBe('ops@example.com');
    expect(loadConfig(reader({ alarmEmail: '' })).alarmEmail).toBeUndefined();
    for (const alarmEmail of ['ops', 'ops@example', 'ops @example.com', 42]) {
      expect(() => loadConfig(reader({ alarmEmail }))).toThrow(
        `Context alarmEmail must be an e-mail address, got ${JSON.stringify(alarmEmail)}`,
      );
    }
  });
});
