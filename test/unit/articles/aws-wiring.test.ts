import { awsDependencies, handler, settingsFromEnv } from '../../../functions/articles/handler';
import { DynamoArticleStore, DynamoMediaStore } from '../../../functions/articles/dynamodb-stores';
import { S3DownloadSigner, S3UploadSigner } from '../../../functions/articles/s3-signers';
import { apiEvent, errorOf } from './fakes';

/** The Lambda wiring reads the environment that the CDK construct and the local twin set. */

const ENV = {
  ARTICLES_TABLE_NAME: 'articles',
  MEDIA_TABLE_NAME: 'media',
  MEDIA_BUCKET_NAME: 'bucket',
  PAGE_TOKEN_SECRET: 'x'.repeat(32),
};

describe('articles function environment', () => {
  const saved = { ...process.env };

  afterEach(() => {
    process.env = { ...saved };
  });

  it('applies the documented defaults', () => {
    Object.assign(process.env, ENV);
    delete process.env.MAX_UPLOAD_BYTES;
    delete process.env.UPLOAD_URL_TTL_SECONDS;
    delete process.env.DOWNLOAD_URL_TTL_SECONDS;
    delete process.env.ALLOWED_ORIGINS;

    expect(settingsFromEnv()).toEqual({
      maxUploadBytes: 20_971_520,
      uploadUrlTtlSeconds: 300,
      downloadUrlTtlSeconds: 300,
      pageTokenSecret: ENV.PAGE_TOKEN_SECRET,
      allowedOrigins: [],
    });
  });

  it('splits ALLOWED_ORIGINS on commas and ignores blanks', () => {
    Object.assign(process.env, ENV, { ALLOWED_ORIGINS: ' https://a.example , ,https://b.example' });

    expect(settingsFromEnv().allowedOrigins).toEqual(['https://a.example', 'https://b.example']);
  });

  it.each([['0'], ['-1'], ['1.5'], ['abc']])('fails fast for MAX_UPLOAD_BYTES=%s', (value) => {
    Object.assign(process.env, ENV, { MAX_UPLOAD_BYTES: value });

    expect(() => settingsFromEnv()).toThrow(/MAX_UPLOAD_BYTES/);
  });

  it('fails fast without PAGE_TOKEN_SECRET', () => {
    Object.assign(process.env, ENV);
    delete process.env.PAGE_TOKEN_SECRET;

    expect(() => settingsFromEnv()).toThrow(/PAGE_TOKEN_SECRET/);
  });

  it('builds the DynamoDB and S3 adapters from the environment', () => {
    Object.assign(process.env, ENV);

    const deps = awsDependencies();

    expect(deps.articles).toBeInstanceOf(DynamoArticleStore);
    expect(deps.media).toBeInstanceOf(DynamoMediaStore);
    expect(deps.uploadSigner).toBeInstanceOf(S3UploadSigner);
    expect(deps.downloadSigner).toBeInstanceOf(S3DownloadSigner);
  });

  it('fails fast without MEDIA_BUCKET_NAME', () => {
    Object.assign(process.env, ENV);
    delete process.env.MEDIA_BUCKET_NAME;

    expect(() => awsDependencies()).toThrow(/MEDIA_BUCKET_NAME/);
  });
});

describe('the Lambda entry point', () => {
  const saved = { ...process.env };

  afterEach(() => {
    process.env = { ...saved };
  });

  it('wires itself from the environment and validates before calling AWS', async () => {
    Object.assign(process.env, ENV);

    const error = errorOf(await handler(apiEvent({ method: 'GET', resource: '/media/{id}', pathParameters: { id: '../x' } })));

    expect(error).toEqual({ status: 400, code: 'VALIDATION_ERROR', message: 'id: must be 1 to 128 letters, digits, "-" or "_"' });
  });
});
