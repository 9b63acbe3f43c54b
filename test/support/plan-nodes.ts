/** Reading PostgreSQL's EXPLAIN (FORMAT JSON) output in plan-shape tests. */
import type { Queryable } from '../../src/store/db.js';

export interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

/** The plan `db` would run for `sql` with `values`, as its root node. */
export async function explain(db: Queryable, sql: string, values: unknown[]): Promise<PlanNode> {
  const { rows } = await db.query<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(`EXPLAIN (FORMAT JSON) ${sql}`, values);
  return rows[0]!['QUERY PLAN'][0]!.Plan;
}

/** `node` and the nodes under it as a list, top down ("Index Scan on outbox_pkey", "Seq Scan on outbox_unsent", "Sort"). */
export function planNodes(node: PlanNode): string[] {
  const on = node['Index Name'] ?? node['Relation Name'];
  return [on ? `${node['Node Type']} on ${on}` : node['Node Type'], ...(node.Plans ?? []).flatMap(planNodes)];
}

/** The first node of type `type` in `node`'s tree, depth first. */
export function findNode(node: PlanNode, type: string): PlanNode | undefined {
  if (node['Node Type'] === type) return node;
  for (const child of node.Plans ?? []) {
    const found = findNode(child, type);
    if (found) return found;
  }
  return undefined;
}
