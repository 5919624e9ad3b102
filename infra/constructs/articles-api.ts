import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { z } from 'zod';
import { routes, type ApiFunctionName, type RouteDefinition } from '../../functions/api/routes';
import { BODY_SCHEMAS, type BodyModelName } from '../../functions/api/body-models';
import { OWNER_INDEX } from '../../functions/api/media-records';
import { articlesSettings } from '../../functions/articles/settings';
import { mediaSettings } from '../../functions/media/settings';
import { DERIVED_PREFIX, FAILED_PREFIX, UPLOAD_PREFIX } from '../../functions/shared/media';
import type { AppConfig } from '../config';
import { API_CORS_PREFLIGHT } from '../definitions/cors';
import { gatewayResponseCorsHeaders, UNKNOWN_ROUTE_MESSAGE } from '../definitions/gateway-responses';
import {
  articlesTable as articlesTableDefinition,
  uploadQuotaTable as uploadQuotaTableDefinition,
} from '../definitions/tables';
import { DefinedTable } from './defined-table';
import { EdgeProtection } from './edge-protection';
import { AppFunction } from './app-function';

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

/** Properties of an {@link ArticlesApi}. */
export interface ArticlesApiProps {
  /** The stage's configuration (origins, throttling, Cognito plan, removal policy). */
  readonly config: AppConfig;
  /** Media bucket: the media function signs POST uploads to `uploads/` and GET URLs under `derived/`. */
  readonly bucket: s3.IBucket;
  /**
   * Media table: the media function writes PENDING records and reads them back; the articles
   * function reads a record to check an article's cover.
   */
  readonly mediaTable: dynamodb.ITable;
  /**
   * Folder holding `package-lock.json`, `node_modules` and `functions/<name>/handler.ts`.
   * @default the repository root
   */
  readonly projectRoot?: string;
}

/**
 * The article REST API: a Cognito user pool and app client, the articles table, the upload-quota
 * table, two functions under roles of their own (articles: the article routes; media: upload URLs,
 * counted against a daily quota per user, and media views; the only one that may sign for the
 * bucket), and a REST API with one resource and method per entry of `functions/api/routes.ts`
 * (no proxy, no ANY), each integrated with the function its route names. Mutating routes sit
 * behind the Cognito authorizer; bodies are validated at the gateway against models generated
 * from the same zod schemas the function uses. The stage is throttled, traced and access-logged
 * as JSON.
 */
export class ArticlesApi extends Construct {
  /** Users of the API; the `sub` claim is the owner id of articles and uploads. */
  public readonly userPool: cognito.UserPool;
  /** The browser app client (SRP, no secret). */
  public readonly userPoolClient: cognito.UserPoolClient;
  /** Articles, with the `byNewest` index. */
  public readonly articlesTable: dynamodb.Table;
  /** Upload counters per owner and UTC day (daily upload quota); only the media function may touch it. */
  public readonly uploadQuotaTable: dynamodb.Table;
  /** The function behind the article routes (`fn: 'articles'`). */
  public readonly articles: AppFunction;
  /** The function behind the media routes (`fn: 'media'`). */
  public readonly media: AppFunction;
  /** Each API function by the name routes.ts gives it. */
  public readonly functions: Readonly<Record<ApiFunctionName, AppFunction>>;
  /** HMAC key of the list page tokens. */
  public readonly pageTokenSecret: secretsmanager.Secret;
  /** The REST API; its stage is `v1`. */
  public readonly api: apigw.RestApi;
  /** Access logs of the API stage, one JSON object per request. */
  public readonly accessLogGroup: logs.LogGroup;
  /** Cognito user pool authorizer of the mutating routes. */
  public readonly authorizer: apigw.CognitoUserPoolsAuthorizer;
  /** Each route's method, by `METHOD /resource`. */
  public readonly methods: ReadonlyMap<string, apigw.Method>;
  /** The WAF web ACL in front of the stage and the user pool, when the stage is configured `withWaf`. */
  public readonly edgeProtection?: EdgeProtection;

