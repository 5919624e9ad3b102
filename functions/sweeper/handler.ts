import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import * as z from 'zod/mini';
import { documentClient } from '../shared/dynamodb-client';
import type { MediaError } from '../shared/media';
import { metrics } from '../shared/metrics';
import { logger } from '../shared/powertools';
import { runStep } from '../shared/step';
import { settleClaimUpdate, strandedClaimError } from '../record/record';
import { sweeperSettings } from './settings';
import {
  sweepStrandedClaims,
  type ClaimPage,
  type HeldClaimEntry,
  type StrandedClaimsQuery,
  type SweepPorts,
  type SweepReport,
} from './sweeper';

/*
 * The sweeper, run on a schedule by EventBridge Scheduler (in the twin, by a timer and by
 * POST /_local/sweep): settles FAILED PIPELINE_STRANDED the media whose claim outlived every
 * execution that could hold it (see sweeper.ts). Query on the held-claim index, one conditional
 * UpdateItem per stranded claim; the schedule's input is not read.
 */

export interface SweeperDeps {
  documents: DynamoDBDocumentClient;
  /** @default MEDIA_TABLE_NAME (./settings.ts) */
  mediaTableName?: string;
  /** @default STRANDED_CLAIM_AGE_SECONDS (./settings.ts) */
  strandedClaimAgeSeconds?: number;
  /** @default the system clock */
  now?: () => Date;
}

/** An index entry: the keys and the projected claim holder. */
const entrySchema = z.object({
  mediaId: z.string(),
  claimedAt: z.string(),
  claimedBy: z.optional(z.nullable(z.string())),
});

export function createHandler(deps: SweeperDeps): (event?: unknown, context?: Context) => Promise<SweepReport> {
  const settings = sweeperSettings.fromEnv(process.env, {
    ...(deps.mediaTableName !== undefined ? { mediaTableName: deps.mediaTableName } : {}),
    ...(deps.strandedClaimAgeSeconds !== undefined ? { strandedClaimAgeSeconds: deps.strandedClaimAgeSeconds } : {}),
  });
  const tableName = settings.mediaTableName;
  const now = deps.now ?? ((): Date => new Date());

  const ports: SweepPorts = {
    async strandedClaims(query: StrandedClaimsQuery): Promise<ClaimPage> {
      const answer = await deps.documents.send(new QueryCommand({ TableName: tableName, ...query }));
      const claims = (answer.Items ?? []).flatMap((item): HeldClaimEntry[] => {
        const parsed = z.safeParse(entrySchema, item);
        if (!parsed.success) {
          logger.warn('Held-claim index entry without the expected attributes; skipped', { item });
          return [];
        }
        return [{ ...parsed.data, claimedBy: parsed.data.claimedBy ?? null }];
      });
      return { claims, ...(answer.LastEvaluatedKey !== undefined ? { next: answer.LastEvaluatedKey } : {}) };
    },
    async settle(claim: HeldClaimEntry, error: MediaError): Promise<boolean> {
      try {
        await deps.documents.send(
          new UpdateCommand({
            TableName: tableName,
            ...settleClaimUpdate(
              claim.mediaId,
              { claimedBy: claim.claimedBy, claimedAt: claim.claimedAt },
              error,
              now().toISOString(),
            ),
          }),
        );
      } catch (caught: unknown) {
        if (caught instanceof Error && caught.name === 'ConditionalCheckFailedException') {
          logger.info('The claim no longer holds the media; left as it is', { ...claim });
          return false;
        }
        // Throttling and the rest: the run fails (and alarms); the next run finds the claim again.
        throw caught;
      }
      logger.warn('Stranded media settled as FAILED', { ...claim, error });
      return true;
    },
  };

  return (_event, context) =>
    runStep(context, async () => {
      const report = await sweepStrandedClaims(ports, {
        now: now(),
        strandedClaimAgeSeconds: settings.strandedClaimAgeSeconds,
        maxMedia: settings.sweepMaxMedia,
        error: strandedClaimError(),
      });
      // Every stranded claim is a run the watcher missed: counted, so an alarm can say so.
      metrics.addMetric('StrandedClaimsSettled', MetricUnit.Count, report.settled.length);
      logger.info('Sweep done', {
        cutoff: report.cutoff,
        settled: report.settled.length,
        notHeld: report.notHeld.length,
        more: report.more,
      });
      return report;
    });
}

let defaultHandler: ReturnType<typeof createHandler> | undefined;

/** Built on first use, as the record function's handler is (see there). */
export const handler = (event?: unknown, context?: Context): Promise<SweepReport> => {
  defaultHandler ??= createHandler({ documents: documentClient() });
  return defaultHandler(event, context);
};
