import { GetObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { MediaHandlerDeps } from '../../../functions/media/handler';
import type { SigningCredentials } from '../../../functions/media/post-policy';
import { s3AddressingFromEnv } from '../../../functions/media/s3-addressing';
import { S3DownloadSigner, S3UploadSigner } from '../../../functions/media/s3-signers';

/**
 * How the signers are wired: addressing and credentials from the environment as the shared S3
 * client reads them, credentials resolved for every signature, the injected clock.
 */

const UPLOAD = {
  key: 'uploads/alice/media-0001',
  contentType: 'image/jpeg',
  minBytes: 1,
  maxBytes: 5000,
  expiresInSeconds: 300,
};

function credentialOf(url: string): string | null {
  return new URL(url).searchParams.get('X-Amz-Credential');
}

describe('addressing from the environment', () => {
  it('signs for the regional AWS endpoint when no endpoint is configured', () => {
    expect(s3AddressingFromEnv({ AWS_REGION: 'eu-west-1' })).toEqual({ region: 'eu-west-1', forcePathStyle: false });
  });

  it("addresses AWS_ENDPOINT_URL_S3 (the twin's emulator) path-style", () => {
    const addressing = s3AddressingFromEnv({
      AWS_REGION: 'eu-west-1',
      AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:4569',
      AWS_ENDPOINT_URL: 'http://other:1',
    });

    expect(addressing).toEqual({ region: 'eu-west-1', endpoint: 'http://127.0.0.1:4569', forcePathStyle: true });
  });

  it('uses AWS_ENDPOINT_URL without forcing path-style, as the shared S3 client does', () => {
    expect(s3AddressingFromEnv({ AWS_REGION: 'eu-west-1', AWS_ENDPOINT_URL: 'http://localhost:4569' })).toEqual({
      region: 'eu-west-1',
      endpoint: 'http://localhost:4569',
      forcePathStyle: false,
    });
  });

  it('ignores configured endpoints when AWS_IGNORE_CONFIGURED_ENDPOINT_URLS is true', () => {
    const addressing = s3AddressingFromEnv({
      AWS_REGION: 'eu-west-1',
      AWS_ENDPOINT_URL: 'http://localhost:4569',
      AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true',
    });

    expect(addressing.endpoint).toBeUndefined();
  });

  it('fails fast without AWS_REGION', () => {
    expect(() => s3AddressingFromEnv({})).toThrow('AWS_REGION');
  });

  it.each(['AWS_USE_FIPS_ENDPOINT', 'AWS_USE_DUALSTACK_ENDPOINT'])(
    'refuses %s=true rather than sign for another host',
    (name) => {
      expect(() => s3AddressingFromEnv({ AWS_REGION: 'us-east-1', [name]: 'true' })).toThrow(name);
    },
  );
});

describe('the Lambda wiring against the shared S3 client', () => {
  const saved = { ...process.env };
  const ENV = {
    MEDIA_TABLE_NAME: 'media',
    UPLOAD_QUOTA_TABLE_NAME: 'upload-quota',
    MEDIA_BUCKET_NAME: 'travel-guide-media-bucket',
    ALLOWED_ORIGINS: 'http://localhost:5173',
    AWS_REGION: 'eu-central-1',
    AWS_ACCESS_KEY_ID: 'ASIAWIRINGEXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'wiring/secret+example',
    AWS_SESSION_TOKEN: 'wiring-session/token+==',
  };

  /** awsDependencies() and ../shared/s3-client's s3Client(), each built fresh from the environment. */
  async function fromEnvironment(): Promise<{ deps: MediaHandlerDeps; client: S3Client }> {
    let built: { deps: MediaHandlerDeps; client: S3Client } | undefined;
    await jest.isolateModulesAsync(async () => {
      const { awsDependencies } = await import('../../../functions/media/handler');
      const { s3Client } = await import('../../../functions/shared/s3-client');
      built = { deps: awsDependencies(), client: s3Client() };
    });
    if (built === undefined) throw new Error('modules did not load');
    return built;
  }

  beforeEach(() => {
    jest.useFakeTimers({
      now: new Date('2026-05-01T08:30:00.250Z'),
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
    delete process.env.AWS_ENDPOINT_URL;
    delete process.env.AWS_ENDPOINT_URL_S3;
    delete process.env.AWS_PROFILE;
  });

  afterEach(() => {
    jest.useRealTimers();
    process.env = { ...saved };
  });

  // Where each environment sends the form, so that a case cannot pass by falling back to AWS.
  const ENVIRONMENTS: [string, Record<string, string>, string][] = [
    ['on AWS', {}, 'https://travel-guide-media-bucket.s3.eu-central-1.amazonaws.com/'],
    [
      "in the twin (AWS_ENDPOINT_URL_S3, the emulator's address)",
      { AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:4569' },
      'http://127.0.0.1:4569/travel-guide-media-bucket',
    ],
    [
      'with AWS_ENDPOINT_URL only',
      { AWS_ENDPOINT_URL: 'http://localhost:4569' },
      'http://travel-guide-media-bucket.localhost:4569/',
    ],
  ];

  it.each(ENVIRONMENTS)('hands out the presigned POST the S3 client would %s', async (_where, env, bucketUrl) => {
    // Arrange
    Object.assign(process.env, ENV, env);
    const { deps, client } = await fromEnvironment();

    // Act
    const ours = await deps.uploadSigner.signUpload(UPLOAD);
    const sdk = await createPresignedPost(client, {
      Bucket: ENV.MEDIA_BUCKET_NAME,
      Key: UPLOAD.key,
      Conditions: [
        ['eq', '$key', UPLOAD.key],
        ['eq', '$Content-Type', UPLOAD.contentType],
        ['content-length-range', UPLOAD.minBytes, UPLOAD.maxBytes],
      ],
      Fields: { 'Content-Type': UPLOAD.contentType },
      Expires: UPLOAD.expiresInSeconds,
    });

    // Assert
    expect({ url: ours.url, fields: ours.fields }).toEqual(sdk);
    expect(ours.url).toBe(bucketUrl);
    expect(ours.fields['X-Amz-Security-Token']).toBe(ENV.AWS_SESSION_TOKEN);
  });

  it.each(ENVIRONMENTS)('hands out the GET URL the S3 client would %s', async (_where, env, bucketUrl) => {
    // Arrange
    Object.assign(process.env, ENV, env);
    const { deps, client } = await fromEnvironment();
    const key = 'derived/media-0001/thumb 320.webp';

    // Act
    const ours = await deps.downloadSigner.signDownload(key, 300);
    const sdk = await getSignedUrl(client, new GetObjectCommand({ Bucket: ENV.MEDIA_BUCKET_NAME, Key: key }), {
      expiresIn: 300,
    });

    // Assert
    expect(ours).toBe(sdk);
    expect(ours.startsWith(`${bucketUrl.replace(/\/$/, '')}/derived/media-0001/thumb%20320.webp?`)).toBe(true);
  });
});

describe('credentials and clock', () => {
  const FIRST: SigningCredentials = { accessKeyId: 'ASIAFIRST', secretAccessKey: 'first', sessionToken: 'first-token' };
  const ROTATED: SigningCredentials = {
    accessKeyId: 'ASIAROTATED',
    secretAccessKey: 'rotated',
    sessionToken: 'rotated-token',
  };

  function rotatingProvider() {
    const provider = jest.fn<Promise<SigningCredentials>, []>();
    provider.mockResolvedValueOnce(FIRST).mockResolvedValue(ROTATED);
    return provider;
  }

  it('resolves credentials for every POST it signs, so rotated credentials are used', async () => {
    // Arrange
    const credentials = rotatingProvider();
    const signer = new S3UploadSigner({ bucket: 'media-bucket', addressing: { region: 'eu-west-1' }, credentials });

    // Act
    const first = await signer.signUpload(UPLOAD);
    const second = await signer.signUpload(UPLOAD);

    // Assert
    expect(first.fields['X-Amz-Security-Token']).toBe('first-token');
    expect(second.fields['X-Amz-Security-Token']).toBe('rotated-token');
    expect(second.fields['X-Amz-Credential']).toMatch(/^ASIAROTATED\//);
  });

  it('resolves credentials for every GET URL it signs, so rotated credentials are used', async () => {
    // Arrange
    const credentials = rotatingProvider();
    const signer = new S3DownloadSigner({ bucket: 'media-bucket', addressing: { region: 'eu-west-1' }, credentials });

    // Act
    const first = await signer.signDownload('derived/m/thumb.webp', 60);
    const second = await signer.signDownload('derived/m/thumb.webp', 60);

    // Assert
    expect(credentialOf(first)).toMatch(/^ASIAFIRST\//);
    expect(credentialOf(second)).toMatch(/^ASIAROTATED\//);
  });

  it('signs at the time of the injected clock', async () => {
    // Arrange
    const now = () => new Date('2030-01-02T03:04:05.678Z');
    const options = {
      bucket: 'media-bucket',
      addressing: { region: 'eu-west-1' },
      credentials: async () => FIRST,
      now,
    };

    // Act
    const post = await new S3UploadSigner(options).signUpload(UPLOAD);
    const url = new URL(await new S3DownloadSigner(options).signDownload('derived/m/thumb.webp', 60));

    // Assert
    expect(post.fields['X-Amz-Date']).toBe('20300102T030405Z');
    expect(JSON.parse(Buffer.from(post.fields.Policy ?? '', 'base64').toString('utf8'))).toMatchObject({
      expiration: '2030-01-02T03:09:05Z',
    });
    expect(url.searchParams.get('X-Amz-Date')).toBe('20300102T030405Z');
  });

  it('reports the expiration it signed into the policy, in whole seconds', async () => {
    // Arrange
    const now = () => new Date('2030-01-02T03:04:05.678Z');
    const signer = new S3UploadSigner({
      bucket: 'media-bucket',
      addressing: { region: 'eu-west-1' },
      credentials: async () => FIRST,
      now,
    });

    // Act
    const post = await signer.signUpload(UPLOAD);

    // Assert
    const policy = JSON.parse(Buffer.from(post.fields.Policy ?? '', 'base64').toString('utf8')) as {
      expiration: string;
    };
    expect(post.expiresAt).toEqual(new Date(policy.expiration));
    expect(post.expiresAt.toISOString()).toBe('2030-01-02T03:09:05.000Z');
  });

  it('refuses a GET URL valid for more than a week, as SigV4 does', async () => {
    const signer = new S3DownloadSigner({
      bucket: 'media-bucket',
      addressing: { region: 'eu-west-1' },
      credentials: async () => FIRST,
    });

    await expect(signer.signDownload('derived/m/thumb.webp', 604_801)).rejects.toMatch('less than one week');
  });
});
