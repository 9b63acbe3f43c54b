/** GET /v1/deliveries — delivery states to platforms (issue 17), in the order they last changed, cursor-paginated. */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';
import { listDeliveries, type DeliveryFilter } from '../store/deliveries-repo.js';
import { decodeCursor, encodeCursor } from './cursor.js';

export const DELIVERY_STATES = ['delivered', 'accepted', 'rejected', 'parked'];

export async function registerDeliveryRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  app.get<{ Querystring: DeliveryFilter & { cursor?: string; limit: number } }>(
    '/deliveries',
    {
      config: { scope: ['monitoring:read', 'records:read'] },
      schema: {
        summary: 'Delivery states to platforms / 向平台交付的状态',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            destination: { type: 'string', pattern: '^[a-z][a-z0-9_-]{0,62}$' },
            state: { enum: DELIVERY_STATES },
            cursor: { type: 'string', maxLength: 500 },
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
          },
        },
      },
    },
    async (request) => {
      const { cursor, limit, ...filter } = request.query;
      const afterSeq = cursor ? decodeCursor(cursor, filter) : 0;
      // a partner sees the deliveries of the records its grant covers
      const rows = await listDeliveries(ctx.pool, filter, request.principal, afterSeq, limit + 1);
      const page = rows.slice(0, limit);
      const lastSeq = page.length ? page[page.length - 1]!.seq : afterSeq;
      return { deliveries: page.map(({ seq: _seq, ...d }) => d), nextCursor: encodeCursor(lastSeq, filter), hasMore: rows.length > limit };
    },
  );
}