  constructor(scope: Construct, id: string, props: ArticlesApiProps) {
    super(scope, id);
    const { config, bucket, mediaTable } = props;
    const retained = config.removalPolicy === RemovalPolicy.RETAIN;
    const plus = config.userPoolPlan === 'PLUS';

    this.userPool = new cognito.UserPool(this, 'UserPool', {
      selfSignUpEnabled: config.selfSignUp,
      signInAliases: { email: true },
      autoVerify: { email: true },
      standardAttributes: { email: { required: true, mutable: true } },
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
        passwordHistorySize: 5,
      },
      // TOTP only: SMS would need an SNS role and a sending budget.
      mfa: cognito.Mfa.OPTIONAL,
      mfaSecondFactor: { otp: true, sms: false },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      featurePlan: plus ? cognito.FeaturePlan.PLUS : cognito.FeaturePlan.ESSENTIALS,
      // Threat protection (compromised credentials, adaptive authentication) needs PLUS.
      ...(plus ? { standardThreatProtectionMode: cognito.StandardThreatProtectionMode.FULL_FUNCTION } : {}),
      deletionProtection: retained,
      removalPolicy: config.removalPolicy,
    });
    Validations.of(this.userPool).acknowledge({
      id: 'AwsSolutions-COG2',
      reason:
        'MFA is offered (TOTP) but optional: authors are members of the public signing up themselves, and a mandatory second factor at sign-up would turn most of them away. Strong passwords, email verification and (in prod) threat protection stand in.',
    });
    if (!plus) {
      Validations.of(this.userPool).acknowledge({
        id: 'AwsSolutions-COG8',
        reason: `The ${config.stage} stage uses the Essentials plan to avoid the Plus per-user price; stages configured with userPoolPlan PLUS run threat protection in full-function mode.`,
      });
    }

    this.userPoolClient = this.userPool.addClient('WebClient', {
      // A browser client: SRP sign-in, no client secret (it could not be kept secret).
      generateSecret: false,
      authFlows: { userSrp: true },
      // OAuth off: the pool has no domain, so there is no hosted UI and no /oauth2 endpoint to
      // redirect to; the app signs in with SRP (InitiateAuth) and renews with the refresh token.
      // CDK's defaults would otherwise allow the implicit grant (tokens in URLs), every scope
      // including aws.cognito.signin.user.admin, and a placeholder callback nobody owns.
      disableOAuth: true,
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      accessTokenValidity: Duration.hours(1),
      idTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.days(30),
    });

    this.articlesTable = new DefinedTable(this, articlesTableDefinition.id, {
      definition: articlesTableDefinition,
      removalPolicy: config.removalPolicy,
    }).table;

    // Counters of the daily upload quota, expired by TTL a day after their day ends.
    this.uploadQuotaTable = new DefinedTable(this, uploadQuotaTableDefinition.id, {
      definition: uploadQuotaTableDefinition,
      removalPolicy: config.removalPolicy,
    }).table;

