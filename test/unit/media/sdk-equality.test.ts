import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { S3ClientConfig } from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import type { PresignedPostOptions } from '@aws-sdk/s3-presigned-post';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { signPostPolicy } from '../../../functions/media/post-policy';
import type { SigningCredentials } from '../../../functions/media/post-policy';
import type { PresignedUpload } from '../../../functions/media/ports';
import type { S3Addressing } from '../../../functions/media/s3-addressing';
import { S3DownloadSigner, S3UploadSigner } from '../../../functions/media/s3-signers';

/**
 * The media function signs without an S3 client. These tests hold its signers to the SDK's own
 * output, byte for byte: the same credentials, clock, region, endpoint and arguments given to
 * `createPresignedPost` and `getSignedUrl` over an S3 client configured as ../shared/s3-client.ts
 * configures it (checksums only when required, so no `x-amz-checksum-mode` in GET URLs). The
 * local S3 emulator checks no POST policy and no signature, so this equality is the proof that
 * S3 accepts what the function hands out.
 */

const NOW = new Date('2026-03-14T15:09:26.535Z');
const BUCKET = 'travel-guide-media-bucket';

const STATIC: SigningCredentials = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
};
// A Lambda role's credentials carry a session token; '/', '+' and '=' test its escaping.
const SESSION: SigningCredentials = {
  ...STATIC,
  accessKeyId: 'ASIAIOSFODNN7EXAMPLE',
  sessionToken: 'IQoJb3JpZ2luX2Vj/+token==',
};

const KEYS = [
  'derived/media-0001/thumb.webp',
  'derived/media 0001/large copy.jpg',
  'derived/münchen/straße ü.webp',
  'derived/a+b/c=d&e?f#g.png',
  "derived/x/!'()*~._-;,:@$.jpg",
  'derived/x/already%2Fescaped%20.jpg',
  'derived/x//double/slash/',
  'derived/x/📷 photo.jpg',
];

/** The S3 client of ../shared/s3-client.ts, with the addressing and credentials under test. */
function sdkClient(addressing: S3Addressing, credentials: SigningCredentials): S3Client {
  const config: S3ClientConfig = {
    region: addressing.region,
    credentials,
    forcePathStyle: addressing.forcePathStyle ?? false,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  };
  if (addressing.endpoint !== undefined) config.endpoint = addressing.endpoint;
  return new S3Client(config);
}

function signers(addressing: S3Addressing, credentials: SigningCredentials, bucket = BUCKET) {
  const options = { bucket, addressing, credentials: async () => credentials };
  return { upload: new S3UploadSigner(options), download: new S3DownloadSigner(options) };
}

/** What the client gets of a presigned POST; `expiresAt` is reported separately, in the API's ticket. */
function form({ url, fields }: PresignedUpload): { url: string; fields: Record<string, string> } {
  return { url, fields };
}

/** What S3UploadSigner asks of createPresignedPost (and what the handler has always sent). */
function sdkPresignedPost(
  client: S3Client,
  bucket: string,
  key: string,
  contentType: string,
  maxBytes: number,
  expires: number,
) {
  return createPresignedPost(client, {
    Bucket: bucket,
    Key: key,
    Conditions: [
      ['eq', '$key', key],
      ['eq', '$Content-Type', contentType],
      ['content-length-range', 1, maxBytes],
    ],
    Fields: { 'Content-Type': contentType },
    Expires: expires,
  });
}

const AWS_REGIONS: S3Addressing[] = [
  { region: 'eu-west-1' },
  { region: 'us-east-1' },
  { region: 'ap-southeast-2' },
  { region: 'cn-north-1' },
  { region: 'us-gov-west-1' },
  { region: 'eusc-de-east-1' },
  { region: 'us-iso-east-1' },
  { region: 'us-isob-east-1' },
  { region: 'eu-isoe-west-1' },
  { region: 'us-isof-south-1' },
];

/** The twin's shape (AWS_ENDPOINT_URL_S3, so path-style) and the other custom endpoints the S3 client accepts. */
const CUSTOM_ENDPOINTS: S3Addressing[] = [
  { region: 'eu-west-1', endpoint: 'http://127.0.0.1:4569', forcePathStyle: true },
  { region: 'eu-west-1', endpoint: 'http://localhost:4569', forcePathStyle: true },
  { region: 'us-east-1', endpoint: 'http://localhost:4569/s3/', forcePathStyle: true },
  { region: 'eu-west-1', endpoint: 'http://[::1]:4569', forcePathStyle: true },
  { region: 'eu-west-1', endpoint: 'http://localhost:4569' },
  { region: 'eu-west-1', endpoint: 'http://127.0.0.1:4569' },
  { region: 'eu-central-1', endpoint: 'https://s3.example.com/base' },
  { region: 'eu-central-1', endpoint: 'https://s3.example.com/base/' },
  { region: 'eu-central-1', endpoint: 'https://s3.example.com:443' },
];

