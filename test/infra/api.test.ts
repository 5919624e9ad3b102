import { TICKET_REMOVE_AT_ATTRIBUTE } from '../../functions/shared/media';
import { gatewayResponseCorsHeaders, UNKNOWN_ROUTE_MESSAGE } from '../../infra/definitions/gateway-responses';
import { Match } from 'aws-cdk-lib/assertions';
import { routes, type RouteDefinition } from '../../functions/api/routes';
import { bodyModelSchema } from '../../infra/constructs/api-gateway';
import { stageConfig } from '../../infra/config';
import { STACK_OUTPUTS } from '../../infra/definitions/stack-outputs';
import { logicalId, resourcesOfType, synthStack, type Synthesized } from './support';

let synth: Synthesized;
beforeAll(() => {
  synth = synthStack();
});

const allRoutes = routes as readonly RouteDefinition[];

/** The template's Method resource of a route. */
function methodOf(route: RouteDefinition): Record<string, unknown> {
  const method = synth.stack.api.gateway.methods.get(`${route.method} ${route.resource}`);
  if (!method) throw new Error(`No method for ${route.method} ${route.resource}`);
  const properties = resourcesOfType(synth.template, 'AWS::ApiGateway::Method')[logicalId(method)];
  if (!properties) throw new Error(`No template resource for ${route.method} ${route.resource}`);
  return properties;
}

describe('REST API methods', () => {
  it('has exactly one method per route plus CORS preflights, and no ANY method', () => {
    const methods = Object.values(resourcesOfType(synth.template, 'AWS::ApiGateway::Method'));

    const verbs = methods.map((method) => method.HttpMethod).filter((verb) => verb !== 'OPTIONS');

    expect(verbs.sort()).toEqual(allRoutes.map((route) => route.method).sort());
    expect(verbs).not.toContain('ANY');
  });

  it('has no greedy proxy resource', () => {
    const resources = Object.values(resourcesOfType(synth.template, 'AWS::ApiGateway::Resource'));

    const parts = resources.map((resource) => resource.PathPart);

    expect(parts.some((part) => String(part).includes('+'))).toBe(false);
  });

  it('protects exactly the routes the REST API contract marks auth', () => {
    // Written out from the README's API table on purpose: routes.ts must not be both the code and its own test.
    const contract = [
      'POST /articles',
      'PUT /articles/{id}',
      'DELETE /articles/{id}',
      'POST /media/uploads',
      'DELETE /media/{id}',
      'GET /media',
    ];

    const protectedRoutes = allRoutes.filter((route) => methodOf(route).AuthorizationType === 'COGNITO_USER_POOLS');

    expect(protectedRoutes.map((route) => `${route.method} ${route.resource}`).sort()).toEqual([...contract].sort());
  });

  it.each(allRoutes.filter((route) => route.auth))('puts the Cognito authorizer on $method $resource', (route) => {
    const method = methodOf(route);

    expect(method.AuthorizationType).toBe('COGNITO_USER_POOLS');
    expect(method.AuthorizerId).toEqual({ Ref: logicalId(synth.stack.api.gateway.authorizer) });
  });

  it.each(allRoutes.filter((route) => !route.auth))('leaves $method $resource public', (route) => {
    const method = methodOf(route);

    expect(method.AuthorizationType).toBe('NONE');
    expect(method.AuthorizerId).toBeUndefined();
  });

  it.each(allRoutes.filter((route) => route.bodyModel))(
    'validates the $method $resource body against $bodyModel',
    (route) => {
      const validators = resourcesOfType(synth.template, 'AWS::ApiGateway::RequestValidator');
      const models = resourcesOfType(synth.template, 'AWS::ApiGateway::Model');
      const method = methodOf(route);

      const validatorId = (method.RequestValidatorId as { Ref: string }).Ref;
      const modelId = (method.RequestModels as Record<string, { Ref: string }>)['application/json']?.Ref ?? '';

      expect(validators[validatorId]).toMatchObject({ ValidateRequestBody: true, ValidateRequestParameters: true });
      expect(models[modelId]).toMatchObject({ Name: route.bodyModel, ContentType: 'application/json' });
    },
  );

  it.each(allRoutes.filter((route) => !route.bodyModel))('does not validate a body on $method $resource', (route) => {
    const method = methodOf(route);

    expect(method.RequestValidatorId).toBeUndefined();
    expect(method.RequestModels).toBeUndefined();
  });

  it('builds the CreateArticle model from the zod schema: required fields and no unknown ones', () => {
    const models = Object.values(resourcesOfType(synth.template, 'AWS::ApiGateway::Model'));

    const model = models.find((candidate) => candidate.Name === 'CreateArticle');

    expect(model?.Schema).toMatchObject({
      $schema: 'http://json-schema.org/draft-04/schema#',
      type: 'object',
      required: ['title', 'body'],
      additionalProperties: false,
      properties: { title: { type: 'string', maxLength: 200 } },
    });
    expect(model?.Schema).toMatchObject(bodyModelSchema('CreateArticle') as Record<string, unknown>);
  });

  it.each(allRoutes)('integrates $method $resource with the $fn function through a Lambda proxy', (route) => {
    const other = route.fn === 'articles' ? synth.stack.api.media.fn : synth.stack.api.articles.fn;

    const integration = methodOf(route).Integration as Record<string, unknown>;

    expect(integration.Type).toBe('AWS_PROXY');
    expect(JSON.stringify(integration.Uri)).toContain(logicalId(synth.stack.api.functions[route.fn].function));
    expect(JSON.stringify(integration.Uri)).not.toContain(logicalId(other.function));
  });

  it('sends the article routes to the articles function and the media routes to the media function', () => {
    // Written out from the split on purpose: routes.ts must not be both the code and its own test.
    const expected = {
      'POST /articles': 'articles',
      'GET /articles': 'articles',
      'GET /articles/{id}': 'articles',
      'PUT /articles/{id}': 'articles',
      'DELETE /articles/{id}': 'articles',
      'POST /media/uploads': 'media',
      'GET /media/{id}': 'media',
      'DELETE /media/{id}': 'media',
      'GET /media': 'media',
    };

    const actual = Object.fromEntries(allRoutes.map((route) => [`${route.method} ${route.resource}`, route.fn]));

    expect(actual).toEqual(expected);
  });
});