    // HMAC key that makes `nextToken` tamper-evident. The function reads it at run time (cached,
    // current and previous version: functions/articles/page-token-keys.ts); its environment
    // holds the secret's ARN only, so reading the function's configuration reveals no key, and
    // `aws secretsmanager put-secret-value` rotates it without a deploy (README "Security").
    this.pageTokenSecret = new secretsmanager.Secret(this, 'PageTokenSecret', {
      description: "HMAC key for the API list page tokens (articles, and one owner's media)",
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      removalPolicy: RemovalPolicy.DESTROY,
    });
    Validations.of(this.pageTokenSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'No rotation schedule: the key only signs list page tokens (a leak lets someone forge a cursor into the public, newest-first listing, nothing more), and it rotates by a new secret value (README "Security"), which the function picks up within its cache age while still accepting tokens signed with the previous version. A scheduled rotation would need a rotation Lambda and role whose only work is writing a random string.',
    });

    // What the two API functions share: short requests, so a short timeout.
    const common = {
      metricsNamespace: config.serviceName,
      logRetention: config.logRetention,
      memorySize: 512,
      timeout: Duration.seconds(10),
      ...(props.projectRoot !== undefined ? { projectRoot: props.projectRoot } : {}),
    };
    // Article CRUD: the articles table and its newest-first index, and a read of the media table
    // to check that a cover image is the author's own usable media. No S3 at all.
    this.articles = new AppFunction(this, 'Articles', {
      ...common,
      name: 'articles',
      serviceName: `${config.serviceName}-${config.stage}-articles-api`,
      settings: articlesSettings.toEnv({
        articlesTableName: this.articlesTable.tableName,
        mediaTableName: mediaTable.tableName,
        pageTokenSecretId: this.pageTokenSecret.secretArn,
        allowedOrigins: config.allowedOrigins,
      }),
    })
      .allowTable(this.articlesTable, [
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'dynamodb:DeleteItem',
      ])
      .allowTable(mediaTable, ['dynamodb:GetItem'])
      .allowSecretRead(this.pageTokenSecret);
    for (const index of articlesTableDefinition.globalSecondaryIndexes) {
      this.articles.allowIndexQuery(this.articlesTable, index.indexName);
    }

    // Upload URLs and media views: POST /media/uploads counts the upload against the owner's daily
    // quota (one conditional UpdateItem, its only right on the quota table), puts the
    // PENDING record and signs a POST under uploads/; GET /media/{id} gets the record and signs
    // GETs under derived/; GET /media?owner=me queries the byOwner index; DELETE /media/{id} marks
    // the record DELETING (PutItem), erases every version of the media's objects (the only role
    // that may delete object versions) and deletes the record (the only role with DeleteItem there).
    this.media = new AppFunction(this, 'Media', {
      ...common,
      name: 'media',
      serviceName: `${config.serviceName}-${config.stage}-media-api`,
      // The presigners read credentials, region and endpoint from an S3 client (no request is sent);
      // DELETE /media/{id} sends requests with it, to erase a media's objects.
      usesS3Client: true,
      settings: mediaSettings.toEnv({
        mediaTableName: mediaTable.tableName,
        uploadQuotaTableName: this.uploadQuotaTable.tableName,
        mediaBucketName: bucket.bucketName,
        maxUploadBytes: config.maxUploadBytes,
        allowedOrigins: config.allowedOrigins,
        dailyUploadQuota: config.dailyUploadQuota,
        pageTokenSecretId: this.pageTokenSecret.secretArn,
      }),
    })
      .allowTable(mediaTable, ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem'])
      .allowTable(this.uploadQuotaTable, ['dynamodb:UpdateItem'])
      // Signing a presigned POST needs the signer to hold s3:PutObject on the key it signs for.
      .allowObjects(bucket, UPLOAD_PREFIX, ['s3:PutObject', 's3:DeleteObjectVersion'])
      .allowObjects(bucket, DERIVED_PREFIX, ['s3:GetObject', 's3:DeleteObjectVersion'])
      .allowObjects(bucket, FAILED_PREFIX, ['s3:DeleteObjectVersion'])
      .allowListing(bucket, 's3:ListBucketVersions', [UPLOAD_PREFIX, DERIVED_PREFIX, FAILED_PREFIX])
      // GET /media?owner=me signs its nextToken with the articles listing's key (another context).
      .allowSecretRead(this.pageTokenSecret);
    // The owner's listing only: the held-claim index is the sweeper's.
    this.media.allowIndexQuery(mediaTable, OWNER_INDEX);
    this.functions = { articles: this.articles, media: this.media };

    this.accessLogGroup = new logs.LogGroup(this, 'AccessLogs', {
      // Who called which route, when and with what result: an audit log.
      retention: config.auditLogRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.api = new apigw.RestApi(this, 'Api', {
      // API Gateway's metrics are keyed by API name and stage name: a name per stack keeps one
      // stage's traffic out of another stage's dashboard and 5xx alarm in the same account.
      restApiName: `${Stack.of(this).stackName}-api`,
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

    const authorizer = (this.authorizer = new apigw.CognitoUserPoolsAuthorizer(this, 'Authorizer', {
      cognitoUserPools: [this.userPool],
    }));
    const bodyValidator = this.api.addRequestValidator('BodyValidator', {
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
        integration = new apigw.LambdaIntegration(this.functions[fn].function, { allowTestInvoke: false });
        integrations.set(fn, integration);
      }
      return integration;
    };

    const models = new Map<BodyModelName, apigw.Model>();
    const modelFor = (name: BodyModelName): apigw.Model => {
      let model = models.get(name);
      if (!model) {
        model = this.api.addModel(`${name}Model`, {
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
      const resource = this.api.root.resourceForPath(route.resource);
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
      this.edgeProtection = new EdgeProtection(this, 'EdgeProtection', {
        metricPrefix: `${config.serviceName}-${config.stage}`,
        protectedArns: {
          Api: this.api.deploymentStage.stageArn,
          // Open sign-up is what strangers can reach without an account.
          ...(config.selfSignUp ? { UserPool: this.userPool.userPoolArn } : {}),
        },
        uploadPath: `/${API_STAGE_NAME}${upload.resource}`,
      });
    } else {
      Validations.of(this.api.deploymentStage).acknowledge({
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
      this.api.addGatewayResponse(id, {
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
