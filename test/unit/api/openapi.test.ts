import { compileErrors, validate } from '@readme/openapi-parser';
import { readFileSync } from 'node:fs';
import { buildOpenApiDocument } from '../../../functions/api/openapi';
import { routes } from '../../../functions/api/routes';
import { OPENAPI_PATH, OPENAPI_REGENERATE_HINT, renderOpenApiDocument } from '../../../scripts/openapi-doc';

describe('docs/openapi.json', () => {
  it('is the document generated from the route table and the zod schemas', () => {
    // Arrange
    const committed = readFileSync(OPENAPI_PATH, 'utf8');

    // Act
    const generated = renderOpenApiDocument();

    // Assert: on a mismatch the failure says how to fix it rather than printing both documents.
    expect(committed === generated ? 'up to date' : OPENAPI_REGENERATE_HINT).toBe('up to date');
  });

  it('is a valid OpenAPI 3.1 document', async () => {
    // Arrange
    const document = JSON.parse(readFileSync(OPENAPI_PATH, 'utf8')) as Parameters<typeof validate>[0];

    // Act
    const result = await validate(document);

    // Assert
    expect(result.valid ? 'valid' : compileErrors(result)).toBe('valid');
  });

  it('has one operation per route, with its security and request body', () => {
    // Act
    const document = buildOpenApiDocument() as { paths: Record<string, Record<string, Record<string, unknown>>> };

    // Assert
    for (const route of routes) {
      const operation = document.paths[route.resource]?.[route.method.toLowerCase()];
      expect(operation).toBeDefined();
      expect(operation?.security).toEqual(route.auth ? [{ bearerAuth: [] }] : undefined);
      expect(operation?.requestBody === undefined).toBe(!('bodyModel' in route));
      expect(Object.keys(operation?.responses ?? {})).toEqual(
        expect.arrayContaining(route.auth ? ['401', '500'] : ['500']),
      );
    }
    const operations = Object.values(document.paths).flatMap((item) =>
      Object.keys(item).filter((key) => key !== 'options' && key !== 'parameters'),
    );
    expect(operations).toHaveLength(routes.length);
  });
});
