/**
 * The deliveries panel of the console (issue 17): per destination how many records are in each
 * delivery state, the rejections per source system, the latest rejected records with the platform's
 * reason and field, and "re-deliver" on each — the same action as
 * POST /v1/records/:recordId/deliveries/:destination/redelivery, for a signed-in operator.
 */
import type { AppContext } from '../context.js';
import { redeliver, type RedeliveryResult } from '../delivery/redelivery.js';
import { deliveryCounts, rejectedBySource, rejectedDeliveries } from '../store/deliveries-repo.js';

export async function deliveriesPanel(ctx: AppContext, limit = 50) {
  const [counts, bySource, rejected] = await Promise.all([deliveryCounts(ctx.pool), rejectedBySource(ctx.pool), rejectedDeliveries(ctx.pool, limit)]);
  return {
    destinations: ctx.config.destinations.filter((d) => d.delivery).map((d) => ({ name: d.name, way: d.delivery!.way })),
    counts,
    rejectedBySource: bySource,
    rejected,
  };
}

/** Re-delivers on behalf of an operator (no partner grant: the console sees every record). */
export function redeliverForOperator(ctx: AppContext, recordId: string, destination: string): Promise<RedeliveryResult> {
  return redeliver(ctx.pool, ctx.outbox, recordId, destination, null);
}
