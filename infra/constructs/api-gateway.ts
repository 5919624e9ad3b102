import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import type * as cognito from 'aws-cdk-lib/aws-cognito';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { z } from 'zod';
import { routes, type ApiFunctionName, type RouteDefinition } from '../../functions/api/routes';
import { BODY_SCHEMAS, type BodyModelName } from '../../functions/api/body-models';
import type { AppConfig } from '../config';
import { API_CORS_PREFLIGHT } from '../definitions/cors';
import { gatewayResponseCorsHeaders, UNKNOWN_ROUTE_MESSAGE } from '../definitions/gateway-responses';
import type { AppFunction } from './app-function';
import { EdgeProtection } from './edge-protection';

/** The API's one stage: the first segment of every request path. */
export const API_STAGE_NAME = 'v1';
/** The route whose every call can start two Rekognition calls: WAF limits it per client IP. */
const UPLOAD_ROUTE_RESOURCE = '/media/uploads';

/**
 * A request body schema as API Gateway's JSON Schema draft 4 model. `io: 'input'` describes what
 * clients send (before defaults or trimming); `$schema` is left to CDK, which sets draft 4.
 */
export function bodyModelSchema(name: BodyModelName): apigw.JsonSchema {
  const { $schema: _schema, ...schema } = z.toJSONSchema(BODY_SCHEMAS[name], { target: 'draft-04', io: 'input' });
  return schema as apigw.JsonSchema;
}

/**
 * One JSON object per request in the API access log: who (the Cognito `sub` of the caller, empty
 * on public routes, and the source IP), what (request id, method, route template and path), the
 * outcome (status, the type of an error API Gateway answered itself, a WAF verdict, latency end
 * to end and in the function). Only `$context` variables chosen here: never a header (no
 * Authorization token), never the query string (no page token), never a body (no presigned URL
 * or upload form), and nothing a client writes freely (no user agent, no error message) that
 * could break the line's JSON.
 */
export const ACCESS_LOG_FIELDS: Readonly<Record<string, string>> = {
  requestId: apigw.AccessLogField.contextRequestId(),
  extendedRequestId: apigw.AccessLogField.contextExtendedRequestId(),
  requestTime: apigw.AccessLogField.contextRequestTime(),
  requestTimeEpoch: apigw.AccessLogField.contextRequestTimeEpoch(),
  sub: apigw.AccessLogField.contextAuthorizerClaims('sub'),
  sourceIp: apigw.AccessLogField.contextIdentitySourceIp(),
  httpMethod: apigw.AccessLogField.contextHttpMethod(),
  route: apigw.AccessLogField.contextResourcePath(),
  path: apigw.AccessLogField.contextPath(),
  protocol: apigw.AccessLogField.contextProtocol(),
  status: apigw.AccessLogField.contextStatus(),
  errorType: apigw.AccessLogField.contextErrorResponseType(),
  wafResponseCode: apigw.AccessLogField.contextWafResponseCode(),
  responseLength: apigw.AccessLogField.contextResponseLength(),
  responseLatencyMs: apigw.AccessLogField.contextResponseLatency(),
  integrationLatencyMs: apigw.AccessLogField.contextIntegrationLatency(),
  xrayTraceId: apigw.AccessLogField.contextXrayTraceId(),
};
/** Properties of an {@link ApiGateway}. */
export interface ApiGatewayProps {
  /** The stage's configuration (origins, throttling, WAF, log retention). */
  readonly config: AppConfig;
  /** The users whose tokens the authorizer of the mutating routes accepts. */
  readonly userPool: cognito.IUserPool;
  /** Each API function by the name routes.ts gives it: every route is integrated with its own. */
  readonly functions: Readonly<Record<ApiFunctionName, AppFunction>>;
}

/**
 * The REST API in front of the API functions: one resource and method per entry of
 * `functions/api/routes.ts` (no proxy, no ANY), each integrated with the function its route
 * names. Mutating routes sit behind the Cognito authorizer; bodies are validated at the gateway
 * against models generated from the same zod schemas the function uses; errors the gateway
 * answers itself carry the API's error shape. The stage is throttled, traced and access-logged as
 * JSON, and sits behind the WAF web ACL when the stage is configured `withWaf`.
 *
 * It adds its resources to the API construct's scope rather than a construct level of its own:
 * their logical ids stay the ones the stack was first deployed with
 * (test/infra/stateful-resources.test.ts), so no table, pool or log group is replaced.
 */
