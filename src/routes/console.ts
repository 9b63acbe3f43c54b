/**
 * The operator console: GET /console (a plain Chinese page with its script and styles) and its JSON
 * API under /console/api, for operators signed in with a configured credential (console.operators).
 * A session is an HMAC-signed cookie (HttpOnly, SameSite=Strict, Path=/console); every /console/api
 * call but sign-in needs one. State-changing calls are POST/DELETE with a JSON body, which a
 * SameSite=Strict cookie never accompanies from another site.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import { connectorPanel, runConnectorNow } from '../console/connectors-view.js';
import { openObjections, recentRejects, subjectRecordsAnyState, throughput } from '../console/console-queries.js';
import { DUMMY_HASH, verifyOperatorPassword } from '../console/operator-password.js';
import {
  SESSION_COOKIE,
  clearedSessionCookie,
  cookieValue,
  loadSessionSecret,
  sessionCookie,
  signSession,
  verifySession,
  type OperatorSession,
} from '../console/session.js';
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
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

declare module 'fastify' {
  interface FastifyRequest {
    operator?: OperatorSession;
  }
}

export async function registerConsoleRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const cfg = ctx.config.console;
  const secret = loadSessionSecret(cfg);
  const files = { html: asset('console.html'), js: asset('console.js'), css: asset('console.css') };

  app.get('/console', { schema: { hide: true } }, async (_request, reply) => reply.headers(PAGE_HEADERS).type('text/html; charset=utf-8').send(files.html));
  app.get('/console/console.js', { schema: { hide: true } }, async (_request, reply) =>
    reply.headers(PAGE_HEADERS).type('text/javascript; charset=utf-8').send(files.js));
  app.get('/console/console.css', { schema: { hide: true } }, async (_request, reply) =>
    reply.headers(PAGE_HEADERS).type('text/css; charset=utf-8').send(files.css));

  const requireOperator = async (request: FastifyRequest) => {
    const session = verifySession(secret, cookieValue(request.headers.cookie, SESSION_COOKIE));
    if (!session || !cfg.operators.some((o) => o.username === session.username)) throw new GatewayError('GW_CONSOLE_SIGNIN_REQUIRED');
    request.operator = session;
  };

  app.post<{ Body: { username: string; password: string } }>(
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
      const operator = cfg.operators.find((o) => o.username === username);
      const ok = await verifyOperatorPassword(password, operator?.passwordHash ?? DUMMY_HASH);
      if (!operator || !ok) {
        ctx.log.warn({ username, ip: request.ip }, 'console sign-in refused');
        throw new GatewayError('GW_CONSOLE_SIGNIN_FAILED');
      }
      const ttlSeconds = cfg.sessionTtlMinutes * 60;
      const session = { username, expiresAt: Date.now() + ttlSeconds * 1000 };
      ctx.log.info({ username, ip: request.ip }, 'console sign-in');
      return reply.header('set-cookie', sessionCookie(signSession(secret, session), ttlSeconds)).send({ username, expiresAt: new Date(session.expiresAt).toISOString() });
    },
  );

  // Answers 200 either way, so the page can ask without a failed request in the browser's console.
  app.get('/console/api/session', { schema: { hide: true } }, async (request) => {
    const session = verifySession(secret, cookieValue(request.headers.cookie, SESSION_COOKIE));
    if (!session || !cfg.operators.some((o) => o.username === session.username)) return { signedIn: false, operatorsConfigured: cfg.operators.length > 0 };
    return { signedIn: true, username: session.username, expiresAt: new Date(session.expiresAt).toISOString() };
  });

  app.delete('/console/api/session', { schema: { hide: true } }, async (_request, reply) =>
    reply.header('set-cookie', clearedSessionCookie()).send({ signedOut: true }));

  // Health reuses /readyz itself, so the console never disagrees with the readiness probe.
  app.get('/console/api/health', { schema: { hide: true }, preHandler: requireOperator }, async () => {
    const res = await app.inject({ method: 'GET', url: '/readyz' });
    return { httpStatus: res.statusCode, ...(res.json() as Record<string, unknown>) };
  });

  app.get('/console/api/connectors', { schema: { hide: true }, preHandler: requireOperator }, async () => ({
    available: Boolean(ctx.connectors),
    connectors: await connectorPanel(ctx),
  }));

  app.post<{ Params: { name: string } }>(
    '/console/api/connectors/:name/runs',
    {
      schema: { hide: true, params: { type: 'object', properties: { name: { type: 'string', pattern: '^[a-z][a-z0-9-]{0,62}$' } } } },
      preHandler: requireOperator,
    },
    async (request, reply) => {
      const result = await runConnectorNow(ctx, request.params.name);
      ctx.log.info({ operator: request.operator!.username, connector: request.params.name, result }, 'console: run connector now');
      return reply.code(result.started ? 202 : 409).send(result);
    },
  );

  app.get('/console/api/rejects', { schema: { hide: true }, preHandler: requireOperator }, async () => recentRejects(ctx.pool, 20));

  app.get<{ Querystring: { hours: number } }>(
    '/console/api/throughput',
    {
      schema: { hide: true, querystring: { type: 'object', properties: { hours: { type: 'integer', minimum: 1, maximum: 168, default: 24 } } } },
      preHandler: requireOperator,
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
      preHandler: requireOperator,
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

  app.get<{ Params: { uscc: string } }>('/console/api/subjects/:uscc', { schema: { hide: true }, preHandler: requireOperator }, async (request) => {
    const check = checkUscc(decodeURIComponent(request.params.uscc));
    if (!check.ok) {
      throw new GatewayError('GW_USCC_INVALID', { zh: check.errors.map((e) => e.zh).join('；'), en: check.errors.map((e) => e.en).join('; ') });
    }
    const found = await subjectRecordsAnyState(ctx.pool, check.code, 200);
    return { uscc: check.code, kindZh: check.kindZh ?? null, region: check.region ?? null, ...found };
  });

  app.get('/console/api/objections', { schema: { hide: true }, preHandler: requireOperator }, async () => openObjections(ctx.pool, 50));

  app.get('/console/api/alerts', { schema: { hide: true }, preHandler: requireOperator }, async () => ({ alerts: await listAlerts(ctx.pool, { limit: 20 }) }));
}
