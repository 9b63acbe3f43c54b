/**
 * Delivery to platforms (issue 17): GET /v1/deliveries — delivery states in the order they last
 * changed, cursor-paginated; GET /v1/deliveries/parked — events that could not be delivered, with
 * their reason; POST /v1/records/:recordId/deliveries/:destination/redelivery — deliver a record again.
 */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';
import { redeliver } from '../delivery/redelivery.js';
import { GatewayError } from '../errors.js';
import { DELIVERY_STATES, listDeliveries, parkedAfter, type DeliveryFilter } from '../store/deliveries-repo.js';
import { decodeCursor, encodeCursor } from './cursor.js';

const destinationName = { type: 'string', pattern: '^[a-z][a-z0-9_-]{0,62}$' } as const;

/** The query of a cursor-paginated listing, with its filters. */
function pageQuery(filters: Record<string, object>) {
  return {
    type: 'object',
    additionalProperties: false,
    properties: {
      ...filters,
      cursor: { type: 'string', maxLength: 500 },
      limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
    },
  } as const;
}

export async function registerDeliveryRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  app.get<{ Querystring: DeliveryFilter & { cursor?: string; limit: number } }>(
    '/deliveries',
    {
      config: { scope: ['monitoring:read', 'records:read'] },
      schema: {
        summary: 'Delivery states to platforms / 向平台交付的状态',
        querystring: pageQuery({ destination: destinationName, state: { enum: [...DELIVERY_STATES] } }),
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

  app.get<{ Querystring: { destination?: string; cursor?: string; limit: number } }>(
    '/deliveries/parked',
    {
      // a parked event may be unreadable and name no record, so its excerpt is for operators, not for grants
      config: { scope: ['monitoring:read', 'deliveries:admin'] },
      schema: {
        summary: 'Events parked by delivery (poison), oldest first / 无法交付而搁置的事件',
        querystring: pageQuery({ destination: destinationName }),
      },
    },
    async (request) => {
      const { cursor, limit, destination } = request.query;
      const filter = { destination };
      const afterId = cursor ? decodeCursor(cursor, filter) : 0;
      const rows = await parkedAfter(ctx.pool, filter, afterId, limit + 1);
      const page = rows.slice(0, limit);
      const lastId = page.length ? page[page.length - 1]!.id : afterId;
      return { parked: page, nextCursor: encodeCursor(lastId, filter), hasMore: rows.length > limit };
    },
  );

  app.post<{ Params: { recordId: string; destination: string } }>(
    '/records/:recordId/deliveries/:destination/redelivery',
    {
      config: { scope: 'deliveries:admin' },
      schema: {
        summary: 'Deliver a record to a destination again / 重新交付记录',
        description: 'Queues the event the destination last had for the record again, under a new event id; the state becomes `queued` until the delivery hands it over.',
        params: {
          type: 'object',
          required: ['recordId', 'destination'],
          properties: { recordId: { type: 'string', format: 'uuid' }, destination: destinationName },
        },
      },
    },
    async (request, reply) => {
      const { recordId, destination } = request.params;
      const result = await redeliver(ctx.pool, ctx.outbox, recordId, destination, request.principal);
      if (result.outcome === 'not_found') {
        throw new GatewayError('GW_DELIVERY_NOT_FOUND', {
          zh: `记录 ${recordId} 没有向目的地“${destination}”交付的状态（或不在合作方授权范围内）`,
          en: `record ${recordId} has no delivery state for destination "${destination}" (or is outside the partner's grant)`,
        });
      }
      if (result.outcome === 'event_gone') throw new GatewayError('GW_DELIVERY_EVENT_GONE');
      return reply.code(202).send({ delivery: result.state });
    },
  );
}
