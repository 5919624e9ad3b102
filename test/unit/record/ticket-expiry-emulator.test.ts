import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { createHandler } from '../../../functions/record/handler';
import { mediaTable } from '../../../infra/definitions/tables';
import { emulatedTables, putUploadTicket, type EmulatedTables } from '../../fixtures/dynamodb';
import { MEDIA_ID, UPLOAD } from './fixtures';

/*
 * Tickets expire, with the claim's condition evaluated by the DynamoDB emulator: an upload S3
 * stored before the ticket ended (form expiry + 15 min) is claimed however late its run comes; one
 * stored after is refused like an unissued one, and the ticket stays as it was.
 */

const TABLE = 'ticket-expiry-test';
const FORM_EXPIRES = '2026-11-28T17:00:00.000Z';
let table: EmulatedTables;
let documents: DynamoDBDocumentClient;

beforeAll(async () => {
  table = await emulatedTables({ [TABLE]: mediaTable });
  documents = table.documents;
});

afterAll(() => table.close());

beforeEach(async () => {
  await putUploadTicket(documents, TABLE, MEDIA_ID, {
    uploadExpiresAt: FORM_EXPIRES,
    removeAt: Date.parse(FORM_EXPIRES) / 1000 + 7 * 24 * 3600,
  });
});

// The run itself comes a day later (a long burst): only the upload's time counts.
const record = () =>
  createHandler({ documents, mediaTableName: TABLE, now: () => new Date('2026-11-29T17:00:00.000Z') });

async function stored(): Promise<Record<string, unknown> | undefined> {
  return (await documents.send(new GetCommand({ TableName: TABLE, Key: { mediaId: MEDIA_ID } }))).Item;
}

it('claims an upload stored within the grace after the form expired, and drops the ticket TTL', async () => {
  const result = await record()({ action: 'processing', upload: { ...UPLOAD, time: '2026-11-28T17:14:59Z' } });

  expect(result).toMatchObject({ proceed: true });
  const item = await stored();
  expect(item?.status).toBe('PROCESSING');
  expect(item).not.toHaveProperty('removeAt');
});

it('refuses an upload stored after the ticket ended, like an unissued one, and leaves the ticket as it was', async () => {
  const result = await record()({ action: 'processing', upload: { ...UPLOAD, time: '2026-11-28T17:15:01Z' } });

  expect(result).toMatchObject({ proceed: false, reason: 'unissued' });
  expect(await stored()).toMatchObject({ status: 'PENDING', removeAt: expect.any(Number) });
});
