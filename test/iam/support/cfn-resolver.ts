/**
 * Turns the CloudFormation intrinsics found in IAM documents into concrete strings, so an offline
 * IAM simulator can evaluate them. Every resource gets a fake physical name derived from its
 * logical id (CDK's 8-hex hash suffix dropped), in one fixed fake account and region.
 *
 * Deliberately small and explicit: an intrinsic, attribute or resource type that is not handled
 * throws, so a new construct can never be evaluated against a silently wrong ARN.
 */

export const FAKE_PARTITION = 'aws';
export const FAKE_REGION = 'eu-west-1';
export const FAKE_ACCOUNT = '123456789012';

export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
}

export interface CfnTemplate {
  Resources?: Record<string, CfnResource>;
  Outputs?: Record<string, { Value: unknown; Export?: { Name: unknown } }>;
}

/** One synthesized stack: its name (used to disambiguate logical ids) and its template. */
export interface StackTemplate {
  stackName: string;
  template: CfnTemplate;
}

/** A resource of the app with the names the resolver gave it. */
export interface ResolvedResource {
  stackName: string;
  logicalId: string;
  type: string;
  /** Logical id without CDK's hash suffix; the readable name used in tests and docs. */
  name: string;
}

const CDK_HASH_SUFFIX = /[0-9A-F]{8}$/;

