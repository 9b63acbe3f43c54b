/**
 * A platform that takes records the database way, for tests and the demo: it owns an exchange
 * database (PostgreSQL or MariaDB/MySQL) with the exchange tables of src/delivery/exchange-schema.ts
 * (it can create them itself, as a platform does when the gateway is not let create tables), reads the
 * rows every `pollMs`, and writes a verdict per event into the feedback table with its own rules: an
 * upsert needs a subject name; an upsert whose subject name contains `rejectMarker` is rejected (field
 * `/subject/name`); a retraction is accepted. It notes each event id it read with the row's delivered_at:
 * an event read again with another delivered_at is a delivery that changed the platform's row twice
 * (a duplicate). It can answer late (`delayMs`) and twice (`answerTwice`: the same verdict written
 * again a moment later, with a new answered_at). Going down is the TcpProxy's (src/dev/tcp-proxy.ts).
 */
import mysql from 'mysql2/promise';
import pg from 'pg';
import { quoteIdentifier, type Dialect } from '../connectors/exchange-db/source-query.js';
import { dialectOf } from '../connectors/exchange-db/connection.js';
import { createExchangeTableSql, createFeedbackTableSql, exchangeColumns, tableOf } from '../delivery/exchange-schema.js';
import { PollLoop } from './poll-loop.js';

/** verdicts written per INSERT into the feedback table */
const ANSWERS_PER_STATEMENT = 500;

export interface DatabasePlatformOptions {
  /** postgres://… or mysql://… of the platform's exchange database (directly, not through the proxy) */
  url: string;
  categories: string[];
  tablePrefix?: string;
  feedbackTable?: string;
  rejectMarker?: string;
  pollMs?: number;
  delayMs?: number;
  answerTwice?: boolean;
}

/** A row of an exchange table as the platform reads it. */
export interface ExchangeRowRead {
  table: string;
  record_id: string;
  event_id: string;
  version: number;
  op: string;
  status: string | null;
  subject_name: string | null;
  delivered_at: string;
}

interface Db {
  dialect: Dialect;
  rows<T>(sql: string, params?: unknown[]): Promise<T[]>;
  exec(sql: string, params?: unknown[]): Promise<void>;
  close(): Promise<void>;
}

/**
 * `onError`: where an idle pooled connection that dies reports, instead of ending the process (pg emits
 * it on the pool; seen when the demo dropped the exchange database a moment after stop(): pool.end()
 * resolves before its connections have closed).
 */
function connectDb(url: string, onError: (err: Error) => void): Db {
  const dialect = dialectOf(url);
  if (dialect === 'mysql') {
    const pool = mysql.createPool({ uri: url.replace(/^mariadb:/i, 'mysql:'), connectionLimit: 2, dateStrings: true, charset: 'utf8mb4' });
    return {
      dialect,
      rows: async <T>(sql: string, params: unknown[] = []) => (await pool.query(sql, params))[0] as T[],
      exec: async (sql, params = []) => void (await pool.query(sql, params)),
      close: () => pool.end(),
    };
  }
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  pool.on('error', onError);
  const numbered = (sql: string) => { let n = 0; return sql.replace(/\?/g, () => `$${++n}`); };
  return {
    dialect,
    rows: async <T>(sql: string, params: unknown[] = []) => (await pool.query(numbered(sql), params)).rows as T[],
    exec: async (sql, params = []) => void (await pool.query(numbered(sql), params)),
    close: () => pool.end(),
  };
}

export class DatabasePlatform {
  /** rows read, by event id */
  readonly applied = new Map<string, ExchangeRowRead>();
  /** event ids read again with another delivered_at */
  readonly duplicates: string[] = [];
  /** verdicts written (answering twice counts twice) */
  answers = 0;
  delayMs: number;
  private db: Db | null = null;
  private readonly loop: PollLoop;
  /** what went wrong polling or answering (polled again at the next tick) */
  readonly errors: string[];
  private readonly later = new Set<NodeJS.Timeout>();
  /** PostgreSQL: where the next poll reads from (oldestOpenTransaction at the last poll that answered all); null: everything */
  private readFrom: string | null = null;

  constructor(private readonly opts: DatabasePlatformOptions) {
    this.delayMs = opts.delayMs ?? 0;
    this.loop = new PollLoop(() => this.poll(), opts.pollMs ?? 50);
    this.errors = this.loop.errors;
  }

  private get prefix(): string {
    return this.opts.tablePrefix ?? 'credit_';
  }

  get feedbackTable(): string {
    return this.opts.feedbackTable ?? 'credit_feedback';
  }

  tableOf(category: string): string {
    return tableOf(this.prefix, category);
  }

  private async conn(): Promise<Db> {
    // set before anything awaits: two callers at once (a poll and a delayed answer) share one pool
    return (this.db ??= connectDb(this.opts.url, (err) => this.errors.push(`exchange database connection: ${err.message}`)));
  }

  /** The exchange and feedback tables, as the platform would create them for the gateway. */
  async createTables(): Promise<void> {
    const db = await this.conn();
    for (const c of this.opts.categories) await db.exec(createExchangeTableSql(db.dialect, this.tableOf(c), exchangeColumns(c)));
    for (const sql of createFeedbackTableSql(db.dialect, this.feedbackTable)) await db.exec(sql);
  }

  start(): void {
    this.loop.start();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
    for (const t of this.later) clearTimeout(t);
    await this.db?.close();
    this.db = null;
  }

