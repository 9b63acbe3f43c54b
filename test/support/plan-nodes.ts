/** Plan-shape tests: a database whose statistics stay stale, and PostgreSQL's EXPLAIN (FORMAT JSON) output read. */
import pg from 'pg';
import { sessionOptions, type Queryable } from '../../src/store/db.js';
import type { ScratchDatabase } from '../../src/dev/scratch-database.js';
import { migrate } from '../../src/store/migrate.js';
import { createTestDatabase, testConfig } from './env.js';

/**
 * A migrated test database whose `tables` keep the statistics taken before the data a test adds
 * (autovacuum off for them): what a planner that has not caught up with a bulk write sees.
 */
export async function staleStatisticsDatabase(tables: string[], maxConnections: number): Promise<{ db: ScratchDatabase; pool: pg.Pool }> {
  const db = await createTestDatabase();
  const pool = plannedLikeTheGateway(db.url, maxConnections);
  await migrate(pool);
  for (const table of tables) await pool.query(`ALTER TABLE ${table} SET (autovacuum_enabled = false)`);
  return { db, pool };
}

/** A pool on `url` whose connections plan with the gateway's settings (sessionOptions), as a plan test needs. */
export function plannedLikeTheGateway(url: string, max: number): pg.Pool {
  return new pg.Pool({ connectionString: url, max, options: sessionOptions(testConfig(url).store) });
}

export interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

/** Statements that have a plan; BEGIN, SET and multi-statement strings (BEGIN_CLAIM) are sent as they are. */
const EXPLAINABLE = /^\s*(SELECT|WITH|INSERT|UPDATE|DELETE)\b/i;

type QueryArgs = [string | pg.QueryConfig, unknown[]?];

/**
 * The client, with `query` explaining: each explainable statement is first EXPLAINed (FORMAT JSON) on
 * this very connection (its transaction, its SET LOCAL settings, the same parameters: a custom plan, as
 * the unnamed statement the code sends gets) and handed to `planned`, then sent as the code sent it.
 */
export function explainingClient<P extends PlanNode>(client: pg.PoolClient, planned: (sql: string, plan: P) => void): pg.PoolClient {
  const query = async (...args: QueryArgs) => {
    const [first, second] = args;
    const text = typeof first === 'string' ? first : first.text;
    const values = typeof first === 'string' ? second : (first.values ?? second);
    if (EXPLAINABLE.test(text) && !text.trim().replace(/;$/, '').includes(';')) {
      const { rows } = await client.query<{ 'QUERY PLAN': Array<{ Plan: P }> }>({ text: `EXPLAIN (FORMAT JSON) ${text}`, values });
      planned(text.replace(/\s+/g, ' ').trim(), rows[0]!['QUERY PLAN'][0]!.Plan);
    }
    return (client.query as (...a: QueryArgs) => Promise<pg.QueryResult>)(...args);
  };
  return new Proxy(client, { get: (target, prop) => (prop === 'query' ? query : Reflect.get(target, prop, target)) });
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

/** A node of EXPLAIN (ANALYZE, FORMAT JSON): PostgreSQL reports its row counts per loop. */
export interface AnalyzedNode extends PlanNode {
  'Actual Rows'?: number;
  'Actual Loops'?: number;
  'Rows Removed by Filter'?: number;
  'Rows Removed by Index Recheck'?: number;
  Plans?: AnalyzedNode[];
}

/** The plan PostgreSQL ran for `sql` with `values`, as its root node (it runs: a write belongs in a transaction rolled back). */
export async function explainAnalyzed(db: Queryable, sql: string, values: unknown[]): Promise<AnalyzedNode> {
  const { rows } = await db.query<{ 'QUERY PLAN': Array<{ Plan: AnalyzedNode }> }>(`EXPLAIN (ANALYZE, FORMAT JSON) ${sql}`, values);
  return rows[0]!['QUERY PLAN'][0]!.Plan;
}

/** Rows the nodes `counted` picks read (returned or removed by a filter or recheck), over all their loops. */
export function rowsRead(node: AnalyzedNode, counted: (node: AnalyzedNode) => boolean): number {
  const perLoop = (node['Actual Rows'] ?? 0) + (node['Rows Removed by Filter'] ?? 0) + (node['Rows Removed by Index Recheck'] ?? 0);
  const own = counted(node) ? perLoop * (node['Actual Loops'] ?? 1) : 0;
  return own + (node.Plans ?? []).reduce((sum, child) => sum + rowsRead(child, counted), 0);
}