const CREDENTIALS: [string, SigningCredentials][] = [
  ['static credentials', STATIC],
  ['credentials with a session token', SESSION],
];

const describeAddressing = (addressing: S3Addressing): string => JSON.stringify(addressing);

beforeEach(() => {
  // Only Date is faked: the SDK's middleware still needs real timers and microtasks.
  jest.useFakeTimers({
    now: NOW,
    doNotFake: [
      'hrtime',
      'nextTick',
      'performance',
      'queueMicrotask',
      'setImmediate',
      'clearImmediate',
      'setInterval',
      'clearInterval',
      'setTimeout',
      'clearTimeout',
    ],
  });
});

afterEach(() => {
  jest.useRealTimers();
});

describe.each(CREDENTIALS)('presigned POST with %s', (_name, credentials) => {
  it.each(
    [...AWS_REGIONS, ...CUSTOM_ENDPOINTS].map((addressing) => [describeAddressing(addressing), addressing] as const),
  )('equals createPresignedPost for %s', async (_label, addressing) => {
    // Arrange
    const { upload } = signers(addressing, credentials);
    const client = sdkClient(addressing, credentials);

    // Act
    const ours = await Promise.all(
      KEYS.map((key) =>
        upload.signUpload({ key, contentType: 'image/jpeg', minBytes: 1, maxBytes: 5000, expiresInSeconds: 300 }),
      ),
    );
    const sdk = await Promise.all(KEYS.map((key) => sdkPresignedPost(client, BUCKET, key, 'image/jpeg', 5000, 300)));

    // Assert
    expect(ours.map(form)).toEqual(sdk);
  });
});

describe.each(CREDENTIALS)('signed GET URL with %s', (_name, credentials) => {
  it.each(
    [...AWS_REGIONS, ...CUSTOM_ENDPOINTS].map((addressing) => [describeAddressing(addressing), addressing] as const),
  )('equals getSignedUrl(GetObjectCommand) for %s', async (_label, addressing) => {
    // Arrange
    const { download } = signers(addressing, credentials);
    const client = sdkClient(addressing, credentials);

    // Act
    const ours = await Promise.all(KEYS.map((key) => download.signDownload(key, 120)));
    const sdk = await Promise.all(
      KEYS.map((key) => getSignedUrl(client, new GetObjectCommand({ Bucket: BUCKET, Key: key }), { expiresIn: 120 })),
    );

    // Assert
    expect(ours).toEqual(sdk);
  });
});

describe('bucket names other than one lower-case DNS label', () => {
  // Dotted names lead the host name only over plain HTTP; capitals, short names and IPs never do.
  const BUCKETS = ['media.example.com', 'media.ab.example', 'Media-Bucket', 'ab', 'media-', '192.168.100.200'];
  const ADDRESSINGS: S3Addressing[] = [
    { region: 'eu-west-1' },
    { region: 'eu-west-1', endpoint: 'http://localhost:4569' },
    { region: 'eu-west-1', endpoint: 'https://localhost:4569' },
  ];
  const cases = BUCKETS.flatMap((bucket) =>
    ADDRESSINGS.map((addressing) => [bucket, describeAddressing(addressing), addressing] as const),
  );

  it.each(cases)('are addressed in the POST URL as the SDK does (%s, %s)', async (bucket, _label, addressing) => {
    const { upload } = signers(addressing, SESSION, bucket);
    const client = sdkClient(addressing, SESSION);

    const ours = await upload.signUpload({
      key: 'uploads/u/m',
      contentType: 'image/png',
      minBytes: 1,
      maxBytes: 10,
      expiresInSeconds: 60,
    });
    const sdk = await sdkPresignedPost(client, bucket, 'uploads/u/m', 'image/png', 10, 60);

    expect(form(ours)).toEqual(sdk);
  });

  it.each(cases)('are addressed in the GET URL as the SDK does (%s, %s)', async (bucket, _label, addressing) => {
    const { download } = signers(addressing, SESSION, bucket);
    const client = sdkClient(addressing, SESSION);

    const ours = await download.signDownload('derived/m/thumb.webp', 60);
    const sdk = await getSignedUrl(client, new GetObjectCommand({ Bucket: bucket, Key: 'derived/m/thumb.webp' }), {
      expiresIn: 60,
    });

    expect(ours).toBe(sdk);
  });
});

