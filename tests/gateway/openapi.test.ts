import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { API_OPERATIONS, openApiDocument } from '../../services/gateway/src/http/openapi';
import { routeTable } from '../../services/gateway/src/http/route-table';
import { startGateway, type InProcessGateway } from './support/in-process-gateway';

/**
 * The OpenAPI 3.1 document: served without a key, documents exactly the routes the app has
 * (read from express, admin API on), and its examples satisfy both the zod schemas the routes
 * use and the JSON Schemas generated from them.
 */

let gateway: InProcessGateway;

beforeAll(async () => {
  gateway = await startGateway({ adminToken: 'openapi-admin-token-0123' });
});

afterAll(async () => {
  await gateway?.close();
});

interface MediaObject {
  schema?: Record<string, unknown>;
  example?: unknown;
}

describe('GET /v1/openapi.json', () => {
  it('is served without an API key and is OpenAPI 3.1', async () => {
    const response = await fetch(`${gateway.baseUrl}/v1/openapi.json`);
    expect(response.status).toBe(200);
    const document = (await response.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(document.openapi).toBe('3.1.0');
    expect(document).toEqual(JSON.parse(JSON.stringify(openApiDocument())));
  });

  it('documents exactly the routes the app serves', () => {
    const served = routeTable(gateway.app).map((route) => `${route.method} ${route.path}`).sort();
    const documented = API_OPERATIONS.map((operation) => `${operation.method} ${operation.path}`).sort();
    expect(documented).toEqual(served);
    const document = openApiDocument() as { paths: Record<string, Record<string, unknown>> };
    const inDocument = Object.entries(document.paths)
      .flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`))
      .sort();
    expect(inDocument).toEqual(served);
    const operationIds = Object.values(document.paths).flatMap((methods) => Object.values(methods).map((operation) => (operation as { operationId: string }).operationId));
    expect(new Set(operationIds).size).toBe(operationIds.length);
  });

  it('has examples that satisfy the zod schemas and the generated JSON Schemas', () => {
    let checked = 0;
    for (const operation of API_OPERATIONS) {
      if (operation.body !== undefined && operation.body !== 'multipart-file') {
        expect({ route: `${operation.method} ${operation.path}`, issues: operation.body.schema.safeParse(operation.body.example).error?.issues ?? [] }).toEqual({
          route: `${operation.method} ${operation.path}`,
          issues: [],
        });
        checked += 1;
      }
      for (const [status, spec] of Object.entries(operation.responses)) {
        if (spec.example === undefined || spec.schema === undefined) continue;
        const route = `${operation.method} ${operation.path} ${status}`;
        expect({ route, issues: spec.schema.safeParse(spec.example).error?.issues ?? [] }).toEqual({ route, issues: [] });
        checked += 1;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(20);

    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(ajv);
    const document = openApiDocument() as { paths: Record<string, Record<string, { requestBody?: { content: Record<string, MediaObject> }; responses: Record<string, { content?: Record<string, MediaObject> }> }>> };
    let validated = 0;
    for (const [path, methods] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(methods)) {
        const media = [
          ...Object.values(operation.requestBody?.content ?? {}),
          ...Object.values(operation.responses).flatMap((response) => Object.values(response.content ?? {})),
        ];
        for (const item of media) {
          if (item.schema === undefined) continue;
          const validate = ajv.compile(item.schema);
          if (item.example === undefined) continue;
          const valid = validate(item.example);
          expect({ route: `${method} ${path}`, errors: valid ? null : validate.errors }).toEqual({ route: `${method} ${path}`, errors: null });
          validated += 1;
        }
      }
    }
    expect(validated).toBe(checked);
  });
});
