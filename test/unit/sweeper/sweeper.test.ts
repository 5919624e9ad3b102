import { strandedClaimError } from '../../../functions/record/record';
import { CLAIM_SHARDS } from '../../../functions/shared/media';
import {
  QUERY_PAGE_SIZE,
  strandedBefore,
  strandedClaimsQuery,
  sweepStrandedClaims,
  type HeldClaimEntry,
  type StrandedClaimsQuery,
  type SweepPorts,
} from '../../../functions/sweeper/sweeper';

/*
 * The sweeper's core against an in-memory index: which claims it looks for, how it pages, how it
 * bounds its work, and that the conditional write, not the index, decides.
 */

const NOW = new Date('2026-12-02T12:00:00.000Z');
const AGE = 4 * 60 * 60 + 15 * 60;
const CUTOFF = '2026-12-02T07:45:00.000Z';
const execution = (name: string): string =>
  `arn:aws:states:eu-west-1:111122223333:execution:TravelGuide-dev-MediaPipeline:${name}`;

/** An index of held claims per shard, answering Query as DynamoDB does (key condition, Limit, LastEvaluatedKey). */
class FakeIndex implements SweepPorts {
  readonly queries: StrandedClaimsQuery[] = [];
  readonly written: string[] = [];
  /** Claims whose holder changed after the index was read: the conditional write fails. */
  readonly changed = new Set<string>();

  constructor(private readonly shards: Map<number, HeldClaimEntry[]>) {}

  async strandedClaims(query: StrandedClaimsQuery) {
    this.queries.push(query);
    const shard = query.ExpressionAttributeValues[':shard'] as number;
    const before = query.ExpressionAttributeValues[':before'] as string;
    const matching = [...(this.shards.get(shard) ?? [])]
      .filter((claim) => claim.claimedAt < before)
      .sort((a, b) => (a.claimedAt < b.claimedAt ? -1 : 1));
    const start = query.ExclusiveStartKey === undefined ? 0 : (query.ExclusiveStartKey.position as number);
    const claims = matching.slice(start, start + query.Limit);
    const end = start + claims.length;
    // DynamoDB answers a LastEvaluatedKey whenever it stopped at the Limit.
    return { claims, ...(claims.length === query.Limit ? { next: { position: end } } : {}) };
  }

  async settle(claim: HeldClaimEntry): Promise<boolean> {
    if (this.changed.has(claim.mediaId)) return false;
    this.written.push(claim.mediaId);
    return true;
  }
}

const claim = (mediaId: string, claimedAt: string, holder = 'run-1'): HeldClaimEntry => ({
  mediaId,
  claimedBy: execution(holder),
  claimedAt,
});

const options = (maxMedia = 200) => ({
  now: NOW,
  strandedClaimAgeSeconds: AGE,
  maxMedia,
  error: strandedClaimError(),
});

describe('the Query the sweeper sends', () => {
  it('asks the held-claim index for one shard, claims taken before the cut-off, oldest first, no filter', () => {
    // Act
    const query = strandedClaimsQuery(2, CUTOFF, 50);

    // Assert
    expect(query).toEqual({
      IndexName: 'byClaimAge',
      KeyConditionExpression: '#shard = :shard AND #claimedAt < :before',
      ExpressionAttributeNames: { '#shard': 'claimShard', '#claimedAt': 'claimedAt' },
      ExpressionAttributeValues: { ':shard': 2, ':before': CUTOFF },
      ScanIndexForward: true,
      Limit: 50,
    });
  });

  it('puts the cut-off at the stranded age before now', () => {
    expect(strandedBefore(NOW, AGE)).toBe(CUTOFF);
  });
});

