/** Plan-shape tests: a database whose statistics stay stale, and PostgreSQL's EXPLAIN (FORMAT JSON) output read. */
import pg from 'pg';
import type { Queryable } from '../../src/store/db.js';
import type { ScratchDatabase } from '../../src/dev/scratch-database.js';
import { migrate } from '../../src/store/migrate.js';
import { createTestDatabase } from './env.js';

/**
 * A migrated test database whose `tables` keep the statistics taken before the data a test adds
 * (autovacuum off for them): what a planner that has not caught up with a bulk write sees.
 */
export async function staleStatisticsDatabase(tables: string[], maxConnections: number): Promise<{ db: ScratchDatabase; pool: pg.Pool }> {
  const db = await createTestDatabase();
  const pool = new pg.Pool({ connectionString: db.url, max: maxConnections });
  await migrate(pool);
  for (const table of tables) await pool.query(`ALTER TABLE ${table} SET (autovacuum_enabled = false)`);
  return { db, pool };
}

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
