/**
 * The operator console: GET /console (a plain Chinese page with its script and styles) and its JSON
 * API under /console/api, for operators signed in with a configured credential (console.operators).
 *
 * Sessions are server-side (src/console/sign-in.ts); the cookie (HttpOnly, SameSite=Strict,
 * Path=/console) holds a random id. Every state-changing request (POST, PUT, PATCH, DELETE) must come
 * from the console's own origin (Origin, else Referer); every one but sign-in must also carry the
 * session's CSRF token in X-CSRF-Token. Routes in the operator scope need a live session.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import { connectorPanel, runConnectorNow } from '../console/connectors-view.js';
import { uploadsStatus } from '../uploads/status.js';
import { deliveriesPanel, redeliverForOperator } from '../console/deliveries-view.js';
import { registerUploadApi, registerUploadPage } from '../console/uploads-page.js';
import { openObjections, pendingRecords, recentRejects, subjectRecordsAnyState, throughput } from '../store/console-read.js';
import { CSRF_HEADER, SESSION_COOKIE, clearedSessionCookie, cookieValue, sameOrigin, sameToken, sessionCookie } from '../console/session.js';
import { sessionOf, signIn, signOut, type OperatorSession, type SignInDeps } from '../console/sign-in.js';
import { checkUscc } from '../domain/uscc.js';
import { GatewayError } from '../errors.js';
import { listAlerts } from '../monitoring/alerts-store.js';
import { reportCsvFilename, reportToCsv } from '../monitoring/report-csv.js';
import { parsePeriod, quarterOf } from '../monitoring/report-period.js';
import { REPORT_LEVELS, buildIntegrityReport, type ReportLevel } from '../monitoring/report.js';

const ASSETS = join(dirname(fileURLToPath(import.meta.url)), '../console/assets');
const asset = (name: string) => readFileSync(join(ASSETS, name), 'utf8');

const PAGE_HEADERS = {
  'content-security-policy': "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'cache-control': 'no-store',
};
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

declare module 'fastify' {
  interface FastifyRequest {
    operator?: OperatorSession;
  }
}

export async function registerConsoleRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const deps: SignInDeps = { pool: ctx.pool, config: ctx.config.console, outbox: ctx.outbox };
  registerPage(app);
  registerUploadPage(app); // file uploads (issue 18)
  await app.register(async (api) => registerApi(api, ctx, deps));
}

/** The page, its script and its styles: read once, when the routes are registered. */
function registerPage(app: FastifyInstance): void {
  const files = { html: asset('console.html'), js: asset('console.js'), css: asset('console.css') };

  app.get('/console', { schema: { hide: true } }, async (_request, reply) => reply.headers(PAGE_HEADERS).type('text/html; charset=utf-8').send(files.html));
  app.get('/console/console.js', { schema: { hide: true } }, async (_request, reply) =>
    reply.headers(PAGE_HEADERS).type('text/javascript; charset=utf-8').send(files.js));
  app.get('/console/console.css', { schema: { hide: true } }, async (_request, reply) =>
    reply.headers(PAGE_HEADERS).type('text/css; charset=utf-8').send(files.css));
}

/**
 * The JSON API, in a scope of its own so its hooks apply to it alone: signing in and out, then the
 * panels' routes in the operator scope, behind a live session.
 */
async function registerApi(api: FastifyInstance, ctx: AppContext, deps: SignInDeps): Promise<void> {
  // before the body is even read: a state-changing request from another origin does nothing
  api.addHook('onRequest', async (request) => {
    if (SAFE_METHODS.has(request.method)) return;
    if (!sameOrigin(request.headers, deps.config.allowedOrigins)) {
      throw new GatewayError('GW_CONSOLE_CSRF_REFUSED', {
        zh: '请求的 Origin（或 Referer）不是本控制台的地址', en: 'the Origin (or Referer) of the request is not the console\'s own',
      });
    }
  });
  registerSignIn(api, ctx, deps);
  registerSessionState(api, deps);
  registerSignOut(api, ctx, deps);

  await api.register(async (operator) => {
    operator.addHook('preHandler', async (request) => {
      const session = await cookieSession(deps, request);
      if (!session) throw new GatewayError('GW_CONSOLE_SIGNIN_REQUIRED');
      assertCsrfToken(request, session);
      request.operator = session;
    });
    registerOperatorRoutes(operator, ctx);
  });
}

