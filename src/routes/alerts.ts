/** GET /v1/alerts — the early-warning alerts raised by the monitoring detector, newest first, cursor-paginated. */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';
import { listAlerts, type AlertKind } from '../monitoring/alerts-store.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { ALERT_KINDS } from '../store/alerts-repo.js';

interface AlertsQuery {
  kind?: AlertKind;
  region?: string;
  cursor?: string;
  limit: number;
}

export async function registerAlertRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  app.get<{ Querystring: AlertsQuery }>(
    '/alerts',
    {
      // monitoring reads need their own scope, monitoring:read (src/domain/scopes.ts)
      config: { scope: 'monitoring:read' },
      schema: {
        summary: 'Government integrity early-warning alerts / 政务诚信预警',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            kind: { enum: [...ALERT_KINDS] },
            region: { type: 'string', pattern: '^[0-9]{2,6}$' },
            cursor: { type: 'string', maxLength: 500 },
            limit: { type: 'integer', minimum: 1, maximum: 500, default: 100 },
          },
        },
      },
    },
    async (request) => {
      const { cursor, limit, ...filter } = request.query;
      const beforeSeq = cursor ? decodeCursor(cursor, filter) : undefined;
      const rows = await listAlerts(ctx.pool, { ...filter, beforeSeq, limit: limit + 1 });
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      const hasMore = rows.length > limit;
      return { alerts: page, hasMore, nextCursor: hasMore && last ? encodeCursor(last.seq, filter) : null };
    },
  );
}
