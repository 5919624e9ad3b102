import { DynamoMediaStore } from '../../../functions/api/media-records';
import { DynamoUploadQuota } from '../../../functions/media/dynamodb-upload-quota';
import { awsDependencies, handler } from '../../../functions/media/handler';
import { mediaSettings } from '../../../functions/media/settings';
import { S3DownloadSigner, S3UploadSigner } from '../../../functions/media/s3-signers';
import { S3MediaObjectEraser } from '../../../functions/media/s3-media-objects';
import { SecretsManagerPageTokenKeys } from '../../../functions/articles/page-token-keys';
import { modulesLoadedBy } from '../api/loaded-modules';
import { describeEntryPoint, itFailsFastWithoutEach, restoreEnvAfterEach } from '../api/wiring';

/** The Lambda wiring reads the environment that the CDK construct and the local twin set. */

const ENV = {
  MEDIA_TABLE_NAME: 'media',
  UPLOAD_QUOTA_TABLE_NAME: 'upload-quota',
  MEDIA_BUCKET_NAME: 'bucket',
  ALLOWED_ORIGINS: 'https://app.example',
  PAGE_TOKEN_SECRET_ID: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:page-token-AbCdEf',
};

describe('media function environment', () => {
  restoreEnvAfterEach();

  it('applies the documented defaults', () => {
    expect(mediaSettings.fromEnv(ENV)).toEqual({
      mediaTableName: 'media',
      uploadQuotaTableName: 'upload-quota',
      mediaBucketName: 'bucket',
      maxUploadBytes: 20_971_520,
      uploadUrlTtlSeconds: 300,
      downloadUrlTtlSeconds: 300,
      allowedOrigins: ['https://app.example'],
      dailyUploadQuota: 100,
      pageTokenSecretId: ENV.PAGE_TOKEN_SECRET_ID,
      pageTokenSecretMaxAge: 300,
    });
  });

  it('splits ALLOWED_ORIGINS on commas and ignores blanks', () => {
    expect(
      mediaSettings.fromEnv({ ...ENV, ALLOWED_ORIGINS: 'https://a.example, ,https://b.example ' }).allowedOrigins,
    ).toEqual(['https://a.example', 'https://b.example']);
  });

  it.each([
    ['MAX_UPLOAD_BYTES', '0', 'an integer from 1 to 5368709120'],
    ['MAX_UPLOAD_BYTES', '-1', 'an integer from 1 to 5368709120'],
    ['MAX_UPLOAD_BYTES', '5368709121', 'an integer from 1 to 5368709120'],
    ['UPLOAD_URL_TTL_SECONDS', '1.5', 'an integer from 1 to 604800'],
    ['UPLOAD_URL_TTL_SECONDS', '604801', 'an integer from 1 to 604800'],
    ['DOWNLOAD_URL_TTL_SECONDS', '0', 'an integer from 1 to 604800'],
    ['DOWNLOAD_URL_TTL_SECONDS', '604801', 'an integer from 1 to 604800'],
    ['DOWNLOAD_URL_TTL_SECONDS', 'abc', 'an integer from 1 to 604800'],
    ['DAILY_UPLOAD_QUOTA', '0', 'an integer from 1 to 1000000'],
    ['DAILY_UPLOAD_QUOTA', '2.5', 'an integer from 1 to 1000000'],
    ['DAILY_UPLOAD_QUOTA', '1000001', 'an integer from 1 to 1000000'],
    ['DAILY_UPLOAD_QUOTA', 'unlimited', 'an integer from 1 to 1000000'],
    ['ALLOWED_ORIGINS', '*', 'one or more comma-separated origins'],
    ['ALLOWED_ORIGINS', 'https://a.example/path', 'one or more comma-separated origins'],
  ])('fails fast for %s=%s, naming the variable and its range', (name, value, expected) => {
    expect(() => mediaSettings.fromEnv({ ...ENV, [name]: value })).toThrow(
      `Environment variable ${name} must be ${expected}`,
    );
  });

  it('accepts the largest values S3 honours', () => {
    const env = {
      ...ENV,
      MAX_UPLOAD_BYTES: '5368709120',
      UPLOAD_URL_TTL_SECONDS: '604800',
      DOWNLOAD_URL_TTL_SECONDS: '604800',
    };

    expect(mediaSettings.fromEnv(env)).toMatchObject({
      maxUploadBytes: 5_368_709_120,
      uploadUrlTtlSeconds: 604_800,
      downloadUrlTtlSeconds: 604_800,
    });
  });

  it('refuses at wiring a DOWNLOAD_URL_TTL_SECONDS the presigner would refuse on every view', () => {
    Object.assign(process.env, ENV, { AWS_REGION: 'eu-west-1', DOWNLOAD_URL_TTL_SECONDS: '604801' });

    expect(() => awsDependencies()).toThrow(
      'Environment variable DOWNLOAD_URL_TTL_SECONDS must be an integer from 1 to 604800, got "604801"',
    );
  });

  it('reads DAILY_UPLOAD_QUOTA', () => {
    expect(mediaSettings.fromEnv({ ...ENV, DAILY_UPLOAD_QUOTA: '25' }).dailyUploadQuota).toBe(25);
  });

  it('builds the DynamoDB adapters, the S3 signers and eraser and the page-token keys from the environment, without the articles table', () => {
    Object.assign(process.env, ENV);
    delete process.env.ARTICLES_TABLE_NAME;

    const deps = awsDependencies();

    expect(deps.media).toBeInstanceOf(DynamoMediaStore);
    expect(deps.uploadQuota).toBeInstanceOf(DynamoUploadQuota);
    expect(deps.uploadSigner).toBeInstanceOf(S3UploadSigner);
    expect(deps.downloadSigner).toBeInstanceOf(S3DownloadSigner);
    expect(deps.objects).toBeInstanceOf(S3MediaObjectEraser);
    expect(deps.pageTokenKeys).toBeInstanceOf(SecretsManagerPageTokenKeys);
  });

  itFailsFastWithoutEach(
    ['MEDIA_TABLE_NAME', 'UPLOAD_QUOTA_TABLE_NAME', 'MEDIA_BUCKET_NAME', 'ALLOWED_ORIGINS', 'PAGE_TOKEN_SECRET_ID'],
    ENV,
    awsDependencies,
  );
});

describeEntryPoint(handler, '/media/{id}', ENV);

describe('the media bundle', () => {
  it("signs with the SDK's two presigner libraries over the S3 client", () => {
    // Act
    const loaded = modulesLoadedBy('functions/media/handler');

    // Assert
    for (const library of ['s3-presigned-post', 's3-request-presigner', 'client-s3']) {
      expect(loaded.filter((path) => path.includes(`@aws-sdk/${library}/`))).not.toEqual([]);
    }
  });
});