describe('invoke permissions', () => {
  it('grants API Gateway one permission per route, each naming this API, stage, method and path', () => {
    const api = synth.stack.api.gateway.restApi;
    // Only API Gateway's permissions: other services (the execution watcher's rule) have their own.
    const permissions = Object.values(resourcesOfType(synth.template, 'AWS::Lambda::Permission')).filter(
      (permission) => permission.Principal === 'apigateway.amazonaws.com',
    );
    const expected = allRoutes.map((route) => ({
      Action: 'lambda:InvokeFunction',
      FunctionName: { 'Fn::GetAtt': [logicalId(synth.stack.api.functions[route.fn].function), 'Arn'] },
      Principal: 'apigateway.amazonaws.com',
      SourceArn: {
        'Fn::Join': [
          '',
          [
            'arn:',
            { Ref: 'AWS::Partition' },
            ':execute-api:',
            { Ref: 'AWS::Region' },
            ':',
            { Ref: 'AWS::AccountId' },
            ':',
            { Ref: logicalId(api) },
            '/',
            { Ref: logicalId(api.deploymentStage) },
            // Path parameters become "*": the value of {id} is the caller's to choose.
            `/${route.method}${route.resource.replace(/\{[^}]+\}/g, '*')}`,
          ],
        ],
      },
    }));

    expect(permissions).toHaveLength(allRoutes.length);
    expect(permissions).toEqual(expect.arrayContaining(expected));
  });

  it('grants nothing to the console test-invoke stage', () => {
    const permissions = Object.values(resourcesOfType(synth.template, 'AWS::Lambda::Permission'));

    expect(JSON.stringify(permissions)).not.toContain('test-invoke-stage');
  });
});

