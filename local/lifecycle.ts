import { DeleteObjectsCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { expiringPrefixes, type MediaRetention } from '../infra/definitions/retention';

/**
 * The media bucket's expiry rules applied to the twin's S3 (s3rver has no lifecycle): every
 * object under an expiring prefix (quarantine/, failed/) whose last write is at least that
 * prefix's days before `now` is deleted, as S3's lifecycle would do by then. The rules are the
 * ones CDK deploys (infra/definitions/retention.ts). Noncurrent-version expiry has nothing to do
 * here: s3rver keeps no versions. Run with POST /_local/lifecycle {"daysFromNow": N}.
 */
export async function applyLifecycle(
  s3: S3Client,
  bucket: string,
  retention: MediaRetention,
  now: Date,
): Promise<string[]> {
  const expired: string[] = [];
  for (const { prefix, days } of expiringPrefixes(retention)) {
    const cutoff = now.getTime() - days * 86_400_000;
    let token: string | undefined;
    do {
      const page = await s3.send(
        new ListObjectsV2Command({
          Bucket: bucket,
          Prefix: prefix,
          ...(token !== undefined ? { ContinuationToken: token } : {}),
        }),
      );
      const due = (page.Contents ?? []).filter(
        (object) => object.Key !== undefined && (object.LastModified?.getTime() ?? now.getTime()) <= cutoff,
      );
      if (due.length > 0) {
        await s3.send(
          new DeleteObjectsCommand({
            Bucket: bucket,
            Delete: { Objects: due.map((object) => ({ Key: object.Key })), Quiet: true },
          }),
        );
        expired.push(...due.map((object) => object.Key ?? ''));
      }
      token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
  }
  return expired;
}
