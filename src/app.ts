/**
 * Builds the fastify application from an AppContext: body parsing that keeps the raw bytes, one
 * problem+json error path, request metrics, the routes, and the OpenAPI docs.
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { Ajv2020 } from 'ajv/dist/2020.js';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { AppContext } from './context.js';
import { GatewayError } from './errors.js';
import { addRoute, createOpenApiDocument } from './http/openapi.js';
import { asGatewayError, sendProblem } from './http/problem.js';
import { setSecurityHeaders } from './http/security-headers.js';
import { answerRefusedBeforeRouting, registerPartnerAuth, type AuthRuntime } from './auth/partner-auth.js';
import { registerCatalogRoutes } from './routes/catalog.js';
import { registerCheckRoutes } from './routes/checks.js';
import { registerObjectionRoutes } from './routes/objections.js';
import { registerRepairRoutes } from './routes/repairs.js';
import { registerConnectorRoutes } from './routes/connectors.js';
import { registerJwksRoutes } from './routes/jwks.js';
import { registerHealthRoutes } from './routes/health.js';
import { registerRecordRoutes } from './routes/records.js';
import { registerSubjectRoutes } from './routes/subjects.js';
import { registerAlertRoutes } from './routes/alerts.js';
import { registerReportRoutes } from './routes/reports.js';
import { registerConsoleRoutes } from './routes/console.js';
import { addIdentifierFormats } from './validation/formats.js';
import { textFaults } from './validation/text.js';

export const VERSION = '0.1.0';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** the route checks the text of each item itself (a batch: one bad item is rejected, the others stored) */
    textCheckedPerItem?: boolean;
  }
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** JSON is UTF-8 (RFC 8259): a charset parameter, if any, must say so. */
function assertUtf8Charset(contentType: string | undefined): void {
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(contentType ?? '')?.[1]?.toLowerCase();
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    throw new GatewayError('GW_BODY_UNSUPPORTED_MEDIA_TYPE', { zh: `JSON 须为 UTF-8 编码，不支持 charset=${charset.slice(0, 40)}`, en: `JSON must be UTF-8; charset=${charset.slice(0, 40)} is not supported` });
  }
}

/**
 * A JSON body: valid UTF-8 (400 GW_BODY_INVALID_UTF8, never silently replaced by U+FFFD), valid JSON,
 * and — unless the route checks each item itself — text without control characters or unpaired
 * surrogates (400 GW_REQUEST_INVALID naming the field).
 */
function parseJsonBody(raw: Buffer, textCheckedPerItem: boolean): unknown {
  if (raw.length === 0) throw new GatewayError('GW_BODY_EMPTY');
  let text: string;
  try {
    text = UTF8.decode(raw);
  } catch {
    throw new GatewayError('GW_BODY_INVALID_UTF8');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new GatewayError('GW_BODY_MALFORMED_JSON', {
      zh: `JSON 解析失败：${(err as Error).message}`,
      en: `JSON parse error: ${(err as Error).message}`,
    });
  }
  const faults = textCheckedPerItem ? [] : textFaults(parsed);
  if (faults.length) throw new GatewayError('GW_REQUEST_INVALID', { errors: faults });
  return parsed;
}

/** longest path parameter the router takes (a record id is 36 characters, a schema name under 100) */
const MAX_PARAM_LENGTH = 200;

function routerRefusal(err: Error & { code?: string }): GatewayError {
  if (err.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    return new GatewayError('GW_URL_TOO_LONG', { zh: `路径参数超过 ${MAX_PARAM_LENGTH} 个字符`, en: `a path parameter is longer than ${MAX_PARAM_LENGTH} characters` });
  }
  return new GatewayError('GW_REQUEST_INVALID', {
    zh: '请求路径不是合法的百分号编码 UTF-8', en: 'the request path is not valid percent-encoded UTF-8',
    errors: [{ pointer: '/path', rule: 'url.encoding', zh: '路径中的百分号编码无法解码', en: 'a percent-escape in the path cannot be decoded' }],
  });
}

/**
 * fastify closes the connection after refusing a body as too large, without reading it. A client still
 * uploading then gets a TCP reset, and may lose the 413 with it. A body whose declared length is at
 * most four times the limit is read to its end and discarded instead (Node does that for a kept-alive
 * connection), so the client reads its answer; a longer or undeclared one still closes at once.
 */
function keepReadingOversizedBody(request: FastifyRequest, reply: FastifyReply, bodyLimit: number): void {
  const declared = Number(request.headers['content-length']);
  if (Number.isInteger(declared) && declared <= 4 * bodyLimit) reply.removeHeader('connection');
}

