/**
 * One OpenAPI operation from a fastify route and its entry in ./operations.ts: parameters (path from
 * the URL, query from the route's schema, the headers the gateway reads), the request body, the
 * answers and the refusals, and the partner token with the route's scopes. Reads the route's options;
 * never changes them.
 */
import type { RouteOptions } from 'fastify';
import type { ErrorCode } from '../../errors.js';
import { headerParameterRef, responseHeaderRef, type HeaderParameter } from './headers.js';
import type { Answer, OperationDoc } from './operations.js';
import { errorResponses } from './problem-schemas.js';
import { componentRef, type JsonSchema } from './schema-components.js';

/** What every signed partner request can be refused with (src/auth/partner-auth.ts, verify-token.ts), and what can fail under any of them. */
const PARTNER_REQUEST_ERRORS: ErrorCode[] = [
  'GW_REQUEST_INVALID', // includes a path that is not valid percent-encoded UTF-8
  'GW_AUTH_TOKEN_MISSING', 'GW_AUTH_TOKEN_MALFORMED', 'GW_AUTH_ALG_NOT_ALLOWED', 'GW_AUTH_KEY_UNKNOWN', 'GW_AUTH_SIGNATURE_INVALID',
  'GW_AUTH_ISSUER_UNKNOWN', 'GW_AUTH_AUDIENCE_INVALID', 'GW_AUTH_TOKEN_EXPIRED', 'GW_AUTH_TOKEN_NOT_YET_VALID', 'GW_AUTH_CLAIMS_INVALID',
  'GW_AUTH_TOKEN_REPLAYED', 'GW_AUTH_REQUEST_MISMATCH', 'GW_AUTH_KEYS_UNAVAILABLE', 'GW_AUTH_ADDRESS_NOT_ALLOWED', 'GW_AUTH_SCOPE_MISSING',
  'GW_AUTH_PURPOSE_REQUIRED', // also a malformed X-Request-Purpose on any route
  'GW_AUTH_RATE_LIMITED', 'GW_AUDIT_UNAVAILABLE', 'GW_STORE_UNAVAILABLE', 'GW_INTERNAL',
];

/** What a request with a JSON body can be refused with (src/http/plugins/json-body.ts, the digest check). */
const BODY_ERRORS: ErrorCode[] = [
  'GW_BODY_MALFORMED_JSON', 'GW_BODY_UNSUPPORTED_MEDIA_TYPE', 'GW_BODY_TOO_LARGE', 'GW_BODY_INVALID_UTF8', 'GW_BODY_EMPTY',
  'GW_AUTH_DIGEST_MISSING', 'GW_AUTH_DIGEST_MISMATCH',
];

interface RouteSchema {
  summary?: string;
  params?: { properties?: Record<string, JsonSchema> };
  querystring?: { properties?: Record<string, JsonSchema>; required?: string[] };
  body?: JsonSchema;
  response?: Record<string, JsonSchema>;
}

export interface RouteFacts {
  /** the path as the document lists it, e.g. /v1/records/{recordId} */
  path: string;
  method: string;
  /** a partner API route: signed, authenticated, scoped */
  partnerApi: boolean;
  route: RouteOptions;
}

const pathNames = (path: string) => [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);

/** A parameter's own description moves up from its schema, where OpenAPI tools show it. */
function parameter(name: string, where: 'path' | 'query', schema: JsonSchema, required: boolean, description?: string): JsonSchema {
  const { description: own, ...rest } = structuredClone(schema);
  const text = description ?? own;
  return { name, in: where, required, ...(text ? { description: text } : {}), schema: rest };
}

function parameters(facts: RouteFacts, schema: RouteSchema, doc: OperationDoc | undefined, hasBody: boolean): unknown[] {
  const own = schema.params?.properties ?? {};
  const path = pathNames(facts.path).map((name) => {
    const documented = doc?.pathParameters?.[name];
    return parameter(name, 'path', own[name] ?? documented?.schema ?? { type: 'string' }, true, documented?.description);
  });
  const required = new Set(schema.querystring?.required ?? []);
  const query = Object.entries(schema.querystring?.properties ?? {}).map(([name, s]) => parameter(name, 'query', s, required.has(name)));
  const headers: HeaderParameter[] = [];
  if (hasBody && facts.partnerApi) headers.push('ContentDigest');
  headers.push(...(doc?.headers ?? []));
  if (facts.partnerApi) headers.push('RequestPurpose', 'AcceptLanguage');
  return [...path, ...query, ...headers.map(headerParameterRef)];
}

/** Every declared property required, recursively: a route's response schema lists exactly the members its handler always sets. */
export function requireDeclared(schema: JsonSchema): JsonSchema {
  const out = structuredClone(schema);
  const props = out.properties as Record<string, JsonSchema> | undefined;
  if (props) {
    for (const [k, v] of Object.entries(props)) props[k] = requireDeclared(v);
    out.required = Object.keys(props);
  }
  if (out.items && typeof out.items === 'object') out.items = requireDeclared(out.items as JsonSchema);
  return out;
}