  /** The rows of a category's table now; with `since` (PostgreSQL), only those delivered at or after it. */
  async rows(category: string, since: string | null = null): Promise<ExchangeRowRead[]> {
    const db = await this.conn();
    const q = (n: string) => quoteIdentifier(db.dialect, n);
    const at = db.dialect === 'postgres' ? `${q('delivered_at')}::text` : `CAST(${q('delivered_at')} AS CHAR)`;
    const id = (n: string) => (db.dialect === 'postgres' ? `${q(n)}::text` : q(n));
    return db.rows<ExchangeRowRead>(
      `SELECT ${id('record_id')} AS record_id, ${id('event_id')} AS event_id, ${q('version')} AS version, ${q('op')} AS op, ${q('status')} AS status,
              ${q('subject_name')} AS subject_name, ${at} AS delivered_at
         FROM ${q(this.tableOf(category))} ${since === null ? '' : `WHERE ${q('delivered_at')} >= ?::timestamptz`} ORDER BY ${q('delivered_at')}`,
      since === null ? [] : [since],
    );
  }

  /**
   * PostgreSQL: the start of the oldest transaction open in the exchange database now, or now. A row is
   * written with delivered_at = now(), its transaction's start, so every row a read after this moment
   * cannot see yet has delivered_at at or after it: the next poll reads from there, not the whole table.
   * (MySQL's NOW() is the statement's time, not the transaction's: there every poll reads everything.)
   */
  private async oldestOpenTransaction(db: Db): Promise<string> {
    const [r] = await db.rows<{ t: string }>(
      `SELECT least(now(), min(xact_start))::text AS t FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`,
    );
    return r!.t;
  }

  /** Reads every table whose rows are there (after the last poll's mark, on PostgreSQL), answers what is new. */
  async poll(): Promise<void> {
    const db = await this.conn();
    const nextFrom = db.dialect === 'postgres' ? await this.oldestOpenTransaction(db) : null;
    for (const category of this.opts.categories) {
      let rows: ExchangeRowRead[];
      try {
        rows = await this.rows(category, this.readFrom);
      } catch {
        continue; // the gateway has not created the table yet
      }
      const fresh: ExchangeRowRead[] = [];
      for (const r of rows) {
        const seen = this.applied.get(r.event_id);
        if (seen) {
          if (seen.delivered_at !== r.delivered_at) this.duplicates.push(r.event_id);
          continue;
        }
        this.applied.set(r.event_id, { ...r, table: this.tableOf(category) });
        fresh.push(r);
      }
      if (!fresh.length) continue;
      if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
      try {
        await this.answer(db, fresh);
      } catch (err) {
        // not answered (the feedback table not there yet): read again at the next poll
        for (const r of fresh) this.applied.delete(r.event_id);
        throw err;
      }
      if (this.opts.answerTwice) {
        const t = setTimeout(() => {
          this.later.delete(t);
          this.answer(db, fresh).catch((err: unknown) => void this.errors.push((err as Error).message));
        }, 300);
        this.later.add(t);
      }
    }
    // every category read and answered: the next poll starts from here (a failed answer is read again)
    this.readFrom = nextFrom;
  }

  private verdict(r: ExchangeRowRead): { outcome: 'accepted' | 'rejected'; reason: string | null; field: string | null } {
    if (r.op === 'retract') return { outcome: 'accepted', reason: null, field: null };
    if (!r.subject_name) return { outcome: 'rejected', reason: 'subject name missing', field: '/subject/name' };
    if (this.opts.rejectMarker && r.subject_name.includes(this.opts.rejectMarker)) {
      return { outcome: 'rejected', reason: `subject name contains "${this.opts.rejectMarker}"`, field: '/subject/name' };
    }
    return { outcome: 'accepted', reason: null, field: null };
  }

  /** Its verdicts on these rows, written into the feedback table in statements of ANSWERS_PER_STATEMENT rows. */
  private async answer(db: Db, rows: ExchangeRowRead[]): Promise<void> {
    const q = (n: string) => quoteIdentifier(db.dialect, n);
    const cols = ['event_id', 'outcome', 'reason', 'field'].map(q).join(', ');
    const now = db.dialect === 'postgres' ? 'clock_timestamp()' : 'NOW(6)';
    const onConflict = db.dialect === 'postgres'
      ? `ON CONFLICT (${q('event_id')}) DO UPDATE SET ${q('outcome')} = EXCLUDED.${q('outcome')}, ${q('reason')} = EXCLUDED.${q('reason')},
           ${q('field')} = EXCLUDED.${q('field')}, ${q('answered_at')} = clock_timestamp()`
      : `ON DUPLICATE KEY UPDATE ${q('outcome')} = VALUES(${q('outcome')}), ${q('reason')} = VALUES(${q('reason')}),
           ${q('field')} = VALUES(${q('field')}), ${q('answered_at')} = NOW(6)`;
    for (let i = 0; i < rows.length; i += ANSWERS_PER_STATEMENT) {
      const chunk = rows.slice(i, i + ANSWERS_PER_STATEMENT);
      const answers = chunk.map((r) => {
        const v = this.verdict(r);
        return [r.event_id, v.outcome, v.reason, v.field];
      });
      if (db.dialect === 'postgres') {
        // one JSON parameter: a VALUES list of 2,000 parameters cost PostgreSQL more to parse than the rows to insert
        await db.exec(`INSERT INTO ${q(this.feedbackTable)} (${cols}, ${q('answered_at')})
          SELECT (a ->> 0)::uuid, a ->> 1, a ->> 2, a ->> 3, ${now} FROM jsonb_array_elements(?::jsonb) AS a ${onConflict}`, [JSON.stringify(answers)]);
      } else {
        await db.exec(`INSERT INTO ${q(this.feedbackTable)} (${cols}, ${q('answered_at')}) VALUES ${chunk.map(() => `(?, ?, ?, ?, ${now})`).join(', ')} ${onConflict}`, answers.flat());
      }
      this.answers += chunk.length;
    }
  }
}
