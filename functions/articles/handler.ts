import { randomUUID } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import { documentClient } from '../shared/dynamodb-client';
import { logger as sharedLogger } from '../shared/powertools';
import { secretsManagerClient } from '../shared/secrets-manager-client';
import { jsonResponse, noContent, parseWith, readJsonObject } from '../api/http';
import { listParameters } from '../api/list-query';
import { DynamoMediaStore } from '../api/media-records';
import type { Clock, IdGenerator, MediaReader } from '../api/ports';
import { createRestHandler, pathId, required } from '../api/rest-handler';
import type { ApiHandler } from '../api/rest-handler';
import { ArticlesService } from './articles-service';
import { DynamoArticleStore } from './dynamodb-stores';
import { PageTokenCodec, type PageTokenKeys } from './page-token';
import { SecretsManagerPageTokenKeys } from './page-token-keys';
import type { ArticleStore } from './ports';
import { createArticleSchema, updateArticleSchema } from './schemas';
import { articlesSettings } from './settings';

/**
 * The articles function: the article routes of the REST API (docs/design.md) behind API Gateway
 * (REST, Lambda proxy). The media routes are the media function's, so this bundle carries no S3
 * client or presigner. This module is the thin seam: it reads and validates inputs and calls the
 * articles service; dispatch, the caller check and the error shape are the REST API's shared
 * seam (../api/rest-handler.ts).
 */

export interface ArticlesSettings {
  /** ALLOWED_ORIGINS: origins that get an Access-Control-Allow-Origin header. */
  allowedOrigins: readonly string[];
}

export interface ArticlesHandlerDeps {
  articles: ArticleStore;
  /** Read only, to check that a cover image is the author's own usable media. */
  media: MediaReader;
  /** The HMAC keys of `nextToken`: read from Secrets Manager at run time, cached (./page-token-keys.ts). */
  pageTokenKeys: PageTokenKeys;
  settings: ArticlesSettings;
  /** @default the system clock */
  clock?: Clock;
  /** @default crypto.randomUUID */
  ids?: IdGenerator;
  /** @default the shared Powertools logger */
  logger?: Logger;
}

export type ArticlesHandler = ApiHandler;

export function createHandler(deps: ArticlesHandlerDeps): ArticlesHandler {
  const { settings } = deps;
  const articles = new ArticlesService({
    articles: deps.articles,
    media: deps.media,
    clock: deps.clock ?? { now: () => new Date() },
    ids: deps.ids ?? { newId: () => randomUUID() },
    pageTokens: new PageTokenCodec(deps.pageTokenKeys),
  });

  return createRestHandler<'articles'>({
    fn: 'articles',
    allowedOrigins: settings.allowedOrigins,
    logger: deps.logger ?? sharedLogger,
    operations: {
      'POST /articles': async ({ event, userId }) => {
        const input = parseWith(createArticleSchema, readJsonObject(event));
        return jsonResponse(201, await articles.create(required(userId), input));
      },
      'GET /articles': async ({ event }) => {
        const { limit, nextToken } = listParameters(event);
        return jsonResponse(200, await articles.listNewest(limit, nextToken));
      },
      'GET /articles/{id}': async ({ event }) => jsonResponse(200, await articles.get(pathId(event))),
      'PUT /articles/{id}': async ({ event, userId }) => {
        const id = pathId(event);
        const input = parseWith(updateArticleSchema, readJsonObject(event));
        return jsonResponse(200, await articles.replace(id, required(userId), input));
      },
      'DELETE /articles/{id}': async ({ event, userId }) => {
        await articles.delete(pathId(event), required(userId));
        return noContent();
      },
    },
  });
}

/**
 * The AWS wiring, from the function's environment (./settings.ts, written by the CDK construct or
 * the local twin): the articles table, the media table for reading cover media (the role may
 * only GetItem there), and the page-token secret (the role may only GetSecretValue on it).
 */
export function awsDependencies(): ArticlesHandlerDeps {
  const { articlesTableName, mediaTableName, pageTokenSecretId, pageTokenSecretMaxAge, allowedOrigins } =
    articlesSettings.fromEnv();
  return {
    articles: new DynamoArticleStore(documentClient(), articlesTableName),
    media: new DynamoMediaStore(documentClient(), mediaTableName),
    pageTokenKeys: new SecretsManagerPageTokenKeys({
      client: secretsManagerClient(),
      secretId: pageTokenSecretId,
      maxAgeSeconds: pageTokenSecretMaxAge,
    }),
    settings: { allowedOrigins },
  };
}

let lambdaHandler: ArticlesHandler | undefined;

/**
 * What Lambda calls. Wired on the first invocation rather than at import, so tests and the local
 * twin can import `createHandler` without this function's environment; a missing variable still
 * fails that first invocation loudly.
 */
export const handler: ArticlesHandler = (event, context) => {
  lambdaHandler ??= createHandler(awsDependencies());
  return lambdaHandler(event, context);
};
