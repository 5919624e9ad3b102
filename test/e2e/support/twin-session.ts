import { startTwin, type Twin, type TwinOptions } from '../../../local/twin';
import { TwinMediaTable } from './media-table';
import { tokenFor } from './twin-client';

/** What a test file works with: its own twin, alice's token on it and the twin's media table. */
export interface TwinSession {
  twin: Twin;
  token: string;
  mediaTable: TwinMediaTable;
}

/**
 * One twin for the calling test file: started with `options` before its tests, stopped after them.
 * The session's fields are set once the twin has started, so read them inside the tests.
 */
export function twinSession(options: TwinOptions): TwinSession {
  const session = {} as TwinSession;

  beforeAll(async () => {
    session.twin = await startTwin(options);
    session.token = await tokenFor(session.twin, 'alice');
    session.mediaTable = new TwinMediaTable(session.twin);
  }, 60_000);

  afterAll(async () => {
    session.mediaTable?.close();
    await session.twin?.stop();
  });

  return session;
}

/**
 * Injected into CreateThumbnails, it keeps a run holding its claim: the step's Lambda service error
 * is retried only after the retry interval the test set for CreateThumbnails.
 */
export const LAMBDA_UNAVAILABLE = { name: 'Lambda.ServiceException', message: 'Lambda is unavailable' };