export async function buildApp(ctx: AppContext): Promise<FastifyInstance> {
  // set once partner authentication is registered (below); the router's refusals of /v1 requests use it
  let auth: AuthRuntime | null = null;
  const app = Fastify({
    loggerInstance: ctx.log as FastifyBaseLogger,
    bodyLimit: ctx.config.server.bodyLimitBytes,
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: true,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // the router's own refusals (a path that is not valid percent-encoded UTF-8, a parameter over
    // the length limit) answer like every other refusal: problem+json, security headers, and on /v1
    // signed and audited (before any hook has run, so this sets up what the hooks would have)
    frameworkErrors: (err, request, reply) => {
      void setSecurityHeaders(request.raw, reply.raw).then(() => {
        const refusal = routerRefusal(err);
        const isV1 = request.url === '/v1' || request.url.startsWith('/v1/');
        if (auth && isV1) return answerRefusedBeforeRouting(auth, request, reply, refusal);
        sendProblem(request, reply, refusal);
        return undefined;
      }).catch((e: unknown) => request.log.error({ err: e }, 'answering a refused request failed'));
    },
  });

  // Route schemas (draft 2020-12): query strings and path parameters arrive as text and are coerced;
  // JSON bodies are checked as sent, never coerced.
  const paramsAjv = new Ajv2020({ coerceTypes: 'array', useDefaults: true, allErrors: true, strict: false });
  const bodyAjv = new Ajv2020({ useDefaults: true, allErrors: true, strict: false });
  addIdentifierFormats(paramsAjv);
  addIdentifierFormats(bodyAjv);
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? bodyAjv : paramsAjv).compile(schema));

  app.decorateRequest('principal', null);
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(/^application\/([a-z0-9.+-]+\+)?json(\s*;.*)?$/i, { parseAs: 'buffer' }, (request, body, done) => {
    const raw = body as Buffer;
    request.rawBody = raw;
    try {
      assertUtf8Charset(request.headers['content-type']);
      done(null, parseJsonBody(raw, request.routeOptions.config.textCheckedPerItem === true));
    } catch (err) {
      done(err as GatewayError, undefined);
    }
  });

  app.setErrorHandler((err, request, reply) => {
    const gwErr = asGatewayError(err as Error);
    if (gwErr.status >= 500) request.log.error({ err }, 'request failed');
    if (gwErr.code === 'GW_BODY_TOO_LARGE') keepReadingOversizedBody(request, reply, ctx.config.server.bodyLimitBytes);
    return sendProblem(request, reply, gwErr);
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(request, reply, new GatewayError('GW_ROUTE_NOT_FOUND', {
      zh: `没有接口 ${request.method} ${request.url.split('?')[0]}`,
      en: `no endpoint ${request.method} ${request.url.split('?')[0]}`,
    })),
  );

  app.addHook('onRequest', async (request, reply) => setSecurityHeaders(request.raw, reply.raw));

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    ctx.metrics.httpRequests.inc({ route, method: request.method, status: String(reply.statusCode) });
    ctx.metrics.httpDuration.observe({ route, method: request.method }, reply.elapsedTime / 1000);
  });

  // Partner authentication hooks go on before any route (src/auth/partner-auth.ts); null when auth is off.
  auth = await registerPartnerAuth(app, ctx);

  const openapi = createOpenApiDocument(VERSION);
  app.addHook('onRoute', (route) => addRoute(openapi, route));
  await app.register(swagger, { mode: 'static', specification: { document: openapi as never } });
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    // the UI's own policy (hashes of its inline scripts), but never framed, and no upgrade to https
    // that a plain-HTTP development gateway could not answer
    staticCSP: true,
    transformStaticCSP: (csp) => csp.replace("frame-ancestors 'self'", "frame-ancestors 'none'").replace(/\s*upgrade-insecure-requests;?/, ''),
  });

  await registerHealthRoutes(app, ctx);
  if (auth) await registerJwksRoutes(app, auth.keys);
  await registerCatalogRoutes(app, ctx);
  await registerRecordRoutes(app, ctx);
  await registerSubjectRoutes(app, ctx);
  await registerObjectionRoutes(app, ctx);
  await registerRepairRoutes(app, ctx);
  await registerCheckRoutes(app, ctx);
  await registerConnectorRoutes(app, ctx);
  await registerReportRoutes(app, ctx);
  await registerAlertRoutes(app, ctx);
  await registerConsoleRoutes(app, ctx);
  return app;
}
