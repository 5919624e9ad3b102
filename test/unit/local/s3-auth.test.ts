import { S3Client } from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { S3Authenticator } from '../../../local/emulators/s3-auth';

/** The POST policy rules of the twin's S3 on forms made by the SDK's own createPresignedPost. */

const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
const client = new S3Client({
  region: 'eu-west-1',
  credentials,
  endpoint: 'http://127.0.0.1:4568',
  forcePathStyle: true,
});
const authenticator = new S3Authenticator({ region: 'eu-west-1', secrets: new Map([['S3RVER', 'S3RVER']]) });

afterAll(() => client.destroy());

async function form(
  conditions: Parameters<typeof createPresignedPost>[1]['Conditions'],
  key = 'uploads/alice/${filename}',
) {
  const { fields } = await createPresignedPost(client, {
    Bucket: 'media',
    Key: key,
    Conditions: conditions,
    Expires: 60,
  });
  return fields;
}

/** Posts the form's `fields` to `bucket` with a file of `fileSize` bytes, as a browser would. */
function post(fields: Record<string, string>, { bucket = 'media', fileSize = 10 } = {}) {
  return authenticator.authenticateForm({ bucket, fields: Object.entries(fields), fileSize });
}

/** S3's refusal of a form that breaks its policy's `condition`, which it names. */
const accessDeniedFor = (condition: string) => ({
  status: 403,
  code: 'AccessDenied',
  message: expect.stringContaining(condition),
});

describe('S3Authenticator.authenticateForm', () => {
  it('accepts a key under a starts-with prefix and names who signed', async () => {
    const fields = await form([['content-length-range', 1, 100]]);

    const identity = await post({ ...fields, key: 'uploads/alice/photo.jpg' });

    expect(identity).toEqual({ accessKeyId: 'S3RVER', via: 'post-policy' });
  });

  it('refuses a key outside the starts-with prefix', async () => {
    const fields = await form([]);

    const result = post({ ...fields, key: 'derived/x/large.webp' });

    await expect(result).rejects.toMatchObject(accessDeniedFor('"starts-with", "$key", "uploads/alice/"'));
  });

  it('refuses the form when it is posted to another bucket than its policy names', async () => {
    const fields = await form([], 'uploads/alice/a');

    const result = post(fields, { bucket: 'other-bucket' });

    await expect(result).rejects.toMatchObject(accessDeniedFor('{"bucket":"media"}'));
  });

  it('refuses a file below the content-length-range minimum with 400 EntityTooSmall', async () => {
    const fields = await form([['content-length-range', 5, 100]], 'uploads/alice/a');

    const result = post(fields, { fileSize: 4 });

    await expect(result).rejects.toMatchObject({ status: 400, code: 'EntityTooSmall' });
  });

  it('refuses a form signed for another region', async () => {
    const fields = await form([], 'uploads/alice/a');
    const inOtherRegion = new S3Authenticator({ region: 'us-east-1', secrets: new Map([['S3RVER', 'S3RVER']]) });

    await expect(
      inOtherRegion.authenticateForm({ bucket: 'media', fields: Object.entries(fields), fileSize: 1 }),
    ).rejects.toMatchObject({ status: 400 });
  });
});