describe('API stage', () => {
  it('throttles, traces and writes JSON access logs to its own log group', () => {
    synth.template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'v1',
      TracingEnabled: true,
      MethodSettings: Match.arrayWith([
        Match.objectLike({
          HttpMethod: '*',
          ResourcePath: '/*',
          ThrottlingRateLimit: synth.config.apiRateLimit,
          ThrottlingBurstLimit: synth.config.apiBurstLimit,
        }),
      ]),
      AccessLogSetting: {
        // The log group's ARN without the ":*" its Arn attribute ends in, as API Gateway wants it.
        DestinationArn: {
          'Fn::Join': [
            '',
            [
              'arn:',
              { Ref: 'AWS::Partition' },
              ':logs:',
              { Ref: 'AWS::Region' },
              ':',
              { Ref: 'AWS::AccountId' },
              ':log-group:',
              { Ref: logicalId(synth.stack.api.gateway.accessLogGroup) },
            ],
          ],
        },
        Format: Match.stringLikeRegexp('^\\{.*"requestId":"\\$context.requestId".*\\}$'),
      },
    });
  });

  it('answers CORS preflights for the configured origins only', () => {
    const methods = Object.values(resourcesOfType(synth.template, 'AWS::ApiGateway::Method')).filter(
      (method) => method.HttpMethod === 'OPTIONS',
    );

    const origins = methods.map(
      (method) =>
        (method.Integration as { IntegrationResponses: Array<{ ResponseParameters: Record<string, string> }> })
          .IntegrationResponses[0]?.ResponseParameters['method.response.header.Access-Control-Allow-Origin'],
    );

    expect(methods.length).toBeGreaterThan(0);
    expect(new Set(origins)).toEqual(new Set([`'${synth.config.allowedOrigins[0]}'`]));
  });

  it('answers its own errors in the contract shape', () => {
    synth.template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'BAD_REQUEST_BODY',
      ResponseTemplates: {
        'application/json': '{"error":{"code":"VALIDATION_ERROR","message":$context.error.messageString}}',
      },
    });
    synth.template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'UNAUTHORIZED',
      ResponseTemplates: { 'application/json': Match.stringLikeRegexp('"code":"UNAUTHORIZED"') },
    });
  });

  it('answers an unknown route 404 with a fixed message, whatever Authorization header came with it', () => {
    synth.template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'MISSING_AUTHENTICATION_TOKEN',
      StatusCode: '404',
      ResponseTemplates: {
        'application/json': `{"error":{"code":"NOT_FOUND","message":${JSON.stringify(UNKNOWN_ROUTE_MESSAGE)}}}`,
      },
    });
  });

  it('adds to every gateway response the CORS headers the twin adds to its own (one source)', () => {
    const responses = Object.values(resourcesOfType(synth.template, 'AWS::ApiGateway::GatewayResponse'));
    const expected = Object.fromEntries(
      Object.entries(gatewayResponseCorsHeaders(synth.config.allowedOrigins)).map(([name, value]) => [
        `gatewayresponse.header.${name}`,
        `'${value}'`,
      ]),
    );

    expect(Object.keys(expected)).toContain('gatewayresponse.header.Access-Control-Allow-Origin');
    expect(responses.length).toBeGreaterThanOrEqual(9);
    for (const response of responses) expect(response.ResponseParameters).toEqual(expected);
  });
});

describe('Cognito', () => {
  it('requires strong passwords and offers TOTP multi-factor authentication', () => {
    synth.template.hasResourceProperties('AWS::Cognito::UserPool', {
      Policies: {
        PasswordPolicy: {
          MinimumLength: 12,
          RequireLowercase: true,
          RequireUppercase: true,
          RequireNumbers: true,
          RequireSymbols: true,
        },
      },
      MfaConfiguration: 'OPTIONAL',
      EnabledMfas: ['SOFTWARE_TOKEN_MFA'],
    });
  });

  it("sends its e-mails with Cognito's own sender unless a sender verified in SES is configured", () => {
    // Arrange
    const pools = (template: Synthesized['template']) =>
      Object.values(resourcesOfType(template, 'AWS::Cognito::UserPool')).map((pool) => pool.EmailConfiguration);
    const withSes = synthStack({ config: stageConfig('prod', { signUpEmailFrom: 'hello@guide.example' }) });

    // Act
    const [defaultSender] = pools(synth.template);
    const [sesSender] = pools(withSes.template);

    // Assert
    expect(defaultSender).toBeUndefined();
    expect(sesSender).toEqual({
      EmailSendingAccount: 'DEVELOPER',
      From: 'hello@guide.example',
      SourceArn: {
        'Fn::Join': [
          '',
          [
            'arn:',
            { Ref: 'AWS::Partition' },
            ':ses:',
            { Ref: 'AWS::Region' },
            ':',
            { Ref: 'AWS::AccountId' },
            ':identity/hello@guide.example',
          ],
        ],
      },
    });
  });

  it('has a public web client signing in with SRP only', () => {
    synth.template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      GenerateSecret: false,
      ExplicitAuthFlows: ['ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
      PreventUserExistenceErrors: 'ENABLED',
    });
  });
});

