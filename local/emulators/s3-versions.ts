import type { IncomingMessage, ServerResponse } from 'node:http';

/*
 * ListObjectVersions (GET /{bucket}?versions) for s3rver, which keeps no versions and answers that
 * request 405. The twin's bucket behaves like an S3 bucket that was never versioned: S3 lists each
 * object of such a bucket once, with version id "null" and IsLatest true, and no delete markers;
 * deleting version "null" (DeleteObjects with that VersionId, which s3rver takes as a plain delete)
 * deletes the object. That is what the media function's erasure reads, so the same code erases in
 * the twin and in a versioned bucket on AWS. Restoring an older version cannot be tried here.
 * (A twin started with bucketVersioning keeps versions, s3-object-versions.ts, but this listing
 * still shows only the current objects.)
 */

/** The part of s3rver's object store (lib/stores/filesystem.js) the listing reads; @types/s3rver omits it. */
export interface S3rverListingStore {
  listObjects(
    bucket: string,
    options: { prefix?: string; startAfter?: string; maxKeys?: number },
  ): Promise<{
    objects: { key: string; size: number; lastModifiedDate: Date; metadata: Record<string, string | undefined> }[];
    isTruncated: boolean;
  }>;
}

export interface ListVersionsRequest {
  bucket: string;
  prefix: string;
  keyMarker: string;
  maxKeys: number;
}

/** S3 returns at most 1,000 versions per page. */
const MAX_KEYS = 1000;

/** A path-style `GET /{bucket}?versions...` (what the twin's clients send), or undefined for anything else. */
export function listVersionsRequest(req: IncomingMessage): ListVersionsRequest | undefined {
  if (req.method !== 'GET') return undefined;
  const url = new URL(req.url ?? '/', 'http://twin');
  if (!url.searchParams.has('versions')) return undefined;
  const segments = url.pathname.split('/').filter((segment) => segment !== '');
  if (segments.length !== 1 || segments[0] === undefined) return undefined;
  const requested = Number(url.searchParams.get('max-keys') ?? MAX_KEYS);
  return {
    bucket: decodeURIComponent(segments[0]),
    prefix: url.searchParams.get('prefix') ?? '',
    keyMarker: url.searchParams.get('key-marker') ?? '',
    maxKeys: Number.isInteger(requested) && requested > 0 ? Math.min(requested, MAX_KEYS) : MAX_KEYS,
  };
}

const escapeXml = (text: string): string =>
  text.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] ?? c);

/** Answers the listing from s3rver's store, as S3 answers it for an unversioned bucket. */
export async function answerListVersions(
  store: S3rverListingStore,
  request: ListVersionsRequest,
  res: ServerResponse,
): Promise<void> {
  let listing: Awaited<ReturnType<S3rverListingStore['listObjects']>>;
  try {
    listing = await store.listObjects(request.bucket, {
      prefix: request.prefix,
      startAfter: request.keyMarker,
      maxKeys: request.maxKeys,
    });
  } catch {
    const body =
      '<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchBucket</Code>' +
      `<Message>The specified bucket does not exist</Message><BucketName>${escapeXml(request.bucket)}</BucketName></Error>`;
    res.writeHead(404, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) }).end(body);
    return;
  }
  const versions = listing.objects.map(
    (object) =>
      `<Version><Key>${escapeXml(object.key)}</Key><VersionId>null</VersionId><IsLatest>true</IsLatest>` +
      `<LastModified>${object.lastModifiedDate.toISOString()}</LastModified><ETag>${escapeXml(object.metadata.etag ?? '')}</ETag>` +
      `<Size>${object.size}</Size><StorageClass>STANDARD</StorageClass></Version>`,
  );
  const last = listing.objects[listing.objects.length - 1];
  const body =
    '<?xml version="1.0" encoding="UTF-8"?><ListVersionsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
    `<Name>${escapeXml(request.bucket)}</Name><Prefix>${escapeXml(request.prefix)}</Prefix>` +
    `<KeyMarker>${escapeXml(request.keyMarker)}</KeyMarker><VersionIdMarker></VersionIdMarker><MaxKeys>${request.maxKeys}</MaxKeys>` +
    `<IsTruncated>${listing.isTruncated}</IsTruncated>` +
    (listing.isTruncated && last !== undefined
      ? `<NextKeyMarker>${escapeXml(last.key)}</NextKeyMarker><NextVersionIdMarker>null</NextVersionIdMarker>`
      : '') +
    versions.join('') +
    '</ListVersionsResult>';
  res.writeHead(200, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) }).end(body);
}
