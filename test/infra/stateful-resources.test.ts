import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { stageConfig, type Stage } from '../../infra/config';
import { synthStack } from './support';

/**
 * The logical ids of the stage stack's stateful resources are pinned in stateful-resources.json.
 * CloudFormation keys a resource by its logical id, and CDK derives that id from the construct
 * path: a construct renamed or moved to another parent gets a new id, and the next deploy creates
 * a new resource and deletes the old one — a new, empty table, bucket or user pool, a queue
 * without its messages, a log group without its logs. A refactor of the constructs must keep
 * these ids (same construct ids and parents, or `overrideLogicalId` on purpose).
 *
 * A resource added on purpose is added to the list, by hand; a resource that disappears from the
 * synthesized stack fails here until its removal is deliberate.
 */

/** The resource types whose replacement loses data, or changes what users or operators hold. */
const STATEFUL_TYPES: Readonly<Record<string, string>> = {
  'AWS::DynamoDB::Table': 'its items',
  'AWS::S3::Bucket': 'its objects',
  'AWS::Cognito::UserPool': 'its users (and every token they hold)',
  'AWS::Cognito::UserPoolClient': 'the client id the web app is configured with',
  'AWS::SecretsManager::Secret': 'its value (every page token signed with it)',
  'AWS::SQS::Queue': 'its messages (dead letters waiting for a re-drive)',
  'AWS::Logs::LogGroup': 'its logs',
  'AWS::ApiGateway::RestApi': 'its id, which is part of the URL clients call',
  'AWS::StepFunctions::StateMachine': 'its execution history',
  'AWS::SNS::Topic': 'its confirmed e-mail subscriptions',
  'AWS::WAFv2::WebACL': 'its name, which a replacement would claim while the old one still holds it',
  // The old one's delete runs CDK's provider, which empties a bucket still carrying its marker tag.
  'Custom::S3AutoDeleteObjects': "its bucket's objects, every version (the replaced one's delete empties the bucket)",
};

const PINNED = JSON.parse(readFileSync(path.join(__dirname, 'stateful-resources.json'), 'utf8')) as Record<
  Stage,
  Record<string, string>
>;

describe.each(['dev', 'prod'] as const)('stateful resources of the %s stage stack', (stage) => {
  const { template } = synthStack({ config: stageConfig(stage) });
  const synthesized = Object.fromEntries(
    Object.entries(template.toJSON().Resources as Record<string, { Type: string }>)
      .filter(([, resource]) => resource.Type in STATEFUL_TYPES)
      .map(([id, resource]) => [id, resource.Type]),
  );
  const pinned = PINNED[stage];

  it('keeps every pinned logical id, with its type', () => {
    const lost = Object.entries(pinned)
      .filter(([id, type]) => synthesized[id] !== type)
      .map(([id, type]) => `${id} (${type}: a deploy would lose ${STATEFUL_TYPES[type] ?? 'it'})`);
    expect(lost).toEqual([]);
  });

  it('pins every stateful resource it synthesizes', () => {
    // A new one is added to stateful-resources.json, so that a later refactor cannot replace it unnoticed.
    const unpinned = Object.entries(synthesized)
      .filter(([id]) => pinned[id] === undefined)
      .map(([id, type]) => `"${id}": "${type}"`);
    expect(unpinned).toEqual([]);
  });

  it('pins only the stateful types', () => {
    expect(Object.values(pinned).filter((type) => !(type in STATEFUL_TYPES))).toEqual([]);
  });
});
