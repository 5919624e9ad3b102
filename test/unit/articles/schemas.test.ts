import { z } from 'zod';
import { createArticleSchema, updateArticleSchema } from '../../../functions/articles/schemas';
import { createUploadSchema } from '../../../functions/media/schemas';

/** The schemas must convert to API Gateway (draft-04) models that say what the function checks. */

const schemas = { createArticleSchema, updateArticleSchema, createUploadSchema };

interface ObjectModel {
  $schema: string;
  type: string;
  properties: Record<string, Record<string, unknown>>;
  required: string[];
  additionalProperties: boolean;
}

function model(schema: z.core.$ZodType): ObjectModel {
  return z.toJSONSchema(schema, { target: 'draft-04' }) as unknown as ObjectModel;
}

describe('request body schemas as API Gateway models', () => {
  it.each(Object.entries(schemas))(
    '%s converts to a draft-04 object model that forbids unknown fields',
    (_name, schema) => {
      const converted = model(schema);

      expect(converted.$schema).toBe('http://json-schema.org/draft-04/schema#');
      expect(converted.type).toBe('object');
      expect(converted.additionalProperties).toBe(false);
    },
  );

  it('accepts the "draft-4" spelling as an alias of "draft-04"', () => {
    expect(z.toJSONSchema(createUploadSchema, { target: 'draft-4' })).toEqual(model(createUploadSchema));
  });

  it('carries the article limits into the model', () => {
    const { properties, required } = model(createArticleSchema);

    expect(required).toEqual(['title', 'body']);
    expect(properties.title).toMatchObject({ type: 'string', minLength: 1, maxLength: 200 });
    expect(properties.body).toMatchObject({ type: 'string', minLength: 1, maxLength: 50_000 });
    expect(properties.tags).toMatchObject({ type: 'array', maxItems: 10, items: { type: 'string', maxLength: 30 } });
    expect(properties.location).toMatchObject({ additionalProperties: false, required: ['name', 'lat', 'lng'] });
    expect(properties.coverMediaId).toMatchObject({ pattern: '^[A-Za-z0-9_-]{1,128}$' });
  });

  it('leaves content type and the size maximum to the function, which answers 415 and 413', () => {
    const { properties, required } = model(createUploadSchema);

    expect(required).toEqual(['contentType', 'contentLength']);
    expect(properties.contentType).not.toHaveProperty('enum');
    expect(properties.contentLength).toMatchObject({ type: 'integer', minimum: 1 });
  });

  it('uses the same rules for PUT as for POST (full replacement)', () => {
    expect(model(updateArticleSchema)).toEqual(model(createArticleSchema));
  });
});

describe('createArticleSchema', () => {
  it('trims the title', () => {
    const parsed = createArticleSchema.parse({ title: '  Porto ', body: 'b' });

    expect(parsed.title).toBe('Porto');
  });

  it('keeps line breaks and tabs in the body', () => {
    const parsed = createArticleSchema.parse({ title: 't', body: 'line one\n\tline two\r\n' });

    expect(parsed.body).toBe('line one\n\tline two\r\n');
  });

  it('keeps text outside the Basic Multilingual Plane (surrogate pairs), which only a lone surrogate fails', () => {
    const parsed = createArticleSchema.parse({
      title: 'Porto \u{1F30A}',
      body: '\u{1F600} \u{1D11E}',
      location: { name: '\u{1F3D6}', lat: 41.1, lng: -8.6 },
    });

    expect(parsed).toMatchObject({ title: 'Porto \u{1F30A}', body: '\u{1F600} \u{1D11E}' });
    expect(createArticleSchema.safeParse({ title: 'Porto \uD83C', body: 'b' }).success).toBe(false);
  });

  it('rejects a tag with a double hyphen', () => {
    const result = createArticleSchema.safeParse({ title: 't', body: 'b', tags: ['street--food'] });

    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['tags', 0]);
  });
});

describe('coordinates DynamoDB can store', () => {
  const withLocation = (lat: number, lng: number) => ({ title: 't', body: 'b', location: { name: 'x', lat, lng } });

  it.each([1e-131, -1e-131, 9.99e-131, 5e-324, -4e-300, -0])('stores %p (nearer zero than 1E-130) as 0', (tiny) => {
    const parsed = createArticleSchema.parse(withLocation(tiny, tiny));

    expect(Object.is(parsed.location?.lat, 0)).toBe(true);
    expect(Object.is(parsed.location?.lng, 0)).toBe(true);
  });

  it.each([1e-130, -1e-130, 1.5e-100, 90, -90, 41.1496])('keeps %p as sent', (value) => {
    const parsed = updateArticleSchema.parse(withLocation(value, value));

    expect(parsed.location?.lat).toBe(value);
    expect(parsed.location?.lng).toBe(value);
  });

  it.each([
    [90.000001, 0, 'location.lat'],
    [0, -180.5, 'location.lng'],
  ])('still refuses lat %p, lng %p outside the WGS 84 range', (lat, lng, field) => {
    const result = createArticleSchema.safeParse(withLocation(lat, lng));

    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path.join('.')).toBe(field);
  });

  it('keeps the gateway model a plain bounded number (the normalisation happens in the function)', () => {
    const location = model(createArticleSchema).properties.location as { properties: Record<string, unknown> };

    expect(location.properties.lat).toEqual({ type: 'number', minimum: -90, maximum: 90 });
    expect(location.properties.lng).toEqual({ type: 'number', minimum: -180, maximum: 180 });
  });
});
