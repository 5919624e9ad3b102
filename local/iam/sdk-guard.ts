import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { currentCaller } from './caller';
import type { IamEnforcer, IamRequest, Refusal } from './enforcer';

/**
 * The IAM check in front of every AWS SDK call a function makes in the twin. The handlers build
 * their clients themselves (functions/shared/*-client.ts), so the guard is added to each client's
 * middleware stack on its first `send` (the base class every SDK v3 client shares; the DynamoDB
 * document client shares its client's stack). It sits in the deserialize step, next to the
 * transport: a refused call never reaches the emulator and gets the HTTP answer AWS gives, which
 * the SDK's own deserializer turns into the error a handler sees on AWS — S3: 403 `AccessDenied`;
 * DynamoDB and Secrets Manager: `AccessDeniedException` (both answer it with HTTP 400).
 */

interface GuardContext {
  clientName?: string;
  commandName?: string;
}

interface GuardArgs {
  input: Record<string, unknown>;
  request: { method?: string };
}

type Next = (args: GuardArgs) => Promise<unknown>;

let enforcer: IamEnforcer | undefined;

/**
 * Turns the guard on for this process's SDK clients (the twin's start), or off (its stop). The
 * guard reaches a client once {@link guardSdkClients} has run (the twin awaits it before it loads
 * a function's handler).
 */
export function setSdkEnforcer(active: IamEnforcer | undefined): void {
  enforcer = active;
}

const operation = (commandName: string | undefined): string => (commandName ?? '').replace(/Command$/, '');
const text = (value: unknown): string => (typeof value === 'string' ? value : '');

/** The IAM action of each S3 operation, where it is not the operation's own name (AWS's "actions for S3 API operations"). */
const S3_ACTIONS: Readonly<Record<string, string>> = {
  HeadObject: 's3:GetObject',
  CreateMultipartUpload: 's3:PutObject',
  UploadPart: 's3:PutObject',
  CompleteMultipartUpload: 's3:PutObject',
  ListObjects: 's3:ListBucket',
  ListObjectsV2: 's3:ListBucket',
  HeadBucket: 's3:ListBucket',
  ListObjectVersions: 's3:ListBucketVersions',
  ListMultipartUploads: 's3:ListBucketMultipartUploads',
  ListParts: 's3:ListMultipartUploadParts',
};

