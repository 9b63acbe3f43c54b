/**
 * The OpenAPI 3.1 document behind /docs, built from the routes as they are registered and from the
 * same JSON Schema files the validator uses (OpenAPI 3.1 speaks JSON Schema 2020-12 natively).
 */
import type { RouteOptions } from 'fastify';
import { loadSchemaFiles } from '../validation/schema-files.js';

export interface OpenApiDocument {
  openapi: string;
  info: Record<string, unknown>;
  paths: Record<string, Record<string, unknown>>;
  components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
  security: Array<Record<string, string[]>>;
}

const componentName = (name: string) => name.replace(/[^A-Za-z0-9_-]/g, '_');

export function createOpenApiDocument(version: string): OpenApiDocument {
  const schemas: Record<string, unknown> = {};
  for (const f of loadSchemaFiles()) schemas[componentName(f.name)] = f.schema;
  return {
    openapi: '3.1.0',
    info: {
      title: 'Credit-exchange gateway / 信用信息交换网关',
      version,
      description: 'Push, query and subscribe to credit records keyed by the unified social credit code. Errors are RFC 9457 problem+json.',
    },
    paths: {},
    components: {
      schemas,
      securitySchemes: { partnerJwt: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT (ES256/PS256/EdDSA, signed by the partner)' } },
    },
    security: [{ partnerJwt: [] }],
  };
}

function toParameters(schema: unknown, where: 'query' | 'path'): unknown[] {
  const s = schema as { properties?: Record<string, unknown>; required?: string[] } | undefined;
  return Object.entries(s?.properties ?? {}).map(([name, prop]) => ({
    name,
    in: where,
    required: where === 'path' || (s?.required ?? []).includes(name),
    schema: prop,
  }));
}

/** Adds one route to the document (called from fastify's onRoute hook). */
export function addRoute(doc: OpenApiDocument, route: RouteOptions): void {
  const schema = (route.schema ?? {}) as Record<string, unknown>;
  if (schema.hide) return;
  const url = route.url.replace(/:([A-Za-z]+)/g, '{$1}').replace(/\*$/, '{name}');
  const methods = (Array.isArray(route.method) ? route.method : [route.method]).filter((m) => m !== 'HEAD');
  for (const method of methods) {
    const op: Record<string, unknown> = {
      summary: schema.summary,
      parameters: [...toParameters(schema.params, 'path'), ...toParameters(schema.querystring, 'query')],
      responses: {
        '200': { description: 'OK' },
        default: { description: 'Problem (RFC 9457)', content: { 'application/problem+json': {} } },
      },
    };
    if (url.endsWith('{name}')) (op.parameters as unknown[]).push({ name: 'name', in: 'path', required: true, schema: { type: 'string' } });
    if (schema.openapiBody) op.requestBody = { required: true, content: { 'application/json': { schema: schema.openapiBody } } };
    doc.paths[url] = { ...(doc.paths[url] ?? {}), [method.toLowerCase()]: op };
  }
}
