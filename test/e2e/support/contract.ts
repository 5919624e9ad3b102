import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { readFileSync } from 'node:fs';
import type { ApiExchange } from '../../../local/api/server';
import { OPENAPI_PATH } from '../../../scripts/openapi-doc';

/**
 * Checks an answer of the REST API against docs/openapi.json: the status must be one the
 * operation declares, and the body must match that response's schema (JSON with the right
 * content type), or be empty where the response has no content. A path or method the document
 * does not list must get the contract's 404. `/_local/*` is the twin's own, outside the contract.
 */

interface ResponseObject {
  content?: Record<string, { schema: unknown }>;
  $ref?: string;
}
interface OperationObject {
  operationId?: string;
  responses: Record<string, ResponseObject>;
}
interface OpenApiDocument {
  paths: Record<string, Record<string, OperationObject | unknown>>;
  components: { responses: Record<string, ResponseObject> };
}

const DOCUMENT_ID = 'https://contract.local/openapi.json';
const HTTP_METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch']);

export class ContractChecker {
  private readonly document: OpenApiDocument;
  private readonly ajv: Ajv2020;
  private readonly validators = new Map<string, ValidateFunction>();
  private readonly templates: { template: string; pattern: RegExp }[];

  constructor(documentText = readFileSync(OPENAPI_PATH, 'utf8')) {
    this.document = JSON.parse(documentText) as OpenApiDocument;
    // strict: false, because the document holds OpenAPI keywords (paths, info...) around the schemas.
    this.ajv = new Ajv2020({ strict: false, allErrors: false });
    addFormats(this.ajv);
    this.ajv.addSchema({ ...this.document, $id: DOCUMENT_ID });
    this.templates = Object.keys(this.document.paths).map((template) => ({
      template,
      pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`),
    }));
  }

  /** What is wrong with the answer, or undefined when it is one the contract allows. */
  check(exchange: ApiExchange): string | undefined {
    const { method, path, status } = exchange;
    if (path.startsWith('/_local/')) return undefined;
    const where = `${method} ${path} answered ${status}`;
    const template = this.templates.find((candidate) => candidate.pattern.test(path))?.template;
    const operation =
      template === undefined ? undefined : (this.document.paths[template]?.[method.toLowerCase()] as OperationObject);
    if (template === undefined || operation === undefined || !HTTP_METHODS.has(method.toLowerCase())) {
      // Not in the document: the gateway's unknown-route answer.
      if (status !== 404) return `${where}: a path or method outside the contract must get 404`;
      return this.checkBody(exchange, where, '#/components/schemas/Error');
    }
    const declared = operation.responses[String(status)];
    if (declared === undefined) {
      return `${where}: status not declared for ${method.toUpperCase()} ${template} (declared: ${Object.keys(operation.responses).join(', ')})`;
    }
    const response = this.resolve(declared);
    const schema = response.content?.['application/json']?.schema as { $ref?: string } | undefined;
    if (schema === undefined) {
      return exchange.body.length === 0
        ? undefined
        : `${where}: the contract declares no body, got ${preview(exchange)}`;
    }
    if (schema.$ref === undefined) return `${where}: the contract's schema is not a component reference`;
    return this.checkBody(exchange, where, schema.$ref);
  }

  private resolve(response: ResponseObject): ResponseObject {
    if (response.$ref === undefined) return response;
    const name = response.$ref.replace('#/components/responses/', '');
    const resolved = this.document.components.responses[name];
    if (resolved === undefined) throw new Error(`docs/openapi.json: no response ${response.$ref}`);
    return resolved;
  }

  private checkBody(exchange: ApiExchange, where: string, ref: string): string | undefined {
    if (!/^application\/json\b/.test(exchange.contentType ?? '')) {
      return `${where}: content type ${exchange.contentType ?? 'none'}, the contract says application/json`;
    }
    let body: unknown;
    try {
      body = JSON.parse(exchange.body.toString('utf8'));
    } catch {
      return `${where}: the body is not JSON: ${preview(exchange)}`;
    }
    const validate = this.validator(ref);
    if (validate(body)) return undefined;
    const problems = (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`).join('; ');
    return `${where}: the body does not match ${ref}: ${problems} in ${preview(exchange)}`;
  }

  private validator(ref: string): ValidateFunction {
    let validate = this.validators.get(ref);
    if (validate === undefined) {
      validate = this.ajv.getSchema(`${DOCUMENT_ID}${ref}`);
      if (validate === undefined) throw new Error(`docs/openapi.json: no schema ${ref}`);
      this.validators.set(ref, validate);
    }
    return validate;
  }
}

function preview(exchange: ApiExchange): string {
  const text = exchange.body.toString('utf8');
  return text.length > 300 ? `${text.slice(0, 300)}...` : text;
}