function s3Requests(name: string, input: Record<string, unknown>, iam: IamEnforcer): IamRequest[] {
  const bucket = text(input.Bucket);
  const key = text(input.Key);
  const copySource = (source: unknown): IamRequest[] => {
    const [sourceBucket = '', ...rest] = decodeURIComponent(text(source).replace(/^\//, '').split('?')[0] ?? '').split(
      '/',
    );
    return [{ action: 's3:GetObject', resource: iam.objectArn(sourceBucket, rest.join('/')) }];
  };
  switch (name) {
    case 'GetObject':
      return [
        {
          action: input.VersionId === undefined ? 's3:GetObject' : 's3:GetObjectVersion',
          resource: iam.objectArn(bucket, key),
        },
      ];
    case 'CopyObject':
    case 'UploadPartCopy':
      return [...copySource(input.CopySource), { action: 's3:PutObject', resource: iam.objectArn(bucket, key) }];
    case 'DeleteObjects': {
      // Each key is authorized as its own delete: by version id, s3:DeleteObjectVersion.
      const objects = (input.Delete as { Objects?: { Key?: string; VersionId?: string }[] } | undefined)?.Objects ?? [];
      return objects.map((o) => ({
        action: o.VersionId === undefined ? 's3:DeleteObject' : 's3:DeleteObjectVersion',
        resource: iam.objectArn(bucket, text(o.Key)),
      }));
    }
    case 'DeleteObject':
      return [
        {
          action: input.VersionId === undefined ? 's3:DeleteObject' : 's3:DeleteObjectVersion',
          resource: iam.objectArn(bucket, key),
        },
      ];
    case 'ListObjects':
    case 'ListObjectsV2':
    case 'ListObjectVersions': {
      // A listing's prefix is the s3:prefix condition key; without a prefix the key is absent.
      const prefix = input.Prefix;
      return [
        {
          action: S3_ACTIONS[name] ?? `s3:${name}`,
          resource: iam.bucketArn(bucket),
          ...(typeof prefix === 'string' ? { context: { 's3:prefix': prefix } } : {}),
        },
      ];
    }
    default: {
      const action = S3_ACTIONS[name] ?? `s3:${name}`;
      const onBucket = input.Key === undefined;
      return [{ action, resource: onBucket ? iam.bucketArn(bucket) : iam.objectArn(bucket, key) }];
    }
  }
}

/** Transactions and batches are authorized per item, by the action each item performs, on its table. */
const TRANSACT_ITEM_ACTIONS: Readonly<Record<string, string>> = {
  Put: 'dynamodb:PutItem',
  Update: 'dynamodb:UpdateItem',
  Delete: 'dynamodb:DeleteItem',
  ConditionCheck: 'dynamodb:ConditionCheckItem',
  Get: 'dynamodb:GetItem',
};

function dynamoDbRequests(name: string, input: Record<string, unknown>, iam: IamEnforcer): IamRequest[] {
  if (name === 'BatchGetItem' || name === 'BatchWriteItem') {
    return Object.keys((input.RequestItems as Record<string, unknown> | undefined) ?? {}).map((table) => ({
      action: `dynamodb:${name}`,
      resource: iam.tableArn(table),
    }));
  }
  if (name === 'TransactWriteItems' || name === 'TransactGetItems') {
    return ((input.TransactItems as Record<string, { TableName?: string }>[] | undefined) ?? []).flatMap((item) =>
      Object.entries(item).map(([kind, detail]) => ({
        action: TRANSACT_ITEM_ACTIONS[kind] ?? `dynamodb:${kind}`,
        resource: iam.tableArn(text(detail.TableName)),
      })),
    );
  }
  const table = iam.tableArn(text(input.TableName));
  const index = text(input.IndexName);
  return [{ action: `dynamodb:${name}`, resource: index === '' ? table : `${table}/index/${index}` }];
}

/**
 * Secrets Manager authorizes every operation on the secret's ARN, whichever way the caller names
 * it; each operation's action is its own name (`secretsmanager:GetSecretValue`, also for a
 * VersionStage or VersionId). ListSecrets has no resource type.
 */
function secretsManagerRequests(name: string, input: Record<string, unknown>, iam: IamEnforcer): IamRequest[] {
  const action = `secretsmanager:${name}`;
  if (name === 'ListSecrets' || name === 'GetRandomPassword' || name === 'BatchGetSecretValue')
    return [{ action, resource: '*' }];
  return [{ action, resource: iam.secretArn(text(input.SecretId)) }];
}

/** The requests IAM evaluates for one SDK call, or undefined for a service the twin does not check. */
export function iamRequestsOf(
  clientName: string | undefined,
  commandName: string | undefined,
  input: Record<string, unknown>,
  iam: IamEnforcer,
): IamRequest[] | undefined {
  const name = operation(commandName);
  if (clientName === 'S3Client') return s3Requests(name, input, iam);
  if (clientName === 'DynamoDBClient') return dynamoDbRequests(name, input, iam);
  if (clientName === 'SecretsManagerClient') return secretsManagerRequests(name, input, iam);
  return undefined;
}

const requestId = (): string => randomBytes(8).toString('hex').toUpperCase();
const xmlEscape = (value: string): string => value.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The HTTP answer AWS gives to a refused call, which the SDK deserializes into the service's error. */
export function refusedResponse(
  clientName: string | undefined,
  refusal: Refusal,
  method: string | undefined,
): {
  statusCode: number;
  headers: Record<string, string>;
  body: Readable;
} {
  const id = requestId();
  if (clientName === 'S3Client') {
    // A HEAD answer has no body: the SDK then names the error by its status (403 Forbidden), as with S3 itself.
    const body =
      method === 'HEAD'
        ? ''
        : `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>${xmlEscape(refusal.message)}</Message><RequestId>${id}</RequestId><HostId>${id}</HostId></Error>`;
    return {
      statusCode: 403,
      headers: { 'content-type': 'application/xml', 'x-amz-request-id': id },
      body: Readable.from([Buffer.from(body)]),
    };
  }
  const body = JSON.stringify({ __type: 'com.amazon.coral.service#AccessDeniedException', Message: refusal.message });
  const protocol = clientName === 'SecretsManagerClient' ? '1.1' : '1.0';
  return {
    statusCode: 400,
    headers: { 'content-type': `application/x-amz-json-${protocol}`, 'x-amzn-requestid': id },
    body: Readable.from([Buffer.from(body)]),
  };
}

const GUARD_NAME = 'twinIamGuard';

function guardMiddleware(next: Next, context: GuardContext): Next {
  return async (args) => {
    const caller = currentCaller();
    const iam = enforcer;
    if (caller === undefined || iam === undefined) return next(args);
    const requests = iamRequestsOf(context.clientName, context.commandName, args.input, iam);
    if (requests === undefined) return next(args);
    const refusal = await iam.authorize(caller, requests);
    if (refusal === undefined) return next(args);
    return { response: refusedResponse(context.clientName, refusal, args.request.method) };
  };
}

interface StackLike {
  add(middleware: unknown, options: { step: string; priority: string; name: string }): void;
}

let installed: Promise<void> | undefined;

/**
 * Wraps `send` of the SDK's client base class(es) once per process: each client gets the guard on
 * first use. The Rekognition and Secrets Manager clients are loaded here, with the first
 * function's cold start, rather than with the twin (only the handlers use them).
 */
export function guardSdkClients(): Promise<void> {
  installed ??= Promise.all([import('@aws-sdk/client-rekognition'), import('@aws-sdk/client-secrets-manager')]).then(
    ([{ RekognitionClient }, { SecretsManagerClient }]) =>
      installGuard([S3Client, DynamoDBClient, RekognitionClient, SecretsManagerClient]),
  );
  return installed;
}

function installGuard(clients: readonly { prototype: object }[]): void {
  const guarded = new WeakSet<object>();
  const bases = new Set(
    clients.map((client) => Object.getPrototypeOf(client.prototype) as { send: (...args: unknown[]) => unknown }),
  );
  for (const base of bases) {
    const send = base.send;
    base.send = function guardedSend(this: { middlewareStack: StackLike }, ...args: unknown[]): unknown {
      const stack = this.middlewareStack;
      if (!guarded.has(stack)) {
        guarded.add(stack);
        stack.add(guardMiddleware, { step: 'deserialize', priority: 'low', name: GUARD_NAME });
      }
      return send.apply(this, args);
    };
  }
}
