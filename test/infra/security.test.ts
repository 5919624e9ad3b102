import { type Stage, stageConfig } from '../../infra/config';
import { ACCESS_LOG_FIELDS } from '../../infra/constructs/api-gateway';
import { UPLOAD_RATE_LIMIT_PER_5_MINUTES } from '../../infra/constructs/edge-protection';
import { logicalId, resourcesOfType, synthStack, type Synthesized } from './support';

/*
 * The security review's controls, on the synthesized template of each stage: the Cognito client's
 * flows, the retention of the audit logs and what the access log records, and the optional WAF. (The service roles'
 * trust conditions are checked in test/infra/pipeline.test.ts and simulated in test/iam.)
 */

/** Security Hub CloudWatch.16: log groups keep their logs at least a year. */
const AUDIT_RETENTION_DAYS = 365;

describe.each<Stage>(['dev', 'prod'])('security controls (%s)', (stage) => {
  let synth: Synthesized;

  beforeAll(() => {
    synth = synthStack({ config: stageConfig(stage) });
  });

  describe('Cognito app client', () => {
    it('has OAuth off: no implicit or code grant, no scopes, no callback or logout URL', () => {
      // Act
      const clients = Object.values(resourcesOfType(synth.template, 'AWS::Cognito::UserPoolClient'));

      // Assert
      expect(clients).toHaveLength(1);
      expect(clients[0]).toMatchObject({ AllowedOAuthFlowsUserPoolClient: false });
      for (const property of [
        'AllowedOAuthFlows',
        'AllowedOAuthScopes',
        'CallbackURLs',
        'LogoutURLs',
        'DefaultRedirectURI',
      ]) {
        expect(clients[0]).not.toHaveProperty(property);
      }
    });

    it('signs in with SRP and renews with the refresh token only, without a client secret', () => {
      // Act
      const [client] = Object.values(resourcesOfType(synth.template, 'AWS::Cognito::UserPoolClient'));

      // Assert
      expect(client).toMatchObject({
        GenerateSecret: false,
        ExplicitAuthFlows: ['ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
        EnableTokenRevocation: true,
      });
    });

    it('gives the user pool no domain, so there is no hosted UI that OAuth would serve', () => {
      // Act
      const domains = resourcesOfType(synth.template, 'AWS::Cognito::UserPoolDomain');

      // Assert
      expect(domains).toEqual({});
    });
  });

  describe('audit logs', () => {
    it('keeps the API access logs and the state machine execution log for the stage audit retention', () => {
      // Arrange
      const groups = resourcesOfType(synth.template, 'AWS::Logs::LogGroup');
      const audit = [synth.stack.api.gateway.accessLogGroup, synth.stack.pipeline.stateMachineLogGroup].map((group) =>
        logicalId(group),
      );

      // Act
      const retentions = audit.map((id) => groups[id]?.RetentionInDays);

      // Assert
      expect(retentions).toEqual([synth.config.auditLogRetention, synth.config.auditLogRetention]);
      if (stage === 'prod') expect(Math.min(...retentions.map(Number))).toBeGreaterThanOrEqual(AUDIT_RETENTION_DAYS);
    });

    it('keeps the functions’ operational logs for the stage log retention, no longer than the audit logs', () => {
      // Arrange
      const groups = resourcesOfType(synth.template, 'AWS::Logs::LogGroup');
      const { pipeline, api } = synth.stack;
      const functions = [
        pipeline.thumbnail,
        pipeline.labels,
        pipeline.moderation,
        pipeline.record,
        api.articles.fn,
        api.media.fn,
      ];

      // Act
      const retentions = functions.map((fn) => groups[logicalId(fn.logGroup)]?.RetentionInDays);

      // Assert
      expect(new Set(retentions)).toEqual(new Set([synth.config.logRetention]));
      expect(synth.config.logRetention).toBeLessThanOrEqual(synth.config.auditLogRetention);
    });

    it('logs who called (Cognito sub), the request id, the route, the status and the latency of each request', () => {
      // Act
      const format = accessLogFormat(synth);

      // Assert
      expect(format).toMatchObject({
        sub: '$context.authorizer.claims.sub',
        requestId: '$context.requestId',
        httpMethod: '$context.httpMethod',
        route: '$context.resourcePath',
        status: '$context.status',
        responseLatencyMs: '$context.responseLatency',
      });
      expect(format).toEqual(ACCESS_LOG_FIELDS);
    });

    it('logs no header, query string, body or claim beyond sub: never a token, a page token or a presigned URL', () => {
      // Act
      const variables = Object.values(accessLogFormat(synth));

      // Assert: only $context variables, and of those none that carries what a client sent.
      const forbidden = variables.filter(
        (variable) =>
          !variable.startsWith('$context.') ||
          /header|querystring|requestOverride|responseOverride|identity\.(userAgent|caller|user|apiKey|clientCert)|authorizer\.(?!claims\.sub$)|\$input|\$method/i.test(
            variable,
          ),
      );
      expect(variables.length).toBeGreaterThan(10);
      expect(forbidden).toEqual([]);
    });
  });
});

describe('WAF web ACL (withWaf)', () => {
  type Rule = { Name: string; Statement: Record<string, unknown>; Action?: unknown; OverrideAction?: unknown };

  function webAcl(synth: Synthesized): { Rules: Rule[]; Scope: string; DefaultAction: unknown } | undefined {
    const acls = Object.values(resourcesOfType(synth.template, 'AWS::WAFv2::WebACL'));
    if (acls.length > 1) throw new Error('expected at most one web ACL');
    return acls[0] as { Rules: Rule[]; Scope: string; DefaultAction: unknown } | undefined;
  }

  function associatedArns(synth: Synthesized): unknown[] {
    return Object.values(resourcesOfType(synth.template, 'AWS::WAFv2::WebACLAssociation')).map(
      (association) => association.ResourceArn,
    );
  }

  it('is off by default in dev: no web ACL, no association', () => {
    // Act
    const synth = synthStack({ config: stageConfig('dev') });

    // Assert
    expect([webAcl(synth), associatedArns(synth)]).toEqual([undefined, []]);
  });

  it.each([
    ['dev with withWaf=true', stageConfig('dev', { withWaf: true })],
    ['prod (on by default)', stageConfig('prod')],
  ])('in %s, puts AWS managed rules in front of the API stage and the open user pool', (_name, config) => {
    // Arrange
    const synth = synthStack({ config });
    const { api } = synth.stack;

    // Act
    const acl = webAcl(synth);

    // Assert
    expect(acl?.Scope).toBe('REGIONAL');
    expect(acl?.DefaultAction).toEqual({ Allow: {} });
    expect(acl?.Rules.filter((rule) => 'ManagedRuleGroupStatement' in rule.Statement).map((rule) => rule.Name)).toEqual(
      ['AWSManagedRulesAmazonIpReputationList', 'AWSManagedRulesCommonRuleSet', 'AWSManagedRulesKnownBadInputsRuleSet'],
    );
    expect(associatedArns(synth)).toEqual([
      synth.stack.resolve(api.gateway.restApi.deploymentStage.stageArn),
      synth.stack.resolve(api.users.userPool.userPoolArn),
    ]);
  });

  it('blocks an IP that asks for more than the limit of upload URLs in 5 minutes, and only on POST /media/uploads', () => {
    // Arrange
    const synth = synthStack({ config: stageConfig('dev', { withWaf: true }) });

    // Act
    const rule = webAcl(synth)?.Rules.find((candidate) => candidate.Name === 'UploadUrlRateLimit');

    // Assert
    expect(rule?.Action).toEqual({ Block: {} });
    expect(rule?.Statement).toEqual({
      RateBasedStatement: {
        Limit: UPLOAD_RATE_LIMIT_PER_5_MINUTES,
        EvaluationWindowSec: 300,
        AggregateKeyType: 'IP',
        ScopeDownStatement: {
          AndStatement: {
            Statements: [
              {
                ByteMatchStatement: {
                  FieldToMatch: { Method: {} },
                  PositionalConstraint: 'EXACTLY',
                  SearchString: 'POST',
                  TextTransformations: [{ Priority: 0, Type: 'NONE' }],
                },
              },
              {
                ByteMatchStatement: {
                  FieldToMatch: { UriPath: {} },
                  PositionalConstraint: 'EXACTLY',
                  SearchString: '/v1/media/uploads',
                  TextTransformations: [{ Priority: 0, Type: 'NONE' }],
                },
              },
            ],
          },
        },
      },
    });
  });

  it('lets article bodies up to the API limit through the core rule set (its 8 KB body rule only counts)', () => {
    // Arrange
    const synth = synthStack({ config: stageConfig('dev', { withWaf: true }) });

    // Act
    const common = webAcl(synth)?.Rules.find((rule) => rule.Name === 'AWSManagedRulesCommonRuleSet');

    // Assert
    expect(common?.Statement).toEqual({
      ManagedRuleGroupStatement: {
        VendorName: 'AWS',
        Name: 'AWSManagedRulesCommonRuleSet',
        RuleActionOverrides: [{ Name: 'SizeRestrictions_BODY', ActionToUse: { Count: {} } }],
      },
    });
  });

  it('leaves the user pool out where sign-up is closed', () => {
    // Arrange
    const synth = synthStack({ config: stageConfig('prod', { selfSignUp: false }) });

    // Act
    const arns = associatedArns(synth);

    // Assert
    expect(arns).toEqual([synth.stack.resolve(synth.stack.api.gateway.restApi.deploymentStage.stageArn)]);
  });
});

/** The stage's access log format, parsed (it must be one JSON object per line). */
function accessLogFormat(synth: Synthesized): Record<string, string> {
  const stages = Object.values(resourcesOfType(synth.template, 'AWS::ApiGateway::Stage'));
  const [stage] = stages;
  const setting = stage?.AccessLogSetting as { Format?: string } | undefined;
  if (stages.length !== 1 || setting?.Format === undefined)
    throw new Error('expected one API stage with an access log format');
  return JSON.parse(setting.Format) as Record<string, string>;
}
