import {
  CLAIMED_AT_ATTRIBUTE,
  CLAIM_INDEX_NAME,
  CLAIM_SHARD_ATTRIBUTE,
  CLAIM_SHARDS,
  type MediaError,
} from '../shared/media';

/*
 * Pure core of the sweeper: what the execution watcher cannot see. A media still PROCESSING longer
 * than any execution may run (the state machine's timeout plus a margin) was left by a run that
 * ended without settling it and without a status-change event the watcher took: an Express run
 * (Step Functions sends those events for Standard workflows only), an event lost in the watcher's
 * dead-letter queue, a run claimed before the watcher existed. The sweeper finds such claims in the
 * sparse held-claim index (../shared/media.ts CLAIM_INDEX_NAME), one Query per shard for claims
 * taken before the cut-off, oldest first, never a Scan, and settles each FAILED PIPELINE_STRANDED
 * with the watcher's conditional write (../record/record.ts settleClaimUpdate), narrowed to the very
 * claim it found: a run that settled meanwhile, or a newer claim, is left as it is.
 */

/** One held claim, as the index projects it. */
export interface HeldClaimEntry {
  mediaId: string;
  /** The execution that took the claim (its ARN), or null for a claim taken without one. */
  claimedBy: string | null;
  claimedAt: string;
}

export interface ClaimPage {
  claims: HeldClaimEntry[];
  /** LastEvaluatedKey: more of this shard's stranded claims follow. */
  next?: Record<string, unknown>;
}

/** What the sweep needs from the table; the handler implements it with Query and UpdateItem. */
export interface SweepPorts {
  /** One page of a shard's claims taken before `before` (ISO 8601), oldest first. */
  strandedClaims(query: StrandedClaimsQuery): Promise<ClaimPage>;
  /** Settles the media FAILED if this same claim still holds it; false when it no longer does. */
  settle(claim: HeldClaimEntry, error: MediaError): Promise<boolean>;
}

export interface SweepOptions {
  now: Date;
  /** Claims taken longer ago than this are stranded. */
  strandedClaimAgeSeconds: number;
  /** At most this many claims are settled (or found already settled) in one run. */
  maxMedia: number;
  error: MediaError;
}

export interface SweepReport {
  /** Claims taken before this were looked for. */
  cutoff: string;
  /** Media settled FAILED by this run. */
  settled: string[];
  /** Media found in the index whose claim no longer held when the write came (settled or claimed anew meanwhile). */
  notHeld: string[];
  /**
   * True when a shard's part of the bound was used up while its Query had more to read: stranded
   * claims may be left, and the next run takes them.
   */
  more: boolean;
}

/** The parts of a DynamoDB Query request that do not depend on where the table is. */
export interface StrandedClaimsQuery {
  IndexName: string;
  KeyConditionExpression: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues: Record<string, unknown>;
  /** Oldest claims first. */
  ScanIndexForward: true;
  Limit: number;
  ExclusiveStartKey?: Record<string, unknown>;
}

/** One shard's claims taken before `before`, oldest first: a key condition on the index, no filter. */
export function strandedClaimsQuery(
  shard: number,
  before: string,
  limit: number,
  exclusiveStartKey?: Record<string, unknown>,
): StrandedClaimsQuery {
  return {
    IndexName: CLAIM_INDEX_NAME,
    KeyConditionExpression: '#shard = :shard AND #claimedAt < :before',
    ExpressionAttributeNames: { '#shard': CLAIM_SHARD_ATTRIBUTE, '#claimedAt': CLAIMED_AT_ATTRIBUTE },
    ExpressionAttributeValues: { ':shard': shard, ':before': before },
    ScanIndexForward: true,
    Limit: limit,
    ...(exclusiveStartKey !== undefined ? { ExclusiveStartKey: exclusiveStartKey } : {}),
  };
}

/** Claims read per Query: a page is small next to a run's time, whatever the bound. */
export const QUERY_PAGE_SIZE = 100;

/** Claims taken before this moment are stranded. */
export function strandedBefore(now: Date, strandedClaimAgeSeconds: number): string {
  return new Date(now.getTime() - strandedClaimAgeSeconds * 1000).toISOString();
}

/**
 * One run: every shard in turn, page by page, each claim settled with its own conditional write.
 * The bound is shared fairly: each shard gets its part of `maxMedia`, so a shard with many stranded
 * claims never keeps the sweeper from the others.
 */
export async function sweepStrandedClaims(ports: SweepPorts, options: SweepOptions): Promise<SweepReport> {
  const cutoff = strandedBefore(options.now, options.strandedClaimAgeSeconds);
  const perShard = Math.max(1, Math.ceil(options.maxMedia / CLAIM_SHARDS));
  const report: SweepReport = { cutoff, settled: [], notHeld: [], more: false };
  for (let shard = 0; shard < CLAIM_SHARDS; shard++) {
    let budget = Math.min(perShard, options.maxMedia - report.settled.length - report.notHeld.length);
    let startKey: Record<string, unknown> | undefined;
    do {
      if (budget <= 0) {
        report.more = true;
        break;
      }
      const page = await ports.strandedClaims(
        strandedClaimsQuery(shard, cutoff, Math.min(budget, QUERY_PAGE_SIZE), startKey),
      );
      for (const claim of page.claims.slice(0, budget)) {
        // The index is a copy (eventually consistent on AWS): the key condition chose the claim, the
        // conditional write decides, and a claim newer than the cut-off is never written.
        if (!(claim.claimedAt < cutoff)) continue;
        budget--;
        if (await ports.settle(claim, options.error)) report.settled.push(claim.mediaId);
        else report.notHeld.push(claim.mediaId);
      }
      startKey = page.next;
    } while (startKey !== undefined);
  }
  return report;
}