export class ApiGateway {
  /** The REST API; its stage is `v1`. */
  public readonly restApi: apigw.RestApi;
  /** Access logs of the API stage, one JSON object per request. */
  public readonly accessLogGroup: logs.LogGroup;
  /** Cognito user pool authorizer of the mutating routes. */
  public readonly authorizer: apigw.CognitoUserPoolsAuthorizer;
  /** Each route's method, by `METHOD /resource`. */
  public readonly methods: ReadonlyMap<string, apigw.Method>;
  /** The WAF web ACL in front of the stage and the user pool, when the stage is configured `withWaf`. */
  public readonly edgeProtection?: EdgeProtection;

  constructor(scope: Construct, props: ApiGatewayProps) {
    const { config, userPool, functions } = props;
    this.accessLogGroup = new logs.LogGroup(scope, 'AccessLogs', {
      // Who called which route, when and with what result: an audit log.
      retention: config.auditLogRetention,
      removalPolicy: config.removalPolicy,
    });

    this.restApi = new apigw.RestApi(scope, 'Api', {
      // API Gateway's metrics are keyed by API name and stage name: a name per stack keeps one
      // stage's traffic out of another stage's dashboard and 5xx alarm in the same account.
      restApiName: `${Stack.of(scope).stackName}-api`,
      description: `Travel guide articles and media API (${config.stage})`,
      endpointTypes: [apigw.EndpointType.REGIONAL],
      // The account-wide CloudWatch role is the account stack's (infra/stacks/account-stack.ts):
      // a stage never creates or replaces an account setting.
      cloudWatchRole: false,
      deployOptions: {
        stageName: API_STAGE_NAME,
        throttlingRateLimit: config.apiRateLimit,
        throttlingBurstLimit: config.apiBurstLimit,
        tracingEnabled: true,
        metricsEnabled: true,
        loggingLevel: apigw.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        accessLogDestination: new apigw.LogGroupLogDestination(this.accessLogGroup),
        accessLogFormat: apigw.AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
      },
      // One definition for the stack and the twin's gateway (infra/definitions/cors.ts).
      defaultCorsPreflightOptions: {
        allowOrigins: [...config.allowedOrigins],
        allowMethods: [...API_CORS_PREFLIGHT.allowMethods],
        allowHeaders: [...API_CORS_PREFLIGHT.allowHeaders],
        maxAge: Duration.seconds(API_CORS_PREFLIGHT.maxAgeSeconds),
      },
    });

    const authorizer = (this.authorizer = new apigw.CognitoUserPoolsAuthorizer(scope, 'Authorizer', {
      cognitoUserPools: [userPool],
    }));
    const bodyValidator = this.restApi.addRequestValidator('BodyValidator', {
      validateRequestBody: true,
      // No method declares required parameters; enabling it keeps any future one checked too.
      validateRequestParameters: true,
    });
    // No test-invoke permission: the console's test button would get a permission on
    // `test-invoke-stage`. Each method's permission names this API, its stage, method and path,
    // and is granted on the one function its route names.
    const integrations = new Map<ApiFunctionName, apigw.LambdaIntegration>();
    const integrationFor = (fn: ApiFunctionName): apigw.LambdaIntegration => {
      let integration = integrations.get(fn);
      if (!integration) {
        integration = new apigw.LambdaIntegration(functions[fn].function, { allowTestInvoke: false });
        integrations.set(fn, integration);
      }
      return integration;
    };

    const models = new Map<BodyModelName, apigw.Model>();
    const modelFor = (name: BodyModelName): apigw.Model => {
      let model = models.get(name);
      if (!model) {
        model = this.restApi.addModel(`${name}Model`, {
          modelName: name,
          contentType: 'application/json',
          schema: bodyModelSchema(name),
        });
        models.set(name, model);
      }
      return model;
    };

    const methods = new Map<string, apigw.Method>();
    for (const route of routes as readonly RouteDefinition[]) {
      const resource = this.restApi.root.resourceForPath(route.resource);
      const method = resource.addMethod(route.method, integrationFor(route.fn), {
        ...(route.auth
          ? { authorizer, authorizationType: apigw.AuthorizationType.COGNITO }
          : { authorizationType: apigw.AuthorizationType.NONE }),
        ...(route.bodyModel
          ? { requestValidator: bodyValidator, requestModels: { 'application/json': modelFor(route.bodyModel) } }
          : {}),
      });
      methods.set(`${route.method} ${route.resource}`, method);
      if (!route.auth) {
        const reason = `${route.method} ${route.resource} is a public read route by design (docs/design.md "REST API"): travel articles and approved media are readable without an account.`;
        Validations.of(method).acknowledge({ id: 'AwsSolutions-APIG4', reason });
        Validations.of(method).acknowledge({ id: 'AwsSolutions-COG4', reason });
      }
    }
    this.methods = methods;

    if (config.withWaf) {
      // The upload route as WAF sees the request: the stage is the first segment of the path.
      const upload = routes.find((route) => route.method === 'POST' && route.resource === UPLOAD_ROUTE_RESOURCE);
      if (upload === undefined) throw new Error(`routes.ts has no POST ${UPLOAD_ROUTE_RESOURCE}`);
      this.edgeProtection = new EdgeProtection(scope, 'EdgeProtection', {
        metricPrefix: `${config.serviceName}-${config.stage}`,
        protectedArns: {
          Api: this.restApi.deploymentStage.stageArn,
          // Open sign-up is what strangers can reach without an account.
          ...(config.selfSignUp ? { UserPool: userPool.userPoolArn } : {}),
        },
        uploadPath: `/${API_STAGE_NAME}${upload.resource}`,
      });
    } else {
      Validations.of(this.restApi.deploymentStage).acknowledge({
        id: 'AwsSolutions-APIG3',
        reason: `No WAF web ACL in this stage (withWaf is off; ${config.stage} is not exposed to the public): requests are throttled per stage, every write needs a Cognito token, bodies are schema-validated at the gateway, each user has a daily upload quota, and the only large payloads go straight to S3 under a signed POST policy. -c withWaf=true adds the web ACL.`,
      });
    }
    this.addErrorResponses(config.allowedOrigins);
  }

