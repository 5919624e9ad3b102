import { Tags } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import type { TravelGuideStack } from './stacks/travel-guide-stack';

/**
 * The `Component` tag: which part of the system a resource belongs to, so cost and audits can be
 * split per service (Cost Explorer and the Resource Groups tag editor group by it). Every resource
 * carries one value, besides `Service` and `Environment`:
 *
 * - `ArticleService`: the articles function and the articles table, and the page-token secret.
 * - `MediaService`: the media function, the media bucket and its access logs, the media table and
 *   the upload-quota table.
 * - `MediaPipeline`: the upload rule, the state machine, the four step functions, the dead-letter
 *   queue, the sharp layer, and the pipeline's dashboard, alarms and alarm topic.
 * - `Shared`: what serves every service: the REST API and its access logs, the Cognito user pool,
 *   and the account-level stacks (account settings and access analyzer, developer access, CI deploy).
 */
export const COMPONENTS = ['ArticleService', 'MediaService', 'MediaPipeline', 'Shared'] as const;
export type Component = (typeof COMPONENTS)[number];

export const COMPONENT_TAG = 'Component';

/**
 * A more specific scope wins over the one around it: the API construct is `Shared`, the functions
 * and tables inside it belong to their service.
 */
const OUTER = 100;
const INNER = 200;

function tag(scope: IConstruct, component: Component, priority: number): void {
  Tags.of(scope).add(COMPONENT_TAG, component, { priority });
}

/** Tags every resource of the stage stack with its component. */
export function tagStageComponents(stack: TravelGuideStack): void {
  tag(stack, 'Shared', OUTER);
  tag(stack.media, 'MediaService', INNER);
  tag(stack.mediaTable, 'MediaService', INNER);
  tag(stack.pipeline, 'MediaPipeline', INNER);
  tag(stack.observability, 'MediaPipeline', INNER);
  tag(stack.api.articles.fn, 'ArticleService', INNER);
  tag(stack.api.articles.table, 'ArticleService', INNER);
  tag(stack.api.articles.pageTokenSecret, 'ArticleService', INNER);
  tag(stack.api.media.fn, 'MediaService', INNER);
  tag(stack.api.media.uploadQuotaTable, 'MediaService', INNER);
}

/** Tags every resource of an account-level stack (developer access, CI deploy) as `Shared`. */
export function tagSharedComponent(scope: IConstruct): void {
  tag(scope, 'Shared', OUTER);
}