describe('articles function', () => {
  it('is told the page-token secret by its ARN, and no key: nothing in its environment is resolved from a secret', () => {
    const functions = resourcesOfType(synth.template, 'AWS::Lambda::Function');

    const env = (
      functions[logicalId(synth.stack.api.articles.fn.function)]?.Environment as { Variables: Record<string, unknown> }
    ).Variables;

    expect(env.PAGE_TOKEN_SECRET_ID).toEqual({ Ref: logicalId(synth.stack.api.articles.pageTokenSecret) });
    expect(env.PAGE_TOKEN_SECRET_MAX_AGE).toBe('300');
    expect(env.PAGE_TOKEN_SECRET).toBeUndefined();
    expect(JSON.stringify(synth.template.toJSON())).not.toContain('{{resolve:secretsmanager:');
  });

  it('is told its tables and allowed origins, and nothing about the bucket or uploads', () => {
    const functions = resourcesOfType(synth.template, 'AWS::Lambda::Function');
    const { stack } = synth;

    const env = (
      functions[logicalId(stack.api.articles.fn.function)]?.Environment as { Variables: Record<string, unknown> }
    ).Variables;

    expect(env).toMatchObject({
      ARTICLES_TABLE_NAME: { Ref: logicalId(stack.api.articles.table) },
      MEDIA_TABLE_NAME: { Ref: logicalId(stack.mediaTable.table) },
      ALLOWED_ORIGINS: synth.config.allowedOrigins.join(','),
    });
    expect(Object.keys(env).filter((name) => /BUCKET|UPLOAD|DOWNLOAD/.test(name))).toEqual([]);
  });
});

describe('media function', () => {
  it('has a role and a log group of its own', () => {
    const { articles, media } = synth.stack.api.functions;

    expect(logicalId(media.role)).not.toBe(logicalId(articles.role));
    expect(logicalId(media.logGroup)).not.toBe(logicalId(articles.logGroup));
  });

  it('is told the media table, quota table, bucket, limits, allowed origins and the page-token key, and nothing about articles', () => {
    const functions = resourcesOfType(synth.template, 'AWS::Lambda::Function');
    const { stack } = synth;

    const env = (
      functions[logicalId(stack.api.media.fn.function)]?.Environment as { Variables: Record<string, unknown> }
    ).Variables;

    expect(env).toMatchObject({
      MEDIA_TABLE_NAME: { Ref: logicalId(stack.mediaTable.table) },
      UPLOAD_QUOTA_TABLE_NAME: { Ref: logicalId(stack.api.media.uploadQuotaTable) },
      DAILY_UPLOAD_QUOTA: '100',
      MEDIA_BUCKET_NAME: { Ref: logicalId(stack.media.bucket) },
      MAX_UPLOAD_BYTES: String(synth.config.maxUploadBytes),
      UPLOAD_URL_TTL_SECONDS: '300',
      DOWNLOAD_URL_TTL_SECONDS: '300',
      ALLOWED_ORIGINS: synth.config.allowedOrigins.join(','),
    });
    expect(env.ARTICLES_TABLE_NAME).toBeUndefined();
    // GET /media?owner=me signs its nextToken with the same key as the articles listing, under its own
    // context: the secret's ARN only, never the key.
    expect(JSON.stringify(env.PAGE_TOKEN_SECRET_ID)).toContain(logicalId(stack.api.articles.pageTokenSecret));
    expect(env.PAGE_TOKEN_SECRET).toBeUndefined();
  });
});

