import type { IamEnforcer } from '../../../local/iam/enforcer';
import { iamRequestsOf } from '../../../local/iam/sdk-guard';

/** What the twin's IAM guard asks the simulator for S3 calls whose action depends on their input, as AWS authorizes them. */

const names = {
  bucketArn: (bucket: string) => `arn:aws:s3:::${bucket}`,
  objectArn: (bucket: string, key: string) => `arn:aws:s3:::${bucket}/${key}`,
  tableArn: (table: string) => `arn:aws:dynamodb:eu-west-1:123456789012:table/${table}`,
} as unknown as IamEnforcer;

describe('the twin IAM guard', () => {
  it('authorizes each key of a DeleteObjects by version id as s3:DeleteObjectVersion, and without one as s3:DeleteObject', () => {
    const requests = iamRequestsOf(
      'S3Client',
      'DeleteObjectsCommand',
      { Bucket: 'b', Delete: { Objects: [{ Key: 'uploads/a/m1', VersionId: 'null' }, { Key: 'derived/m1/x' }] } },
      names,
    );

    expect(requests).toEqual([
      { action: 's3:DeleteObjectVersion', resource: 'arn:aws:s3:::b/uploads/a/m1' },
      { action: 's3:DeleteObject', resource: 'arn:aws:s3:::b/derived/m1/x' },
    ]);
  });

  it("passes a listing's prefix as the s3:prefix condition key, and none when no prefix is given", () => {
    const withPrefix = iamRequestsOf(
      'S3Client',
      'ListObjectVersionsCommand',
      { Bucket: 'b', Prefix: 'derived/m1/' },
      names,
    );
    const without = iamRequestsOf('S3Client', 'ListObjectsV2Command', { Bucket: 'b' }, names);

    expect(withPrefix).toEqual([
      { action: 's3:ListBucketVersions', resource: 'arn:aws:s3:::b', context: { 's3:prefix': 'derived/m1/' } },
    ]);
    expect(without).toEqual([{ action: 's3:ListBucket', resource: 'arn:aws:s3:::b' }]);
  });

  it('authorizes a DeleteObject of one version as s3:DeleteObjectVersion', () => {
    const requests = iamRequestsOf(
      'S3Client',
      'DeleteObjectCommand',
      { Bucket: 'b', Key: 'k', VersionId: 'v1' },
      names,
    );

    expect(requests).toEqual([{ action: 's3:DeleteObjectVersion', resource: 'arn:aws:s3:::b/k' }]);
  });
});
