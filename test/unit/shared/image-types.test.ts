import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { ACCEPTED_UPLOAD_TYPES } from '../../../functions/media/media-service';
import { IMAGE_CONTENT_TYPES } from '../../../functions/shared/media';

/** The formats the pipeline takes are listed once; the front end's file picker is plain HTML, so it is compared. */

describe('image formats', () => {
  it('are the types the media function issues upload forms for', () => {
    expect(ACCEPTED_UPLOAD_TYPES).toEqual(Object.values(IMAGE_CONTENT_TYPES));
  });

  it("are the types the front end's file picker offers", () => {
    const html = readFileSync(path.join(__dirname, '..', '..', '..', 'web', 'index.html'), 'utf8');
    const accept = /<input id="photo-file"[^>]*\saccept="([^"]*)"/.exec(html)?.[1];

    expect(accept?.split(',')).toEqual(Object.values(IMAGE_CONTENT_TYPES));
  });
});
