/**
 * The OpenAPI 3.1 document behind /docs, built from the routes as they are registered and from the
 * same JSON Schema files the validator uses (OpenAPI 3.1 speaks JSON Schema 2020-12 natively).
 *
 *   components.schemas   every schemas/ file and `$defs` entry (./openapi/schema-components.ts), the
 *                        answers (./openapi/record-answers.ts, operations-answers.ts) and `Problem`
 *   paths                one operation per route (./openapi/route-operation.ts), described further by
 *                        the table in ./openapi/operations.ts, keyed by method and path
 *
 * Routes are added as fastify registers them (addRoute, from an onRoute hook); finishOpenApiDocument
 * runs when the application is ready.
 *
 * The document only reads the routes' options: what validates and serialises a request is the
 * route's own schema, untouched.
 */
import type { RouteOptions } from 'fastify';
import { loadSchemaFiles } from '../validation/schema-files.js';
import { HEADER_PARAMETERS, RESPONSE_HEADERS } from './openapi/headers.js';
import { OPERATIONS, TAGS } from './openapi/operations.js';
import { operationsAnswerComponents } from './openapi/operations-answers.js';
import { PROBLEM_FIELD_ERROR, problemSchema } from './openapi/problem-schemas.js';
import { pruneUnreachable } from './openapi/prune.js';
import { recordAnswerComponents } from './openapi/record-answers.js';
import { routeComponents, routeOperation } from './openapi/route-operation.js';
import { categorySchemaNames, schemaComponents } from './openapi/schema-components.js';
import { PARTNER_JWT_SCHEME } from './openapi/security.js';

export interface OpenApiDocument {
  openapi: string;
  info: Record<string, unknown>;
  servers: Array<Record<string, unknown>>;
  tags: Array<Record<string, unknown>>;
  paths: Record<string, Record<string, unknown>>;
  components: {
    schemas: Record<string, unknown>;
    parameters: Record<string, unknown>;
    headers: Record<string, unknown>;
    securitySchemes: Record<string, unknown>;
  };
  security: Array<Record<string, string[]>>;
}

const DESCRIPTION = [
  'Push, query and subscribe to credit records keyed by the unified social credit code (统一社会信用代码).',
  '',
  'Every /v1 request is signed by a registered partner agency (security scheme `partnerJwt`) and every /v1 answer, refusals included, ' +
    'is signed by the gateway (`X-Response-Signature`). Refusals are RFC 9457 `application/problem+json` with a stable `code`; ' +
    'each operation lists the codes it can answer with (`x-error-codes`, and per status in its responses).',
].join('\n');

function components(): OpenApiDocument['components'] {
  const files = loadSchemaFiles();
  return {
    schemas: {
      ...schemaComponents(files),
      ...recordAnswerComponents(categorySchemaNames(files)),
      ...operationsAnswerComponents(),
      Problem: problemSchema(),
      ProblemFieldError: PROBLEM_FIELD_ERROR,
    },
    parameters: structuredClone(HEADER_PARAMETERS) as Record<string, unknown>,
    headers: structuredClone(RESPONSE_HEADERS) as Record<string, unknown>,
    securitySchemes: { partnerJwt: PARTNER_JWT_SCHEME },
  };
}

export function createOpenApiDocument(version: string): OpenApiDocument {
  return {
    openapi: '3.1.0',
    info: { title: 'Credit-exchange gateway / 信用信息交换网关', version, description: DESCRIPTION },
    servers: [{ url: '/', description: 'this gateway' }],
    tags: TAGS.map((t) => ({ ...t })),
    paths: {},
    components: components(),
    security: [{ partnerJwt: [] }],
  };
}

/** The path as the document lists it: `:param` becomes `{param}`, a trailing wildcard `{name}`. */
export const documentPath = (url: string): string => url.replace(/:([A-Za-z]+)/g, '{$1}').replace(/\*$/, '{name}');

/** Adds one route to the document (called from fastify's onRoute hook). */
export function addRoute(doc: OpenApiDocument, route: RouteOptions): void {
  if ((route.schema as { hide?: boolean } | undefined)?.hide) return;
  const path = documentPath(route.url);
  const partnerApi = path.startsWith('/v1/');
  const methods = (Array.isArray(route.method) ? route.method : [route.method]).filter((m) => m !== 'HEAD');
  for (const method of methods) {
    const documented = OPERATIONS[`${method} ${path}`];
    Object.assign(doc.components.schemas, routeComponents(route, documented));
    const operation = routeOperation({ path, method, partnerApi, route }, documented);
    doc.paths[path] = { ...(doc.paths[path] ?? {}), [method.toLowerCase()]: operation };
  }
}

/**
 * Completes the document once every route is in (fastify's onReady): the schema-file components no
 * operation reaches are left out (./openapi/prune.ts).
 */
export function finishOpenApiDocument(doc: OpenApiDocument): void {
  pruneUnreachable(doc, Object.keys(schemaComponents(loadSchemaFiles())));
}