function successResponse(answer: Answer, signed: boolean): JsonSchema {
  const content: Record<string, unknown> = {};
  const schema = answer.routeSchemaAs ? componentRef(answer.routeSchemaAs) : answer.schema;
  if (schema) content[answer.mediaType ?? 'application/json'] = { schema };
  for (const [type, alt] of Object.entries(answer.alternatives ?? {})) content[type] = { schema: alt };
  const names = [...(signed ? (['X-Response-Signature'] as const) : []), ...(answer.headers ?? [])];
  const headers = Object.fromEntries(names.map((n) => [n, responseHeaderRef(n)]));
  return { description: answer.description, ...(names.length ? { headers } : {}), ...(Object.keys(content).length ? { content } : {}) };
}

/**
 * The components an operation brings along: a route's own response schema named by `routeSchemaAs`
 * (every declared member required, see requireDeclared).
 */
export function routeComponents(route: RouteOptions, doc: OperationDoc | undefined): Record<string, JsonSchema> {
  const own = ((route.schema ?? {}) as RouteSchema).response ?? {};
  const out: Record<string, JsonSchema> = {};
  for (const [status, answer] of Object.entries(doc?.answers ?? {})) {
    const schema = own[status];
    if (!answer.routeSchemaAs) continue;
    if (!schema) throw new Error(`${route.method} ${route.url}: no response schema for ${status} to document as ${answer.routeSchemaAs}`);
    out[answer.routeSchemaAs] = requireDeclared(schema);
  }
  return out;
}

function responses(facts: RouteFacts, doc: OperationDoc | undefined, hasBody: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const answers = doc?.answers ?? { 200: { description: 'OK' } };
  for (const [status, answer] of Object.entries(answers)) out[status] = successResponse(answer, facts.partnerApi);
  const codes = new Set<ErrorCode>(doc?.errors ?? []);
  if (facts.partnerApi) PARTNER_REQUEST_ERRORS.forEach((c) => codes.add(c));
  if (facts.partnerApi && hasBody) BODY_ERRORS.forEach((c) => codes.add(c));
  if (facts.partnerApi && pathNames(facts.path).length) codes.add('GW_URL_TOO_LONG');
  return { ...out, ...errorResponses(codes, facts.partnerApi) };
}

/** The route's scope (or any one of its list) as security requirements: the partner token, with the scope as its role. */
function security(route: RouteOptions): Array<Record<string, string[]>> {
  const scope = route.config?.scope;
  const anyOf = scope === undefined ? [] : Array.isArray(scope) ? scope : [scope];
  return anyOf.map((s) => ({ partnerJwt: [s] }));
}

function description(facts: RouteFacts, doc: OperationDoc | undefined): string | undefined {
  const lines = doc?.description ? [doc.description] : [];
  const scope = facts.route.config?.scope;
  if (facts.partnerApi && scope) lines.push(`Scope: ${(Array.isArray(scope) ? scope : [scope]).map((s) => `\`${s}\``).join(' or ')}.`);
  if (facts.route.config?.purposeRequired) lines.push('A purpose is required: `X-Request-Purpose` or the token\'s `purpose` claim (else 403 `GW_AUTH_PURPOSE_REQUIRED`).');
  return lines.length ? lines.join('\n\n') : undefined;
}

/** The request body's media types: JSON, unless the operation documents others (a file upload). */
function requestContent(body: JsonSchema, doc: OperationDoc | undefined): Record<string, { schema: JsonSchema }> {
  if (!doc?.requestContent) return { 'application/json': { schema: structuredClone(body) } };
  return Object.fromEntries(Object.entries(doc.requestContent).map(([type, s]) => [type, { schema: structuredClone(s) }]));
}

export function routeOperation(facts: RouteFacts, doc: OperationDoc | undefined): JsonSchema {
  const schema = (facts.route.schema ?? {}) as RouteSchema;
  const body = doc?.requestBody ?? (facts.method === 'POST' ? schema.body : undefined) ?? (doc?.requestContent ? {} : undefined);
  const text = description(facts, doc);
  const answers = responses(facts, doc, body !== undefined);
  const errorCodes = Object.values(answers).flatMap((r) => (r as { 'x-error-codes'?: string[] })['x-error-codes'] ?? []);
  return {
    ...(doc ? { operationId: doc.operationId, tags: [doc.tag] } : {}),
    summary: schema.summary,
    ...(text ? { description: text } : {}),
    parameters: parameters(facts, schema, doc, body !== undefined),
    ...(body ? { requestBody: { required: true, content: requestContent(body, doc) } } : {}),
    responses: answers,
    security: facts.partnerApi ? security(facts.route) : [],
    ...(errorCodes.length ? { 'x-error-codes': errorCodes } : {}),
  };
}
