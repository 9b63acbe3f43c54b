/**
 * Department exchange tables (前置库) for the exchange-database connector's tests and benchmark: a
 * 双公示 行政处罚 table in the national CF_* columns, in MariaDB or PostgreSQL, with an update-time column
 * (GXSJ), a deletion flag (SCBZ) and feedback columns (FKZT, FKXX, FKSJ) or a feedback table; rows
 * with 某-style pseudonym names and USCCs valid by GB 32100 (syntheticUscc).
 */
import mysql from 'mysql2/promise';
import pg from 'pg';
import { syntheticUscc } from '../domain/uscc.js';

export type TestDialect = 'mariadb' | 'postgres';

/** A plain connection to the test's source database: statements written with ? placeholders in both dialects. */
export interface SourceDb {
  dialect: TestDialect;
  url: string;
  exec(sql: string, params?: unknown[]): Promise<void>;
  rows<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

const UPPER_COLUMNS = /\b(XH|CF_[A-Z_]+|GXSJ|SCBZ|FKZT|FKXX|FKSJ)\b/g;

export async function connectSource(dialect: TestDialect, url: string): Promise<SourceDb> {
  if (dialect === 'mariadb') {
    const conn = await mysql.createConnection({ uri: url, dateStrings: true, multipleStatements: false });
    return {
      dialect, url,
      exec: async (sql, params = []) => { await conn.query(sql, params); },
      rows: async <T>(sql: string, params: unknown[] = []) => (await conn.query(sql, params))[0] as T[],
      close: () => conn.end(),
    };
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  // the table's columns are upper case, as the national standard spells them: quoted in PostgreSQL
  const numbered = (sql: string) => { let n = 0; return sql.replace(/\?/g, () => `$${++n}`).replace(UPPER_COLUMNS, '"$1"'); };
  return {
    dialect, url,
    exec: async (sql, params = []) => { await client.query(numbered(sql), params); },
    rows: async <T>(sql: string, params: unknown[] = []) => (await client.query(numbered(sql), params)).rows as T[],
    close: () => client.end(),
  };
}

/** The CF_* columns of the table, in order, as text columns (as many exchange tables keep them), CF_NR_FK a decimal. */
export const CF_COLUMNS = [
  'CF_WSH', 'CF_XDR_MC', 'CF_XDR_LB', 'CF_XDR_SHXYM', 'CF_FRDB', 'CF_WFXW', 'CF_SY', 'CF_YJ', 'CF_CFLB', 'CF_NR', 'CF_NR_FK',
  'CF_JDRQ', 'CF_YXQ', 'CF_GSJZQ', 'CF_CFJG', 'CF_CFJGDM', 'CF_SJLY', 'CF_SJLYDM',
] as const;

export interface TableOptions {
  table: string;
  /** the key column XH: a primary key (default), or a plain column that may be NULL or repeat */
  keyConstraint?: 'primary' | 'none';
  /** the feedback columns in the table itself */
  feedbackColumns?: boolean;
  /** MariaDB: GXSJ moves to the current time whenever the row changes (ON UPDATE CURRENT_TIMESTAMP) */
  autoUpdateTime?: boolean;
}

/** CREATE TABLE for the exchange table. */
export function createTableSql(dialect: TestDialect, o: TableOptions): string {
  const text = (n: number) => (dialect === 'mariadb' ? `VARCHAR(${n})` : `varchar(${n})`);
  const cols = [
    `XH BIGINT ${o.keyConstraint === 'none' ? 'NULL' : 'NOT NULL PRIMARY KEY'}`,
    ...CF_COLUMNS.map((c) => (c === 'CF_NR_FK' ? `${c} DECIMAL(18,6)` : `${c} ${text(c === 'CF_NR' || c === 'CF_WFXW' ? 500 : 200)}`)),
    dialect === 'mariadb' ? `GXSJ DATETIME(6) NULL${o.autoUpdateTime ? ' ON UPDATE CURRENT_TIMESTAMP(6)' : ''}` : 'GXSJ timestamp(6) NULL',
    `SCBZ CHAR(1) NOT NULL DEFAULT '0'`,
    ...(o.feedbackColumns ? [`FKZT ${text(20)}`, `FKXX ${text(2000)}`, dialect === 'mariadb' ? 'FKSJ DATETIME NULL' : 'FKSJ timestamp NULL'] : []),
  ];
  return `CREATE TABLE ${o.table} (${cols.join(', ')})`;
}

/** The index a department is asked for: the cursor column, then the key (each page is then a range read). */
export function createCursorIndexSql(table: string): string {
  return `CREATE INDEX ${table}_gxsj_xh ON ${table} (GXSJ, XH)`;
}

/** CREATE TABLE for a feedback table keyed by XH. */
export function createFeedbackTableSql(dialect: TestDialect, table: string): string {
  return dialect === 'mariadb'
    ? `CREATE TABLE ${table} (XH BIGINT NOT NULL PRIMARY KEY, FKZT VARCHAR(20), FKXX VARCHAR(2000), FKSJ DATETIME NULL)`
    : `CREATE TABLE ${table} (XH bigint NOT NULL PRIMARY KEY, FKZT varchar(20), FKXX varchar(2000), FKSJ timestamp NULL)`;
}

export type PenaltyRow = Record<string, string | number | null>;

/** A realistic 行政处罚 row: decision n of a market-regulation bureau, against an organisation with a valid USCC. */
export function penaltyRow(n: number, gxsj: string, over: PenaltyRow = {}): PenaltyRow {
  const day = String(1 + (n % 28)).padStart(2, '0');
  return {
    XH: n,
    CF_WSH: `某市监罚〔2024〕${n}号`,
    CF_XDR_MC: `某${n}号商贸有限公司`,
    CF_XDR_LB: '法人及非法人组织',
    CF_XDR_SHXYM: syntheticUscc(500_000 + n),
    CF_FRDB: '王某',
    CF_WFXW: '销售不符合食品安全标准的食品',
    CF_SY: '经营不符合食品安全标准的食品',
    CF_YJ: '《中华人民共和国食品安全法》第一百二十四条第一款',
    CF_CFLB: '罚款',
    CF_NR: '罚款2000元',
    CF_NR_FK: 0.2,
    CF_JDRQ: `2024-03-${day}`,
    CF_YXQ: '2025-03-01',
    CF_GSJZQ: '2025-03-01',
    CF_CFJG: '某市市场监督管理局',
    CF_CFJGDM: syntheticUscc(1, { kindCode: '11' }),
    CF_SJLY: '某市市场监督管理局',
    CF_SJLYDM: syntheticUscc(1, { kindCode: '11' }),
    GXSJ: gxsj,
    SCBZ: '0',
    ...over,
  };
}

/** Inserts rows (each with the same columns) in one statement. */
export async function insertRows(db: SourceDb, table: string, rows: PenaltyRow[]): Promise<void> {
  if (!rows.length) return;
  const columns = Object.keys(rows[0]!);
  const tuple = `(${columns.map(() => '?').join(', ')})`;
  for (let i = 0; i < rows.length; i += 1000) {
    const chunk = rows.slice(i, i + 1000);
    await db.exec(`INSERT INTO ${table} (${columns.join(', ')}) VALUES ${chunk.map(() => tuple).join(', ')}`, chunk.flatMap((r) => columns.map((c) => r[c] ?? null)));
  }
}
