import { DynamoMediaStore } from '../../../functions/api/media-records';
import { DynamoArticleStore } from '../../../functions/articles/dynamodb-stores';
import { awsDependencies, handler } from '../../../functions/articles/handler';
import { SecretsManagerPageTokenKeys } from '../../../functions/articles/page-token-keys';
import { articlesSettings } from '../../../functions/articles/settings';
import { modulesLoadedBy } from '../api/loaded-modules';
import { describeEntryPoint, itFailsFastWithoutEach, restoreEnvAfterEach } from '../api/wiring';

/** The Lambda wiring reads the environment that the CDK construct and the local twin set. */

const ENV = {
  ARTICLES_TABLE_NAME: 'articles',
  MEDIA_TABLE_NAME: 'media',
  PAGE_TOKEN_SECRET_ID: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:page-token-AbCdEf',
  ALLOWED_ORIGINS: 'https://app.example',
};

describe('articles function environment', () => {
  restoreEnvAfterEach();

  it('reads the origins, and the page-token secret by its ARN with a default cache age of 300 s', () => {
    Object.assign(process.env, ENV);

    const deps = awsDependencies();

    expect(deps.settings).toEqual({ allowedOrigins: ['https://app.example'] });
    expect(deps.pageTokenKeys).toBeInstanceOf(SecretsManagerPageTokenKeys);
    expect(articlesSettings.fromEnv(ENV)).toMatchObject({
      pageTokenSecretId: ENV.PAGE_TOKEN_SECRET_ID,
      pageTokenSecretMaxAge: 300,
    });
  });

  it('has no variable holding a key: the secret is read at run time', () => {
    expect(Object.keys(articlesSettings.envNames)).not.toContain('pageTokenSecret');
    expect(Object.values(articlesSettings.envNames)).not.toContain('PAGE_TOKEN_SECRET');
  });

  it('splits ALLOWED_ORIGINS on commas and ignores blanks', () => {
    const env = { ...ENV, ALLOWED_ORIGINS: ' https://a.example , ,https://b.example' };

    expect(articlesSettings.fromEnv(env).allowedOrigins).toEqual(['https://a.example', 'https://b.example']);
  });

  it('builds the DynamoDB adapters from the environment, without the bucket or upload settings', () => {
    Object.assign(process.env, ENV);
    delete process.env.MEDIA_BUCKET_NAME;
    process.env.MAX_UPLOAD_BYTES = 'not a number';

    const deps = awsDependencies();

    expect(deps.articles).toBeInstanceOf(DynamoArticleStore);
    expect(deps.media).toBeInstanceOf(DynamoMediaStore);
    expect(Object.keys(deps).sort()).toEqual(['articles', 'media', 'pageTokenKeys', 'settings']);
  });

  itFailsFastWithoutEach(
    ['ARTICLES_TABLE_NAME', 'MEDIA_TABLE_NAME', 'PAGE_TOKEN_SECRET_ID', 'ALLOWED_ORIGINS'],
    ENV,
    awsDependencies,
  );
});

describeEntryPoint(handler, '/articles/{id}', ENV);

describe('the articles bundle', () => {
  it('does not load the S3 client or the presigners', () => {
    // Act
    const loaded = modulesLoadedBy('functions/articles/handler');

    // Assert
    expect(loaded.some((path) => path.includes('functions/articles/handler'))).toBe(true);
    expect(
      loaded.filter((path) => /@aws-sdk[\\/](client-s3|s3-presigned-post|s3-request-presigner)[\\/]/.test(path)),
    ).toEqual([]);
  });
});