describe('the presigned POST fields', () => {
  it('come in the order createPresignedPost returns them (the order of the JSON handed to clients)', async () => {
    const addressing: S3Addressing = { region: 'eu-west-1' };
    const { upload } = signers(addressing, SESSION);

    const ours = await upload.signUpload({
      key: KEYS[1] ?? '',
      contentType: 'image/webp',
      minBytes: 1,
      maxBytes: 99,
      expiresInSeconds: 300,
    });
    const sdk = await sdkPresignedPost(sdkClient(addressing, SESSION), BUCKET, KEYS[1] ?? '', 'image/webp', 99, 300);

    expect(Object.keys(ours.fields)).toEqual(Object.keys(sdk.fields));
  });

  it.each([1, 299, 3600, 604_800])(
    'expire as createPresignedPost says after %i s (sub-second clock included)',
    async (seconds) => {
      const addressing: S3Addressing = { region: 'us-east-1' };
      const { upload } = signers(addressing, STATIC);

      const ours = await upload.signUpload({
        key: 'uploads/u/m',
        contentType: 'image/jpeg',
        minBytes: 1,
        maxBytes: 1,
        expiresInSeconds: seconds,
      });
      const sdk = await sdkPresignedPost(
        sdkClient(addressing, STATIC),
        BUCKET,
        'uploads/u/m',
        'image/jpeg',
        1,
        seconds,
      );

      expect(ours.fields).toEqual(sdk.fields);
    },
  );

  it.each([1, 299, 3600, 604_800])(
    'report as expiresAt the expiration of the policy createPresignedPost signs for %i s',
    async (seconds) => {
      const addressing: S3Addressing = { region: 'us-east-1' };
      const { upload } = signers(addressing, STATIC);

      const ours = await upload.signUpload({
        key: 'uploads/u/m',
        contentType: 'image/jpeg',
        minBytes: 1,
        maxBytes: 1,
        expiresInSeconds: seconds,
      });
      const sdk = await sdkPresignedPost(
        sdkClient(addressing, STATIC),
        BUCKET,
        'uploads/u/m',
        'image/jpeg',
        1,
        seconds,
      );

      const sdkPolicy = JSON.parse(Buffer.from(sdk.fields.Policy ?? '', 'base64').toString('utf8')) as {
        expiration: string;
      };
      expect(ours.expiresAt).toEqual(new Date(sdkPolicy.expiration));
    },
  );
});

describe('the POST policy signer on its own', () => {
  const client = sdkClient({ region: 'eu-west-2' }, SESSION);
  const context = { credentials: SESSION, region: 'eu-west-2', signingDate: NOW };

  it('keeps a condition given twice once, in its first place, as createPresignedPost does', async () => {
    const conditions: PresignedPostOptions['Conditions'] = [
      ['starts-with', '$Content-Type', 'image/'],
      { acl: 'private' },
      ['starts-with', '$Content-Type', 'image/'],
      { bucket: BUCKET },
    ];

    const ours = signPostPolicy(
      { bucket: BUCKET, key: 'k', conditions: conditions ?? [], fields: { acl: 'private' }, expiresInSeconds: 60 },
      context,
    );
    const sdk = await createPresignedPost(client, {
      Bucket: BUCKET,
      Key: 'k',
      Conditions: conditions,
      Fields: { acl: 'private' },
      Expires: 60,
    });

    expect(ours.fields).toEqual(sdk.fields);
  });

  it('pins a `${filename}` key by its prefix, as createPresignedPost does', async () => {
    const ours = signPostPolicy(
      { bucket: BUCKET, key: 'uploads/u/${filename}', conditions: [], fields: {}, expiresInSeconds: 60 },
      context,
    );
    const sdk = await createPresignedPost(client, { Bucket: BUCKET, Key: 'uploads/u/${filename}', Expires: 60 });

    expect(ours.fields).toEqual(sdk.fields);
  });

  it('signs extra form fields and non-ASCII values as createPresignedPost does', async () => {
    const fields = { 'Content-Type': 'image/jpeg', 'x-amz-meta-title': 'Säo Paulo – 📷', success_action_status: '201' };

    const ours = signPostPolicy(
      {
        bucket: BUCKET,
        key: 'uploads/ü',
        conditions: [['content-length-range', 0, 10]],
        fields,
        expiresInSeconds: 900,
      },
      context,
    );
    const sdk = await createPresignedPost(client, {
      Bucket: BUCKET,
      Key: 'uploads/ü',
      Conditions: [['content-length-range', 0, 10]],
      Fields: fields,
      Expires: 900,
    });

    expect(ours.fields).toEqual(sdk.fields);
  });
});
