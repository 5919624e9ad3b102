import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { articlesSettings } from '../../functions/articles/settings';
import { articlesTable as articlesTableDefinition } from '../definitions/tables';
import { AppFunction } from './app-function';
import { apiFunctionDefaults, type ApiFunctionProps } from './api-function-defaults';
import { DefinedTable } from './defined-table';

/** Properties of an {@link ArticlesService}. */
export interface ArticlesServiceProps extends ApiFunctionProps {
  /** Media table: the articles function reads a record to check an article's cover. */
  readonly mediaTable: dynamodb.ITable;
}

/**
 * The articles service: the articles table (with its newest-first index), the HMAC key of the
 * list page tokens, and the function behind the article routes (`fn: 'articles'` in
 * `functions/api/routes.ts`) under a role of its own. No S3 at all.
 *
 * It adds its resources to the API construct's scope rather than a construct level of its own:
 * their logical ids stay the ones the stack was first deployed with
 * (test/infra/stateful-resources.test.ts), so no table, pool or log group is replaced.
 */
export class ArticlesService {
  /** Articles, with the `byNewest` index. */
  public readonly table: dynamodb.Table;
  /** HMAC key of the list page tokens (the media listing signs with it too). */
  public readonly pageTokenSecret: secretsmanager.Secret;
  /** The function behind the article routes. */
  public readonly fn: AppFunction;

  constructor(scope: Construct, props: ArticlesServiceProps) {
    const { config, mediaTable } = props;
    this.table = new DefinedTable(scope, articlesTableDefinition.id, {
      definition: articlesTableDefinition,
      removalPolicy: config.removalPolicy,
    }).table;

    // HMAC key that makes `nextToken` tamper-evident. The function reads it at run time (cached,
    // current and previous version: functions/articles/page-token-keys.ts); its environment
    // holds the secret's ARN only, so reading the function's configuration reveals no key, and
    // `aws secretsmanager put-secret-value` rotates it without a deploy (README "Security").
    this.pageTokenSecret = new secretsmanager.Secret(scope, 'PageTokenSecret', {
      description: "HMAC key for the API list page tokens (articles, and one owner's media)",
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      removalPolicy: RemovalPolicy.DESTROY,
    });
    Validations.of(this.pageTokenSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'No rotation schedule: the key only signs list page tokens (a leak lets someone forge a cursor into the public, newest-first listing, nothing more), and it rotates by a new secret value (README "Security"), which the function picks up within its cache age while still accepting tokens signed with the previous version. A scheduled rotation would need a rotation Lambda and role whose only work is writing a random string.',
    });

    // Article CRUD: the articles table and its newest-first index, and a read of the media table
    // to check that a cover image is the author's own usable media. No S3 at all.
    this.fn = new AppFunction(scope, 'Articles', {
      ...apiFunctionDefaults(props),
      name: 'articles',
      serviceName: `${config.serviceName}-${config.stage}-articles-api`,
      settings: articlesSettings.toEnv({
        articlesTableName: this.table.tableName,
        mediaTableName: mediaTable.tableName,
        pageTokenSecretId: this.pageTokenSecret.secretArn,
        allowedOrigins: config.allowedOrigins,
      }),
    })
      .allowTable(this.table, ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'])
      .allowTable(mediaTable, ['dynamodb:GetItem'])
      .allowSecretRead(this.pageTokenSecret);
    for (const index of articlesTableDefinition.globalSecondaryIndexes) {
      this.fn.allowIndexQuery(this.table, index.indexName);
    }
  }
}