/** The session the request's cookie names, if it is still live. */
function cookieSession(deps: SignInDeps, request: FastifyRequest): Promise<OperatorSession | null> {
  return sessionOf(deps, cookieValue(request.headers.cookie, SESSION_COOKIE));
}

/** A state-changing request must also carry its session's CSRF token, which another site cannot read. */
function assertCsrfToken(request: FastifyRequest, session: OperatorSession): void {
  const given = request.headers[CSRF_HEADER];
  if (!SAFE_METHODS.has(request.method) && !sameToken(typeof given === 'string' ? given : undefined, session.csrfToken)) {
    throw new GatewayError('GW_CONSOLE_CSRF_REFUSED', { zh: 'X-CSRF-Token 缺失或不正确', en: 'X-CSRF-Token is missing or wrong' });
  }
}

/** POST /console/api/session: signs an operator in and sets the session cookie; the sign-in, or its refusal, is logged. */
function registerSignIn(api: FastifyInstance, ctx: AppContext, deps: SignInDeps): void {
  const cfg = deps.config;
  api.post<{ Body: { username: string; password: string } }>(
    '/console/api/session',
    {
      schema: {
        hide: true,
        body: {
          type: 'object',
          required: ['username', 'password'],
          properties: { username: { type: 'string', maxLength: 64 }, password: { type: 'string', maxLength: 1024 } },
        },
      },
    },
    async (request, reply) => {
      if (!cfg.operators.length) {
        throw new GatewayError('GW_CONSOLE_NO_OPERATORS', {
          zh: '尚未配置运维人员。运行 npm run operator:add -- <用户名>，把输出的条目加入 CONFIG_FILE 指定的配置文件（console.operators）后重启网关。',
          en: 'No operator is configured. Run `npm run operator:add -- <username>` and add the printed entry to console.operators in the file named by CONFIG_FILE, then restart.',
        });
      }
      const { username, password } = request.body;
      const address = request.ip ?? 'unknown';
      let started: Awaited<ReturnType<typeof signIn>>;
      try {
        started = await signIn(deps, username, password, address);
      } catch (err) {
        ctx.log.warn({ username, ip: address, code: (err as GatewayError).code }, 'console sign-in refused');
        throw err;
      }
      ctx.log.info({ username, ip: address }, 'console sign-in');
      const { id, session } = started;
      return reply
        .header('set-cookie', sessionCookie(id, cfg.sessionTtlMinutes * 60))
        .send({ username, expiresAt: session.expiresAt.toISOString(), csrfToken: session.csrfToken });
    },
  );
}

/** GET /console/api/session: whether the request is signed in, and as whom. */
function registerSessionState(api: FastifyInstance, deps: SignInDeps): void {
  // Answers 200 either way, so the page can ask without a failed request in the browser's console.
  api.get('/console/api/session', { schema: { hide: true } }, async (request) => {
    const session = await cookieSession(deps, request);
    if (!session) return { signedIn: false, operatorsConfigured: deps.config.operators.length > 0 };
    return { signedIn: true, username: session.username, expiresAt: session.expiresAt.toISOString(), csrfToken: session.csrfToken };
  });
}

/** DELETE /console/api/session: ends the session, if there is one, and clears the cookie either way. */
function registerSignOut(api: FastifyInstance, ctx: AppContext, deps: SignInDeps): void {
  api.delete('/console/api/session', { schema: { hide: true } }, async (request, reply) => {
    const session = await cookieSession(deps, request);
    if (session) {
      assertCsrfToken(request, session);
      await signOut(deps, cookieValue(request.headers.cookie, SESSION_COOKIE));
      ctx.log.info({ username: session.username }, 'console sign-out');
    }
    return reply.header('set-cookie', clearedSessionCookie()).send({ signedOut: true });
  });
}

