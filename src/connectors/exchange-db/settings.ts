/**
 * An exchange-database instance's settings as a run uses them, and what start-up checks of them beyond
 * the configuration schema: the URL's environment variable is set and names a database the connector
 * speaks, and no column plays two parts (a key column is not the cursor, the deletion flag or a
 * feedback column). Each problem names the key and the rule, like the rest of the configuration.
 */
import type { ExchangeDbConfig } from '../../config/types.js';
import { dialectOf, ExchangeDbError } from './connection.js';
import type { FeedbackShape, TableShape } from './source-query.js';

/** The exchange database's URL, from the environment variable the instance names. */
export function exchangeUrl(xdb: ExchangeDbConfig, env: NodeJS.ProcessEnv = process.env): string {
  const url = env[xdb.urlEnv];
  if (!url) throw new ExchangeDbError(`the environment variable ${xdb.urlEnv} (exchangeDb.urlEnv) holding the exchange database's URL is not set`);
  return url;
}

export function tableShape(xdb: ExchangeDbConfig): TableShape {
  return { table: xdb.table, key: xdb.key, cursor: { column: xdb.cursor.column, kind: xdb.cursor.kind, settleSeconds: xdb.cursor.settleSeconds } };
}

export function feedbackShape(xdb: ExchangeDbConfig): FeedbackShape | null {
  const fb = xdb.feedback;
  if (!fb) return null;
  return { ...(fb.table ? { table: fb.table } : {}), status: fb.status, message: fb.message, ...(fb.at ? { at: fb.at } : {}) };
}

/** The exchange table's columns the connector itself reads or writes, each with the setting that names it. */
export function ownColumns(xdb: ExchangeDbConfig): Array<{ column: string; setting: string }> {
  const out = [
    ...xdb.key.map((column, i) => ({ column, setting: `key[${i}]` })),
    { column: xdb.cursor.column, setting: 'cursor.column' },
  ];
  if (xdb.deleted) out.push({ column: xdb.deleted.column, setting: 'deleted.column' });
  const fb = xdb.feedback;
  if (fb && !fb.table) {
    out.push({ column: fb.status, setting: 'feedback.status' }, { column: fb.message, setting: 'feedback.message' });
    if (fb.at) out.push({ column: fb.at, setting: 'feedback.at' });
  }
  return out;
}

/** Problems of an exchange-database instance's settings; `checkEnv` also requires its URL variable (an enabled instance). */
export function exchangeDbProblems(name: string, xdb: ExchangeDbConfig, checkEnv: boolean, env: NodeJS.ProcessEnv = process.env): string[] {
  const at = `connectors.instances.${name}.exchangeDb`;
  const problems: string[] = [];
  const url = env[xdb.urlEnv];
  if (checkEnv && !url) problems.push(`${at}.urlEnv: the environment variable ${xdb.urlEnv} is not set (it holds the exchange database's URL) (rule: env)`);
  if (url) {
    try {
      dialectOf(url);
    } catch (err) {
      problems.push(`${at}.urlEnv: ${xdb.urlEnv}: ${(err as Error).message} (rule: url)`);
    }
  }
  const seen = new Map<string, string>();
  for (const { column, setting } of ownColumns(xdb)) {
    const before = seen.get(column);
    if (before) problems.push(`${at}.${setting}: column ${column} is already ${before} (rule: distinct_columns)`);
    else seen.set(column, setting);
  }
  if (xdb.cursor.kind === 'sequence' && xdb.cursor.settleSeconds > 0) problems.push(`${at}.cursor.settleSeconds: only a time cursor can wait for rows to settle (rule: settle)`);
  if (xdb.feedback?.table && xdb.feedback.table === xdb.table) problems.push(`${at}.feedback.table: the feedback table must not be the exchange table (leave table out to write into its columns) (rule: feedback_table)`);
  return problems;
}
