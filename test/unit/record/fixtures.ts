import type { LabelsResult, ModerateResult, ThumbnailResult, UploadRef } from '../../../functions/shared/media';

/** One upload as the record function's tests see it. */

export const MEDIA_ID = '01JDX3ZK2Q4V5W6X7Y8Z9A0B1C';
export const UPLOAD: UploadRef = {
  bucket: 'media-bucket',
  key: `uploads/alice/${MEDIA_ID}`,
  size: 184320,
  etag: 'b1946ac92492d2347c6235b4d2611184',
  sequencer: '00617F08299329D189',
  time: '2026-11-28T17:20:11Z',
};
/** The sequencer as stored: zero-padded to 32 characters, so that it compares as a string. */
export const SEQ = '0000000000000000617F08299329D189';
export const DERIVED = `derived/${MEDIA_ID}/00617F08299329D189/`;
export const LABELS: LabelsResult = { labels: [{ name: 'Lighthouse', confidence: 97.5, parents: ['Building'] }] };
export const APPROVED: ModerateResult = { verdict: 'APPROVED', labels: [] };
export const REJECTED: ModerateResult = {
  verdict: 'REJECTED',
  labels: [{ name: 'Violence', parentName: '', confidence: 91 }],
};
/** What CreateThumbnails returns for UPLOAD: two renditions and the analysis image, all under DERIVED. */
export const THUMBNAIL: ThumbnailResult = {
  mediaId: MEDIA_ID,
  ownerId: 'alice',
  original: { key: UPLOAD.key, bytes: 184320, contentType: 'image/jpeg', width: 300, height: 400 },
  renditions: [
    { name: 'small', width: 300, height: 400, format: 'webp', key: `${DERIVED}small.webp`, bytes: 432 },
    { name: 'small', width: 300, height: 400, format: 'jpeg', key: `${DERIVED}small.jpg`, bytes: 1394 },
  ],
  analysis: { bucket: 'media-bucket', key: `${DERIVED}analysis.jpg`, width: 300, height: 400, bytes: 1400 },
};