/** The panels' API, for a signed-in operator. */
function registerOperatorRoutes(app: FastifyInstance, ctx: AppContext): void {
  // Health reuses /readyz itself, so the console never disagrees with the readiness probe.
  app.get('/console/api/health', { schema: { hide: true } }, async () => {
    const res = await app.inject({ method: 'GET', url: '/readyz' });
    return { httpStatus: res.statusCode, ...(res.json() as Record<string, unknown>) };
  });

  app.get('/console/api/connectors', { schema: { hide: true } }, async () => ({
    available: Boolean(ctx.connectors),
    connectors: await connectorPanel(ctx),
    uploads: await uploadsStatus(ctx.pool),
  }));

  app.post<{ Params: { name: string } }>(
    '/console/api/connectors/:name/runs',
    {
      schema: { hide: true, params: { type: 'object', properties: { name: { type: 'string', pattern: '^[a-z][a-z0-9-]{0,62}$' } } } },
    },
    async (request, reply) => {
      const result = await runConnectorNow(ctx, request.params.name);
      ctx.log.info({ operator: request.operator!.username, connector: request.params.name, result }, 'console: run connector now');
      return reply.code(result.started ? 202 : 409).send(result);
    },
  );

  app.get('/console/api/rejects', { schema: { hide: true } }, async () => recentRejects(ctx.pool, 20));

  app.get('/console/api/pending', { schema: { hide: true } }, async () => pendingRecords(ctx.pool, 20));

  app.get<{ Querystring: { hours: number } }>(
    '/console/api/throughput',
    {
      schema: { hide: true, querystring: { type: 'object', properties: { hours: { type: 'integer', minimum: 1, maximum: 168, default: 24 } } } },
    },
    async (request) => ({ buckets: await throughput(ctx.pool, request.query.hours) }),
  );

  app.get<{ Querystring: { period?: string; level: ReportLevel; format?: 'json' | 'csv' } }>(
    '/console/api/ranking',
    {
      schema: {
        hide: true,
        querystring: {
          type: 'object',
          properties: { period: { type: 'string', maxLength: 10 }, level: { enum: [...REPORT_LEVELS], default: 'city' }, format: { enum: ['json', 'csv'] } },
        },
      },
    },
    async (request, reply) => {
      const now = new Date();
      const period = parsePeriod(request.query.period || quarterOf(now));
      if (!period) throw new GatewayError('GW_REPORT_PERIOD_INVALID');
      if (now < period.start) throw new GatewayError('GW_REPORT_PERIOD_NOT_STARTED');
      const report = await buildIntegrityReport(ctx.pool, { period, level: request.query.level, weights: ctx.config.monitoring.scoreWeights, now });
      if (request.query.format !== 'csv') return report;
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${reportCsvFilename(report)}"`)
        .send(reportToCsv(report));
    },
  );

  app.get<{ Params: { uscc: string } }>('/console/api/subjects/:uscc', { schema: { hide: true } }, async (request) => {
    const check = checkUscc(request.params.uscc); // fastify has already percent-decoded the parameter
    if (!check.ok) {
      throw new GatewayError('GW_USCC_INVALID', { zh: check.errors.map((e) => e.zh).join('；'), en: check.errors.map((e) => e.en).join('; ') });
    }
    const found = await subjectRecordsAnyState(ctx.pool, check.code, 200);
    return { uscc: check.code, kindZh: check.kindZh ?? null, region: check.region ?? null, ...found };
  });

  app.get('/console/api/objections', { schema: { hide: true } }, async () => openObjections(ctx.pool, 50));

  app.get('/console/api/alerts', { schema: { hide: true } }, async () => ({ alerts: await listAlerts(ctx.pool, { limit: 20 }) }));

  registerDeliveryPanel(app, ctx);
  registerUploadApi(app, ctx); // file uploads (issue 18)
}

/** The deliveries panel: states per destination, rejections per source, and re-delivering a rejected record. */
function registerDeliveryPanel(app: FastifyInstance, ctx: AppContext): void {
  app.get('/console/api/deliveries', { schema: { hide: true } }, async () => deliveriesPanel(ctx));

  app.post<{ Params: { destination: string; recordId: string } }>(
    '/console/api/deliveries/:destination/records/:recordId/redelivery',
    {
      schema: {
        hide: true,
        params: {
          type: 'object',
          properties: { destination: { type: 'string', pattern: '^[a-z][a-z0-9_-]{0,62}$' }, recordId: { type: 'string', format: 'uuid' } },
        },
      },
    },
    async (request, reply) => {
      const { destination, recordId } = request.params;
      const result = await redeliverForOperator(ctx, recordId, destination);
      ctx.log.info({ operator: request.operator!.username, destination, recordId, outcome: result.outcome }, 'console: re-deliver record');
      if (result.outcome === 'not_found') throw new GatewayError('GW_DELIVERY_NOT_FOUND');
      if (result.outcome === 'event_gone') throw new GatewayError('GW_DELIVERY_EVENT_GONE');
      return reply.code(202).send({ delivery: result.state });
    },
  );
}
