import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  applyInputTransformer,
  loadInputTransformer,
  renderInputTemplate,
} from '../../../infra/definitions/input-transformer';

const ROOT = path.resolve(__dirname, '../../..');
const sample = JSON.parse(readFileSync(path.join(ROOT, 'events/samples/object-created.json'), 'utf8')) as Record<
  string,
  unknown
>;
const uploaded = loadInputTransformer(path.join(ROOT, 'events/media-uploaded.input.json'));

describe('the upload rule input (events/media-uploaded.input.json)', () => {
  it('passes only bucket, key, size, ETag, sequencer and time to the state machine', () => {
    const input = applyInputTransformer(uploaded, sample);

    expect(input).toEqual({
      time: '2026-11-28T17:20:11Z',
      detail: {
        bucket: { name: 'travel-guide-media-dev' },
        object: {
          key: 'uploads/alice/01JDX3ZK2Q4V5W6X7Y8Z9A0B1C',
          size: 184320,
          etag: 'b1946ac92492d2347c6235b4d2611184',
          sequencer: '00617F08299329D189',
        },
      },
    });
  });

  it('leaves out the uploader IP address, the requester and the request id', () => {
    const text = JSON.stringify(applyInputTransformer(uploaded, sample));

    expect(text).not.toContain('203.0.113.15');
    expect(text).not.toContain('111122223333');
    expect(text).not.toContain('N4N7GDK58NMKJ12R');
  });

  it('is the InputTemplate EventBridge receives: whole-value placeholders unquoted', () => {
    expect(uploaded.inputTemplate).toBe(
      '{"time":<time>,"detail":{"bucket":{"name":<bucket>},"object":{"key":<key>,"size":<size>,"etag":<etag>,"sequencer":<sequencer>}}}',
    );
    expect(uploaded.inputPathsMap).toEqual({
      bucket: '$.detail.bucket.name',
      key: '$.detail.object.key',
      size: '$.detail.object.size',
      etag: '$.detail.object.etag',
      sequencer: '$.detail.object.sequencer',
      time: '$.time',
    });
  });
});

describe('applyInputTransformer (EventBridge semantics)', () => {
  const transformer = {
    inputPathsMap: { key: '$.detail.object.key', size: '$.detail.object.size', gone: '$.detail.nothing' },
    inputTemplate: '',
  };

  it('inserts unquoted values as JSON, so strings with quotes or spaces stay intact and numbers stay numbers', () => {
    const event = { detail: { object: { key: 'uploads/a "b" c\\d', size: 7 } } };

    const out = applyInputTransformer({ ...transformer, inputTemplate: '{"k":<key>,"s":<size>,"g":<gone>}' }, event);

    expect(out).toEqual({ k: 'uploads/a "b" c\\d', s: 7, g: null });
  });

  it('inserts a value inside a JSON string as text', () => {
    const out = applyInputTransformer(
      { ...transformer, inputTemplate: '{"m":"<key> is <size> bytes"}' },
      { detail: { object: { key: 'k', size: 3 } } },
    );

    expect(out).toEqual({ m: 'k is 3 bytes' });
  });

  it('refuses a template that names a variable the paths map lacks', () => {
    expect(() => renderInputTemplate({ a: '<nope>' }, new Set(['key']))).toThrow(/<nope>/);
  });
});
