/**
 * Builds the fastify application from an AppContext: body parsing that keeps the raw bytes, one
 * problem+json error path, request metrics, the routes, and the OpenAPI docs.
 */
import helmet from '@fastify/helmet';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { Ajv2020 } from 'ajv/dist/2020.js';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { AppContext } from './context.js';
import { GatewayError } from './errors.js';
import { addRoute, createOpenApiDocument } from './http/openapi.js';
import { asGatewayError, sendProblem } from './http/problem.js';
import { registerPartnerAuth } from './auth/partner-auth.js';
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

export async function buildApp(ctx: AppContext): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: ctx.log as FastifyBaseLogger,
    bodyLimit: ctx.config.server.bodyLimitBytes,
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: true,
    routerOptions: { maxParamLength: 200 },
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
  app.addContentTypeParser(/^application\/([a-z0-9.+-]+\+)?json$/i, { parseAs: 'buffer' }, (request, body, done) => {
    const raw = body as Buffer;
    request.rawBody = raw;
    try {
      done(null, parseJsonBody(raw, request.routeOptions.config.textCheckedPerItem === true));
    } catch (err) {
      done(err as GatewayError, undefined);
    }
  });

  app.setErrorHandler((err, request, reply) => {
    const gwErr = asGatewayError(err as Error);
    if (gwErr.status >= 500) request.log.error({ err }, 'request failed');
    return sendProblem(request, reply, gwErr);
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(request, reply, new GatewayError('GW_ROUTE_NOT_FOUND', {
      zh: `没有接口 ${request.method} ${request.url.split('?')[0]}`,
      en: `no endpoint ${request.method} ${request.url.split('?')[0]}`,
    })),
  );

  // Security headers on every answer (JSON, problem+json, HTML). A JSON answer needs no sources at
  // all; the console page and /docs send their own, narrower-than-default policies.
  await app.register(helmet, {
    contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"] } },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    crossOriginResourcePolicy: { policy: 'same-origin' },
  });

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    ctx.metrics.httpRequests.inc({ route, method: request.method, status: String(reply.statusCode) });
    ctx.metrics.httpDuration.observe({ route, method: request.method }, reply.elapsedTime / 1000);
  });

  // Partner authentication hooks go on before any route (src/auth/partner-auth.ts); null when auth is off.
  const auth = await registerPartnerAuth(app, ctx);

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