  /**
   * Errors API Gateway answers itself (before the function runs) in the contract's shape
   * `{"error": {"code", "message"}}`. Gateway response templates allow only simple
   * substitution, so the message is API Gateway's own, already quoted as a JSON string.
   */
  private addErrorResponses(allowedOrigins: readonly string[]): void {
    // Static values are quoted in gateway response parameters.
    const corsHeaders = Object.fromEntries(
      Object.entries(gatewayResponseCorsHeaders(allowedOrigins)).map(([name, value]) => [name, `'${value}'`]),
    );
    const responses: Array<[string, apigw.ResponseType, string, string?]> = [
      ['BadRequestBody', apigw.ResponseType.BAD_REQUEST_BODY, 'VALIDATION_ERROR'],
      ['BadRequestParameters', apigw.ResponseType.BAD_REQUEST_PARAMETERS, 'VALIDATION_ERROR'],
      ['Unauthorized', apigw.ResponseType.UNAUTHORIZED, 'UNAUTHORIZED'],
      ['AccessDenied', apigw.ResponseType.ACCESS_DENIED, 'FORBIDDEN'],
      // API Gateway answers an unknown path or method with 403 "Missing Authentication Token".
      ['UnknownRoute', apigw.ResponseType.MISSING_AUTHENTICATION_TOKEN, 'NOT_FOUND', '404'],
      ['RequestTooLarge', apigw.ResponseType.REQUEST_TOO_LARGE, 'PAYLOAD_TOO_LARGE'],
      ['Throttled', apigw.ResponseType.THROTTLED, 'THROTTLED'],
      ['Default4xx', apigw.ResponseType.DEFAULT_4XX, 'BAD_REQUEST'],
      ['Default5xx', apigw.ResponseType.DEFAULT_5XX, 'INTERNAL_ERROR'],
    ];
    for (const [id, type, code, statusCode] of responses) {
      // The unknown-route message is fixed: API Gateway's own would name (and echo) an Authorization header.
      const message =
        type === apigw.ResponseType.MISSING_AUTHENTICATION_TOKEN
          ? JSON.stringify(UNKNOWN_ROUTE_MESSAGE)
          : '$context.error.messageString';
      this.restApi.addGatewayResponse(id, {
        type,
        ...(statusCode !== undefined ? { statusCode } : {}),
        responseHeaders: corsHeaders,
        templates: {
          'application/json': `{"error":{"code":"${code}","message":${message}}}`,
        },
      });
    }
  }
}