describe('sweepStrandedClaims', () => {
  it('settles the claims older than the cut-off in every shard, and leaves the fresh ones alone', async () => {
    // Arrange
    const index = new FakeIndex(
      new Map([
        [0, [claim('old-0', '2026-12-02T01:00:00.000Z'), claim('fresh-0', '2026-12-02T11:59:00.000Z')]],
        [3, [claim('old-3', '2026-12-01T23:00:00.000Z'), claim('edge-3', CUTOFF)]],
      ]),
    );

    // Act
    const report = await sweepStrandedClaims(index, options());

    // Assert
    expect(report).toEqual({ cutoff: CUTOFF, settled: ['old-0', 'old-3'], notHeld: [], more: false });
    expect(index.queries.map((query) => query.ExpressionAttributeValues[':shard'])).toEqual(
      Array.from({ length: CLAIM_SHARDS }, (_, shard) => shard),
    );
  });

  it('leaves a media whose claim changed since the index was read (the conditional write refuses)', async () => {
    // Arrange: a late settle or a newer claim came between the Query and the write.
    const index = new FakeIndex(
      new Map([
        [1, [claim('settled-meanwhile', '2026-12-01T00:00:00.000Z'), claim('stuck', '2026-12-01T01:00:00.000Z')]],
      ]),
    );
    index.changed.add('settled-meanwhile');

    // Act
    const report = await sweepStrandedClaims(index, options());

    // Assert
    expect(report.settled).toEqual(['stuck']);
    expect(report.notHeld).toEqual(['settled-meanwhile']);
    expect(index.written).toEqual(['stuck']);
  });

  it('follows LastEvaluatedKey through the pages of a shard', async () => {
    // Arrange: 120 stranded claims in one shard, more than one page of the shard's part of the bound.
    const many = Array.from({ length: 120 }, (_, i) =>
      claim(`m-${String(i).padStart(3, '0')}`, new Date(Date.UTC(2026, 10, 30, 0, i)).toISOString()),
    );
    const index = new FakeIndex(new Map([[0, many]]));

    // Act
    const report = await sweepStrandedClaims(index, { ...options(), maxMedia: 1000 });

    // Assert
    expect(report.settled).toHaveLength(120);
    expect(report.settled[0]).toBe('m-000');
    expect(report.more).toBe(false);
    expect(
      index.queries
        .filter((query) => query.ExpressionAttributeValues[':shard'] === 0)
        .map((query) => [query.Limit, query.ExclusiveStartKey]),
    ).toEqual([
      [QUERY_PAGE_SIZE, undefined],
      [QUERY_PAGE_SIZE, { position: QUERY_PAGE_SIZE }],
    ]);
  });

  it('bounds the work of one run and shares the bound between the shards', async () => {
    // Arrange: 30 stranded claims in shard 0, 2 in shard 2; a bound of 8 (2 per shard).
    const index = new FakeIndex(
      new Map([
        [
          0,
          Array.from({ length: 30 }, (_, i) => claim(`a-${i}`, new Date(Date.UTC(2026, 10, 30, 0, i)).toISOString())),
        ],
        [2, [claim('b-0', '2026-11-30T00:00:00.000Z'), claim('b-1', '2026-11-30T00:01:00.000Z')]],
      ]),
    );

    // Act
    const report = await sweepStrandedClaims(index, options(8));

    // Assert: the oldest of shard 0 first, shard 2 not starved, the rest left for the next run.
    expect(report.settled).toEqual(['a-0', 'a-1', 'b-0', 'b-1']);
    expect(report.more).toBe(true);
    expect(Math.max(...index.queries.map((query) => query.Limit))).toBeLessThanOrEqual(2);
  });

  it('never writes a claim the index answered although it is not older than the cut-off', async () => {
    // Arrange: an index copy that answers a claim newer than asked (a stale or wrong answer).
    const index = new FakeIndex(new Map());
    index.strandedClaims = async (query) => {
      index.queries.push(query);
      return query.ExpressionAttributeValues[':shard'] === 0
        ? { claims: [claim('fresh', '2026-12-02T11:00:00.000Z')] }
        : { claims: [] };
    };

    // Act
    const report = await sweepStrandedClaims(index, options());

    // Assert
    expect(report.settled).toEqual([]);
    expect(index.written).toEqual([]);
  });
});