export function readableLogicalName(logicalId: string): string {
  const stripped = logicalId.replace(CDK_HASH_SUFFIX, '');
  return stripped === '' ? logicalId : stripped;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export class CfnResolver {
  private readonly byStack = new Map<string, CfnTemplate>();
  private readonly names = new Map<string, string>();
  private readonly exports = new Map<string, { stackName: string; value: unknown }>();
  private readonly resolving = new Set<string>();

  constructor(readonly stacks: readonly StackTemplate[]) {
    const logicalNameCount = new Map<string, number>();
    for (const { stackName, template } of stacks) {
      this.byStack.set(stackName, template);
      for (const logicalId of Object.keys(template.Resources ?? {})) {
        const name = readableLogicalName(logicalId);
        logicalNameCount.set(name, (logicalNameCount.get(name) ?? 0) + 1);
      }
    }
    // The same construct id in two stacks (CDK singletons) would give two resources one name.
    for (const { stackName, template } of stacks) {
      for (const logicalId of Object.keys(template.Resources ?? {})) {
        const name = readableLogicalName(logicalId);
        this.names.set(
          this.key(stackName, logicalId),
          (logicalNameCount.get(name) ?? 0) > 1 ? `${stackName}${name}` : name,
        );
      }
    }
    for (const { stackName, template } of stacks) {
      for (const output of Object.values(template.Outputs ?? {})) {
        if (output.Export === undefined) continue;
        this.exports.set(this.resolveString(output.Export.Name, stackName), { stackName, value: output.Value });
      }
    }
  }

  /** Every resource of the app, in template order. */
  resources(): ResolvedResource[] {
    return this.stacks.flatMap(({ stackName, template }) =>
      Object.entries(template.Resources ?? {}).map(([logicalId, resource]) => ({
        stackName,
        logicalId,
        type: resource.Type,
        name: this.nameOf(stackName, logicalId),
      })),
    );
  }

  resource(stackName: string, logicalId: string): CfnResource {
    const resource = this.byStack.get(stackName)?.Resources?.[logicalId];
    if (resource === undefined) throw new Error(`No resource ${logicalId} in stack ${stackName}`);
    return resource;
  }

  nameOf(stackName: string, logicalId: string): string {
    const name = this.names.get(this.key(stackName, logicalId));
    if (name === undefined) throw new Error(`No resource ${logicalId} in stack ${stackName}`);
    return name;
  }

  /** Resolves every intrinsic inside a JSON value (an IAM document, a property). */
  resolveDeep(value: unknown, stackName: string): unknown {
    if (Array.isArray(value)) return value.map((item) => this.resolveDeep(item, stackName));
    if (!isRecord(value)) return value;
    const keys = Object.keys(value);
    if (keys.length === 1 && (keys[0] === 'Ref' || keys[0]?.startsWith('Fn::'))) {
      return this.resolveIntrinsic(value, stackName);
    }
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.resolveDeep(v, stackName)]));
  }

  resolveString(value: unknown, stackName: string): string {
    const resolved = this.resolveDeep(value, stackName);
    if (typeof resolved !== 'string') {
      throw new Error(`Expected a string, got ${JSON.stringify(resolved)} from ${JSON.stringify(value)}`);
    }
    return resolved;
  }

  /** The value of `Ref` on a resource (what CloudFormation documents per type). */
  ref(stackName: string, logicalId: string): string {
    const type = this.resource(stackName, logicalId).Type;
    switch (type) {
      case 'AWS::S3::Bucket':
      case 'AWS::DynamoDB::Table':
      case 'AWS::Lambda::Function':
      case 'AWS::Logs::LogGroup':
      case 'AWS::IAM::Role':
      case 'AWS::IAM::Policy':
      case 'AWS::Cognito::UserPool':
      case 'AWS::Cognito::UserPoolClient':
      case 'AWS::ApiGateway::Resource':
      case 'AWS::ApiGateway::Deployment':
      case 'AWS::IAM::Group':
        return this.physicalName(stackName, logicalId);
      case 'AWS::ApiGateway::RestApi':
        // API ids are lower-case alphanumerics; keep it recognisable.
        return this.physicalName(stackName, logicalId).toLowerCase();
      case 'AWS::ApiGateway::Stage':
        return this.stageName(stackName, logicalId);
      case 'AWS::StepFunctions::StateMachine':
      case 'AWS::IAM::ManagedPolicy':
      case 'AWS::SNS::Topic':
      case 'AWS::SecretsManager::Secret':
      case 'AWS::IAM::OIDCProvider':
        return this.arn(stackName, logicalId);
      case 'AWS::SQS::Queue':
        return `https://sqs.${FAKE_REGION}.amazonaws.com/${FAKE_ACCOUNT}/${this.physicalName(stackName, logicalId)}`;
      case 'AWS::KMS::Key':
        return this.physicalName(stackName, logicalId);
      default:
        throw new Error(`Ref to ${type} (${logicalId}) is not handled by the resolver`);
    }
  }

  /** The ARN of a resource, as `Fn::GetAtt [id, "Arn"]` would return it. */
  arn(stackName: string, logicalId: string): string {
    const type = this.resource(stackName, logicalId).Type;
    const name = this.physicalName(stackName, logicalId);
    const p = FAKE_PARTITION;
    const ra = `${FAKE_REGION}:${FAKE_ACCOUNT}`;
    switch (type) {
      case 'AWS::S3::Bucket':
        return `arn:${p}:s3:::${name}`;
      case 'AWS::DynamoDB::Table':
        return `arn:${p}:dynamodb:${ra}:table/${name}`;
      case 'AWS::Lambda::Function':
        return `arn:${p}:lambda:${ra}:function:${name}`;
      case 'AWS::StepFunctions::StateMachine':
        return `arn:${p}:states:${ra}:stateMachine:${name}`;
      case 'AWS::Logs::LogGroup':
        // CloudFormation's Arn attribute of a log group ends in ":*".
        return `arn:${p}:logs:${ra}:log-group:${name}:*`;
      case 'AWS::SQS::Queue':
        return `arn:${p}:sqs:${ra}:${name}`;
      case 'AWS::SNS::Topic':
        return `arn:${p}:sns:${ra}:${name}`;
      case 'AWS::IAM::Role':
        return `arn:${p}:iam::${FAKE_ACCOUNT}:role/${name}`;
      case 'AWS::IAM::ManagedPolicy':
        return `arn:${p}:iam::${FAKE_ACCOUNT}:policy/${name}`;
      case 'AWS::IAM::Group':
        return `arn:${p}:iam::${FAKE_ACCOUNT}:group/${name}`;
      case 'AWS::IAM::OIDCProvider': {
        // IAM names a provider after its issuer URL without the scheme; there is no name property.
        const url = this.resolveString(this.resource(stackName, logicalId).Properties?.Url, stackName);
        return `arn:${p}:iam::${FAKE_ACCOUNT}:oidc-provider/${url.replace(/^https:\/\//, '')}`;
      }
      case 'AWS::KMS::Key':
        return `arn:${p}:kms:${ra}:key/${name}`;
      case 'AWS::Cognito::UserPool':
        return `arn:${p}:cognito-idp:${ra}:userpool/${name}`;
      case 'AWS::Events::Rule':
        return `arn:${p}:events:${ra}:rule/${name}`;
      case 'AWS::Scheduler::ScheduleGroup':
        return `arn:${p}:scheduler:${ra}:schedule-group/${name}`;
      case 'AWS::SecretsManager::Secret':
        // Secrets Manager appends six random characters to a secret's name in its ARN.
        return `arn:${p}:secretsmanager:${ra}:secret:${name}-AbCdEf`;
      default:
        throw new Error(`Arn of ${type} (${logicalId}) is not handled by the resolver`);
    }
  }

  /** The physical name: the name property when the template sets one, else the logical name. */
  physicalName(stackName: string, logicalId: string): string {
    const resource = this.resource(stackName, logicalId);
    const nameProperty = NAME_PROPERTY[resource.Type];
    const declared = nameProperty === undefined ? undefined : resource.Properties?.[nameProperty];
    if (declared === undefined) return this.nameOf(stackName, logicalId);
    const guard = this.key(stackName, logicalId);
    if (this.resolving.has(guard)) throw new Error(`Circular name for ${logicalId} in ${stackName}`);
    this.resolving.add(guard);
    try {
      return this.resolveString(declared, stackName);
    } finally {
      this.resolving.delete(guard);
    }
  }

  private stageName(stackName: string, logicalId: string): string {
    const declared = this.resource(stackName, logicalId).Properties?.StageName;
    return declared === undefined ? this.nameOf(stackName, logicalId) : this.resolveString(declared, stackName);
  }

  private getAtt(stackName: string, logicalId: string, attribute: string): string {
    const type = this.resource(stackName, logicalId).Type;
    if (attribute === 'Arn') return this.arn(stackName, logicalId);
    if (type === 'AWS::StepFunctions::StateMachine' && attribute === 'Name')
      return this.physicalName(stackName, logicalId);
    if (type === 'AWS::SQS::Queue' && attribute === 'QueueName') return this.physicalName(stackName, logicalId);
    if (type === 'AWS::ApiGateway::RestApi' && attribute === 'RootResourceId')
      return `${this.ref(stackName, logicalId)}root`;
    if (type === 'AWS::Cognito::UserPool' && attribute === 'ProviderName') {
      return `cognito-idp.${FAKE_REGION}.amazonaws.com/${this.physicalName(stackName, logicalId)}`;
    }
    throw new Error(`Fn::GetAtt ${logicalId}.${attribute} (${type}) is not handled by the resolver`);
  }

  private pseudo(name: string, stackName: string): string | undefined {
    switch (name) {
      case 'AWS::Partition':
        return FAKE_PARTITION;
      case 'AWS::Region':
        return FAKE_REGION;
      case 'AWS::AccountId':
        return FAKE_ACCOUNT;
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
      case 'AWS::StackName':
        return stackName;
      default:
        return undefined;
    }
  }

  private refOrPseudo(name: string, stackName: string): string {
    const pseudo = this.pseudo(name, stackName);
    if (pseudo !== undefined) return pseudo;
    if (this.byStack.get(stackName)?.Resources?.[name] === undefined) {
      throw new Error(`Ref to ${name} in ${stackName}: not a resource (parameters are not handled)`);
    }
    return this.ref(stackName, name);
  }

  private resolveIntrinsic(value: Record<string, unknown>, stackName: string): unknown {
    const [fn, arg] = Object.entries(value)[0] ?? [];
    switch (fn) {
      case 'Ref':
        if (typeof arg !== 'string') break;
        return this.refOrPseudo(arg, stackName);
      case 'Fn::GetAtt': {
        const [logicalId, attribute] = Array.isArray(arg) ? arg : String(arg).split('.');
        if (typeof logicalId !== 'string' || typeof attribute !== 'string') break;
        return this.getAtt(stackName, logicalId, attribute);
      }
      case 'Fn::Join': {
        if (!Array.isArray(arg) || typeof arg[0] !== 'string' || !Array.isArray(arg[1])) break;
        const separator = arg[0];
        return arg[1].map((part: unknown) => this.resolveString(part, stackName)).join(separator);
      }
      case 'Fn::Sub': {
        const [template, variables] = Array.isArray(arg) ? arg : [arg, {}];
        if (typeof template !== 'string' || !isRecord(variables)) break;
        return template
          .replace(/\$\{([^}!]+)\}/g, (_match, name: string) => {
            if (name in variables) return this.resolveString(variables[name], stackName);
            const [logicalId, attribute] = name.split('.');
            if (logicalId !== undefined && attribute !== undefined) return this.getAtt(stackName, logicalId, attribute);
            return this.refOrPseudo(name, stackName);
          })
          .replace(/\$\{!/g, '${'); // "${!Literal}" is CloudFormation's escape for a literal "${Literal}".
      }
      case 'Fn::Select': {
        if (!Array.isArray(arg)) break;
        const list = this.resolveDeep(arg[1], stackName);
        const index = Number(this.resolveDeep(arg[0], stackName));
        if (!Array.isArray(list) || list[index] === undefined) break;
        return list[index];
      }
      case 'Fn::Split': {
        if (!Array.isArray(arg) || typeof arg[0] !== 'string') break;
        return this.resolveString(arg[1], stackName).split(arg[0]);
      }
      case 'Fn::ImportValue': {
        const exportName = this.resolveString(arg, stackName);
        const exported = this.exports.get(exportName);
        if (exported === undefined) throw new Error(`Fn::ImportValue ${exportName}: no stack exports it`);
        return this.resolveDeep(exported.value, exported.stackName);
      }
      default:
        break;
    }
    throw new Error(`Intrinsic not handled by the resolver: ${JSON.stringify(value)}`);
  }

  private key(stackName: string, logicalId: string): string {
    return `${stackName}/${logicalId}`;
  }
}

/** The property that, when set, is the physical name of a resource type. */
const NAME_PROPERTY: Readonly<Record<string, string>> = {
  'AWS::S3::Bucket': 'BucketName',
  'AWS::DynamoDB::Table': 'TableName',
  'AWS::Lambda::Function': 'FunctionName',
  'AWS::StepFunctions::StateMachine': 'StateMachineName',
  'AWS::Logs::LogGroup': 'LogGroupName',
  'AWS::SQS::Queue': 'QueueName',
  'AWS::SNS::Topic': 'TopicName',
  'AWS::IAM::Role': 'RoleName',
  'AWS::IAM::ManagedPolicy': 'ManagedPolicyName',
  'AWS::IAM::Group': 'GroupName',
  'AWS::Events::Rule': 'Name',
  'AWS::Scheduler::ScheduleGroup': 'Name',
  'AWS::Cognito::UserPool': 'UserPoolName',
  'AWS::SecretsManager::Secret': 'Name',
};