describe('articles table', () => {
  it('is keyed by id with the byNewest index, on demand, with point-in-time recovery', () => {
    const tables = resourcesOfType(synth.template, 'AWS::DynamoDB::Table');

    const table = tables[logicalId(synth.stack.api.articles.table)];

    expect(table).toMatchObject({
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      GlobalSecondaryIndexes: [
        {
          IndexName: 'byNewest',
          KeySchema: [
            { AttributeName: 'listPartition', KeyType: 'HASH' },
            { AttributeName: 'listSortKey', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    });
  });
});

describe('upload-quota table', () => {
  it('is keyed by ownerDay, on demand, with point-in-time recovery and encryption', () => {
    const tables = resourcesOfType(synth.template, 'AWS::DynamoDB::Table');

    const table = tables[logicalId(synth.stack.api.media.uploadQuotaTable)];

    expect(table).toMatchObject({
      KeySchema: [{ AttributeName: 'ownerDay', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'ownerDay', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
    });
    expect(table?.GlobalSecondaryIndexes).toBeUndefined();
  });

  it('expires counters through TTL on expiresAt, so the table never grows', () => {
    const tables = resourcesOfType(synth.template, 'AWS::DynamoDB::Table');

    const table = tables[logicalId(synth.stack.api.media.uploadQuotaTable)];

    expect(table?.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
  });

  it('shares TTL only with the media table, whose TTL attribute only unclaimed upload tickets carry; articles never expire', () => {
    const tables = resourcesOfType(synth.template, 'AWS::DynamoDB::Table');

    const withTtl = Object.entries(tables)
      .filter(([, table]) => table.TimeToLiveSpecification !== undefined)
      .map(([id]) => id);

    expect(withTtl.sort()).toEqual(
      [logicalId(synth.stack.api.media.uploadQuotaTable), logicalId(synth.stack.mediaTable.table)].sort(),
    );
    expect(tables[logicalId(synth.stack.mediaTable.table)]?.TimeToLiveSpecification).toEqual({
      AttributeName: TICKET_REMOVE_AT_ATTRIBUTE,
      Enabled: true,
    });
  });

  it('is deleted with the dev stack', () => {
    const resources = synth.template.toJSON().Resources as Record<string, { DeletionPolicy?: string }>;

    expect(resources[logicalId(synth.stack.api.media.uploadQuotaTable)]?.DeletionPolicy).toBe('Delete');
  });

  it('is named only in the media function, and granted to no other role', () => {
    const tableId = logicalId(synth.stack.api.media.uploadQuotaTable);
    const functions = resourcesOfType(synth.template, 'AWS::Lambda::Function');
    const policies = resourcesOfType(synth.template, 'AWS::IAM::Policy');

    const functionsNamingIt = Object.entries(functions)
      .filter(([, fn]) => JSON.stringify(fn.Environment ?? {}).includes(`"${tableId}"`))
      .map(([id]) => id);
    const policiesNamingIt = Object.entries(policies)
      .filter(([, policy]) => JSON.stringify(policy.PolicyDocument).includes(`"${tableId}"`))
      .map(([, policy]) => policy.Roles);

    expect(functionsNamingIt).toEqual([logicalId(synth.stack.api.media.fn.function)]);
    expect(policiesNamingIt).toEqual([[{ Ref: logicalId(synth.stack.api.media.fn.role) }]]);
  });

  it('takes the daily quota from the config', () => {
    const custom = synthStack({ config: stageConfig('dev', { dailyUploadQuota: 7 }) });
    const functions = resourcesOfType(custom.template, 'AWS::Lambda::Function');

    const env = (
      functions[logicalId(custom.stack.api.media.fn.function)]?.Environment as { Variables: Record<string, unknown> }
    ).Variables;

    expect(env.DAILY_UPLOAD_QUOTA).toBe('7');
  });
});

describe('stack outputs', () => {
  it('has one output per key the smoke command reads, each with the value it names', () => {
    const { stack, template } = synth;
    const expected: Record<string, unknown> = {
      [STACK_OUTPUTS.apiUrl]: stack.api.gateway.restApi.url,
      [STACK_OUTPUTS.userPoolId]: stack.api.users.userPool.userPoolId,
      [STACK_OUTPUTS.userPoolClientId]: stack.api.users.userPoolClient.userPoolClientId,
      [STACK_OUTPUTS.mediaBucketName]: stack.media.bucket.bucketName,
      [STACK_OUTPUTS.stateMachineArn]: stack.pipeline.stateMachine.stateMachineArn,
      [STACK_OUTPUTS.mediaTableName]: stack.mediaTable.table.tableName,
      [STACK_OUTPUTS.uploadDeadLetterQueueUrl]: stack.pipeline.deadLetterQueue.queueUrl,
      [STACK_OUTPUTS.alarmTopicArn]: stack.observability.alarmTopic.topicArn,
    };

    expect(Object.keys(expected).sort()).toEqual(Object.values(STACK_OUTPUTS).sort());
    for (const [key, value] of Object.entries(expected)) {
      template.hasOutput(key, { Value: stack.resolve(value) });
    }
  });
});
