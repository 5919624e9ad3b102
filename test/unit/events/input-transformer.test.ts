import * as path from 'node:path';
import {
  applyInputTransformer,
  loadInputTransformer,
  renderInputTemplate,
} from '../../../infra/definitions/input-transformer';
import { SAMPLE_PIPELINE_INPUT, SAMPLE_UPLOAD_EVENT_TEXT } from '../../fixtures/upload-event';

const ROOT = path.resolve(__dirname, '../../..');
const sample = JSON.parse(SAMPLE_UPLOAD_EVENT_TEXT) as Record<string, unknown>;
const uploaded = loadInputTransformer(path.join(ROOT, 'events/media-uploaded.input.json'));

describe('the upload rule input (events/media-uploaded.input.json)', () => {
  it('passes only bucket, key, size, ETag, sequencer, version id and time to the state machine', () => {
    const input = applyInputTransformer(uploaded, sample);

    expect(input).toEqual(SAMPLE_PIPELINE_INPUT);
  });

  it('passes no version id for an unversioned bucket, whose events carry none', () => {
    const unversioned = structuredClone(sample) as { detail: { object: Record<string, unknown> } };
    delete unversioned.detail.object['version-id'];

    const input = applyInputTransformer(uploaded, unversioned) as { detail: { object: Record<string, unknown> } };

    expect(input.detail.object.versionId).toBeNull();
  });

  it('leaves out the uploader IP address, the requester and the request id', () => {
    const text = JSON.stringify(applyInputTransformer(uploaded, sample));

    expect(text).not.toContain('203.0.113.15');
    expect(text).not.toContain('111122223333');
    expect(text).not.toContain('N4N7GDK58NMKJ12R');
  });

  it('is the InputTemplate EventBridge receives: whole-value placeholders unquoted', () => {
    expect(uploaded.inputTemplate).toBe(
      '{"time":<time>,"detail":{"bucket":{"name":<bucket>},"object":{"key":<key>,"size":<size>,"etag":<etag>,"sequencer":<sequencer>,"versionId":<versionId>}}}',
    );
    expect(uploaded.inputPathsMap).toEqual({
      bucket: '$.detail.bucket.name',
      key: '$.detail.object.key',
      size: '$.detail.object.size',
      etag: '$.detail.object.etag',
      sequencer: '$.detail.object.sequencer',
      versionId: '$.detail.object.version-id',
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
