/** GET /healthz (process alive), /readyz (PostgreSQL, Kafka, outbox backlog), /metrics (Prometheus). */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';
import { databaseAnswers } from '../store/db.js';
import { outboxBacklog } from '../store/outbox-repo.js';

export async function registerHealthRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));

  /**
   * Ready = the database answers: records are accepted and kept in the outbox even while the broker is
   * down. A down broker shows as "degraded" with the backlog; `?strict=true` makes it a 503 as well.
   */
  app.get<{ Querystring: { strict?: boolean } }>(
    '/readyz',
    { schema: { hide: true, querystring: { type: 'object', properties: { strict: { type: 'boolean', default: false } } } } },
    async (request, reply) => {
      const [db, broker] = await Promise.all([databaseAnswers(ctx.pool), ctx.broker.ping()]);
      const outbox = db ? await outboxBacklog(ctx.pool).catch(() => null) : null;
      const status = !db ? 'unavailable' : broker ? 'ready' : 'degraded';
      const ok = db && (broker || !request.query.strict);
      return reply.code(ok ? 200 : 503).send({
        status,
        checks: {
          postgres: db ? 'up' : 'down',
          kafka: broker ? 'up' : 'down',
          relay: { ...ctx.relay.status },
        },
        outbox,
      });
    },
  );

  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    const backlog = await outboxBacklog(ctx.pool).catch(() => null);
    if (backlog) {
      ctx.metrics.outboxBacklog.set(backlog.backlog);
      ctx.metrics.outboxOldestAge.set(backlog.oldestAgeSeconds);
    }
    return reply.type(ctx.metrics.registry.contentType).send(await ctx.metrics.registry.metrics());
  });
}
