import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { ApiFunctionName } from '../../functions/api/routes';
import type { AppConfig } from '../config';
import { ApiGateway } from './api-gateway';
import { ApiUsers } from './api-users';
import type { AppFunction } from './app-function';
import { ArticlesService } from './articles-service';
import { MediaService } from './media-service';

/** Properties of a {@link TravelGuideApi}. */
export interface TravelGuideApiProps {
  /** The stage's configuration (origins, throttling, Cognito plan, removal policy). */
  readonly config: AppConfig;
  /** Media bucket, which the media service signs for. */
  readonly bucket: s3.IBucket;
  /** Media table: the media service writes and reads its records, the articles service reads them. */
  readonly mediaTable: dynamodb.ITable;
  /**
   * Folder holding `package-lock.json`, `node_modules` and `functions/<name>/handler.ts`.
   * @default the repository root
   */
  readonly projectRoot?: string;
}

/**
 * The travel guide's API, in four parts: its users ({@link ApiUsers}: Cognito), the articles
 * service ({@link ArticlesService}), the media service ({@link MediaService}: upload URLs
 * counted against a daily quota, media views and deletion) and the REST API in front of both
 * services ({@link ApiGateway}).
 *
 * The parts add their resources to this construct, which is their one scope: the logical ids
 * CloudFormation keys them by are derived from it, and stay those of the first deploy
 * (test/infra/stateful-resources.test.ts).
 */
export class TravelGuideApi extends Construct {
  /** Cognito user pool and app client. */
  public readonly users: ApiUsers;
  /** Articles table, page-token key and the articles function. */
  public readonly articles: ArticlesService;
  /** Upload-quota table and the media function. */
  public readonly media: MediaService;
  /** The REST API, its authorizer, access logs and (withWaf) web ACL. */
  public readonly gateway: ApiGateway;
  /** Each API function by the name routes.ts gives it. */
  public readonly functions: Readonly<Record<ApiFunctionName, AppFunction>>;

  constructor(scope: Construct, id: string, props: TravelGuideApiProps) {
    super(scope, id);
    const { config, bucket, mediaTable } = props;
    const projectRoot = props.projectRoot !== undefined ? { projectRoot: props.projectRoot } : {};

    this.users = new ApiUsers(this, { config });
    this.articles = new ArticlesService(this, { config, mediaTable, ...projectRoot });
    this.media = new MediaService(this, {
      config,
      bucket,
      mediaTable,
      pageTokenSecret: this.articles.pageTokenSecret,
      ...projectRoot,
    });
    this.functions = { articles: this.articles.fn, media: this.media.fn };
    this.gateway = new ApiGateway(this, { config, userPool: this.users.userPool, functions: this.functions });
  }
}
