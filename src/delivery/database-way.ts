/**
 * The database way (GB/T 39443-2020 database docking, 前置库): a batch's events upserted, in one
 * transaction, into the platform's exchange tables in PostgreSQL or MySQL/MariaDB — one table per
 * category (exchange-schema.ts), a row per record keyed by record_id, replaced only by a newer version,
 * event_id unique — so a batch delivered again after a crash changes nothing there, delivered_at
 * included. A retraction is the record's row with op `retract` and its status. The platform writes its
 * verdicts into the feedback table; `poll` reads them after the destination's cursor (stored in the
 * gateway's database, delivery_feedback_cursors) and applies them.
 *
 * Tables: with `createTables` the gateway creates what is missing; otherwise a table that is not there
 * (or lacks a column) makes delivery wait, with an error naming the table and column, until it is.
 * The connections (src/connectors/exchange-db/connection.ts, as the exchange-database connector has
 * them) are opened when first needed — one per partition being delivered at once, each hand-over's
 * transaction on a connection of its own — and again after one failed: a platform that is down makes
 * delivery wait.
 */
import type pg from 'pg';
import type { Logger } from 'pino';
import type { DatabaseDeliveryConfig, DestinationConfig } from '../config/types.js';
import { CATEGORY_IDS } from '../domain/catalogue.js';
import { dialectOf, ExchangeDbError, openSession, type SourceSession } from '../connectors/exchange-db/connection.js';
import { columnsStatement, type Statement } from '../connectors/exchange-db/source-query.js';
import { checkColumns } from '../connectors/exchange-db/table-check.js';
import { inTransaction } from '../store/db.js';
import {
  eventsHandedBefore, lockFeedbackCursor, recordedEvents, saveFeedbackCursor, type DeliveredEvent, type FeedbackCursor, type FeedbackEntry,
} from '../store/deliveries-repo.js';
import type { DeliveryEvent } from './delivery-event.js';
import {
  createExchangeTableSql, createFeedbackTableSql, DELIVERY_COLUMNS, exchangeColumns, exchangeRow, FEEDBACK_COLUMNS, feedbackPageStatement,
  readerSettings, rowsOfEventsStatement, tableOf, upsertStatement, type ExchangeColumn, type FeedbackRow,
} from './exchange-schema.js';
import { packageName, sha256 } from './package-format.js';
import { alongside, BatchRefused, clip, deliveredEvents, type DeliveryWay, FEEDBACK_HOLD_MS, type FeedbackSink, type FeedbackSource, type HandedOver, MAX_FIELD, MAX_REASON, PlatformUnavailable, type RecordHandOver, type Where } from './way.js';

/** rows per INSERT statement */
const ROWS_PER_STATEMENT = 200;
/** answers read per statement from the feedback table */
const FEEDBACK_PAGE = 1000;

export class DatabaseWay implements DeliveryWay, FeedbackSource {
  readonly way = 'database';
  readonly readsRecords = true;
  readonly feedback: FeedbackSource = this;
  private readonly url: string;
  private readonly dialect;
  /** writing sessions not in use: each hand-over has one to itself, for its transaction */
  private readonly idleWriters: SourceSession[] = [];
  private closed = false;
  private reader: SourceSession | null = null;
  private readonly ready = new Set<string>();
  private readonly columns = new Map<string, ExchangeColumn[]>();
  private readonly categories: readonly string[];

  constructor(
    private readonly cfg: DatabaseDeliveryConfig,
    dest: Pick<DestinationConfig, 'name' | 'categories'>,
    private readonly gateway: { pool: pg.Pool; log: Logger },
    env: NodeJS.ProcessEnv = process.env,
  ) {
    const url = env[cfg.urlEnv];
    if (!url) throw new Error(`destinations ${dest.name}: delivery.urlEnv: environment variable ${cfg.urlEnv} is not set (交换库地址的环境变量 ${cfg.urlEnv} 未设置)`);
    this.url = url;
    this.dialect = dialectOf(url);
    this.categories = dest.categories.includes('*') ? CATEGORY_IDS : dest.categories;
  }

  /** Nothing to do before the first batch: the platform may be down when the gateway starts. */
  async prepare(): Promise<void> {}

  async deliver(where: Where, events: DeliveryEvent[], record: RecordHandOver): Promise<HandedOver> {
    const unknown = events.filter((e) => !this.categories.includes(String(e.record.category)));
    if (unknown.length) {
      throw new BatchRefused(`category ${JSON.stringify(unknown[0]!.record.category)} has no exchange table at this destination (该类别在此去向没有交换表)`, events);
    }
    // the newest version of each record in the batch: one row per record
    const latest = new Map<string, DeliveryEvent>();
    for (const e of events) if ((latest.get(e.recordId)?.version ?? 0) < e.version) latest.set(e.recordId, e);
    const byTable = new Map<string, Array<Array<string | number | null>>>();
    for (const e of latest.values()) {
      const category = String(e.record.category);
      const rows = byTable.get(category) ?? [];
      rows.push(exchangeRow(e, this.columnsOf(category)));
      byTable.set(category, rows);
    }
    const first = events[0]!;
    const last = events[events.length - 1]!;
    const handed: HandedOver = {
      name: packageName(where.destination, where.partition, first.offset, last.offset),
      sha256: sha256(JSON.stringify([...byTable])),
      firstOffset: first.offset,
      lastOffset: last.offset,
      events: deliveredEvents(events),
      written: true,
    };
    const write = this.withWriter(async (s) => {
      for (const category of byTable.keys()) await this.ensureTable(s, category);
      await s.execute({ sql: 'BEGIN', params: [] });
      try {
        for (const [category, rows] of byTable) {
          for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
            await s.execute(upsertStatement(this.dialect, tableOf(this.cfg.tablePrefix, category), this.columnsOf(category), rows.slice(i, i + ROWS_PER_STATEMENT)));
          }
        }
        await s.execute({ sql: 'COMMIT', params: [] });
      } catch (err) {
        await s.execute({ sql: 'ROLLBACK', params: [] }).catch(() => undefined);
        throw err;
      }
    });
    // recorded while the rows are written (the gateway's transaction commits after the platform's)
    await alongside(write, record(handed));
    return handed;
  }

  private columnsOf(category: string): ExchangeColumn[] {
    let cols = this.columns.get(category);
    if (!cols) this.columns.set(category, (cols = exchangeColumns(category)));
    return cols;
  }

  /** The table is there with every column (created first with createTables), checked once per process. */
  private async ensureTable(s: SourceSession, category: string): Promise<void> {
    const table = tableOf(this.cfg.tablePrefix, category);
    if (this.ready.has(table)) return;
    const columns = this.columnsOf(category);
    if (this.cfg.createTables) await s.execute({ sql: createExchangeTableSql(this.dialect, table, columns), params: [] });
    await this.check(s, table, [...DELIVERY_COLUMNS, ...columns.map((c) => c.name)]);
    this.ready.add(table);
  }

  private async check(s: SourceSession, table: string, columns: readonly string[]): Promise<void> {
    try {
      await checkColumns(s, table, columns.map((column) => ({ column, setting: 'delivery' })));
    } catch (err) {
      if (!(err instanceof ExchangeDbError) || this.cfg.createTables) throw err;
      throw new ExchangeDbError(`${err.message} — delivery.createTables is false: create table ${table} (README "Delivery to platforms"), or set createTables: true (交换表 ${table} 不存在或缺列)`, { cause: err });
    }
  }

  /**
   * Runs `fn` on a writing session of its own (an idle one, or one opened now), so that the hand-overs
   * of partitions delivered at once never share a transaction; a session that failed is closed.
   */
  private async withWriter<T>(fn: (s: SourceSession) => Promise<T>): Promise<T> {
    let s: SourceSession | undefined;
    try {
      s = this.idleWriters.pop() ?? (await this.open());
      const result = await fn(s);
      if (this.closed) await s.close().catch(() => undefined);
      else this.idleWriters.push(s);
      return result;
    } catch (err) {
      await s?.close().catch(() => undefined);
      if (err instanceof ExchangeDbError) throw new PlatformUnavailable(err.message, null, { cause: err });
      throw err;
    }
  }

  /**
   * A statement of the feedback reader (a page, the rows of answered events), under readerSettings on
   * PostgreSQL: set for its own transaction only (SET LOCAL), so that they hold whatever connection a
   * pooler in front of the platform's database gives it, and never outlive it on another client's.
   */
  private async readerRows(statement: Statement): Promise<Array<Record<string, unknown>>> {
    const reader = this.reader!;
    const settings = readerSettings(this.dialect);
    if (!settings.length) return reader.rows(statement);
    await reader.execute({ sql: 'BEGIN', params: [] });
    try {
      for (const sql of settings) await reader.execute({ sql, params: [] });
      const rows = await reader.rows(statement);
      await reader.execute({ sql: 'COMMIT', params: [] });
      return rows;
    } catch (err) {
      await reader.execute({ sql: 'ROLLBACK', params: [] }).catch(() => undefined);
      throw err;
    }
  }

  private open(): Promise<SourceSession> {
    return openSession(this.url, { connectTimeoutMs: this.cfg.connectTimeoutMs, statementTimeoutMs: this.cfg.statementTimeoutMs, readOnly: false });
  }

  /**
   * One pass over the feedback table: the answers after the destination's cursor (locked in the
   * gateway's database meanwhile), applied; the cursor moved past them. An answer about an event the
   * platform has but the gateway has not recorded yet (notRecordedYet) stops the pass there — it is read
   * again next time — unless it is older than FEEDBACK_HOLD_MS.
   */
  async poll(sink: FeedbackSink): Promise<void> {
    await inTransaction(this.gateway.pool, async (client) => {
      let cursor = await lockFeedbackCursor(client, sink.destination);
      for (;;) {
        const rows = await this.readFeedback(cursor);
        if (!rows.length) return;
        const known = await recordedEvents(client, sink.destination, rows.map((r) => r.event_id.toLowerCase()));
        const young = rows.filter((r) => !known.has(r.event_id.toLowerCase()) && Number(r.age_ms) < FEEDBACK_HOLD_MS).map((r) => r.event_id.toLowerCase());
        const waiting = young.length ? await this.notRecordedYet(client, sink.destination, young) : new Set<string>();
        // Recorded between the two reads (handed, so not waited for, but not known when `known` was read):
        // known now. Without this second read such an answer was passed by and its state stayed `delivered`.
        const late = young.filter((e) => !waiting.has(e));
        if (late.length) for (const e of await recordedEvents(client, sink.destination, late)) known.add(e);
        const take: FeedbackEntry[] = [];
        let moved: FeedbackCursor | null = null;
        let held = false;
        for (const r of rows) {
          const eventId = r.event_id.toLowerCase();
          if (waiting.has(eventId)) {
            held = true;
            break;
          }
          if (!known.has(eventId)) {
            // an answer about an event a newer one replaced (at the platform or in the gateway's states): it changes nothing
            if (!young.includes(eventId)) sink.warn({ eventId: r.event_id, answeredAt: r.answered_at }, 'delivery: an answer in the feedback table about an event not delivered to this destination; passed by');
          } else if (r.outcome === 'accepted' || r.outcome === 'rejected') {
            take.push({ eventId, outcome: r.outcome, reason: r.reason === null ? null : clip(String(r.reason), MAX_REASON), field: r.field === null ? null : clip(String(r.field), MAX_FIELD) });
          } else {
            sink.warn({ eventId: r.event_id, outcome: r.outcome }, 'delivery: an answer with an outcome other than accepted or rejected; passed by');
          }
          moved = { answeredAt: r.answered_at, eventId: r.event_id };
        }
        if (take.length) await sink.apply(take);
        if (moved) {
          await saveFeedbackCursor(client, sink.destination, moved);
          cursor = moved;
        }
        if (held || rows.length < FEEDBACK_PAGE) return;
      }
    });
  }

  /**
   * Of answered events the delivery states do not hold, those the gateway has not recorded yet: their
   * row is in the exchange table (so the platform has that version) but the states hold an older
   * version of the record, or none. An event whose row a newer version replaced, or whose record the
   * states hold at its version or later, is not waited for.
   */
  private async notRecordedYet(client: pg.PoolClient, destination: string, eventIds: string[]): Promise<Set<string>> {
    const found: DeliveredEvent[] = [];
    for (const category of this.categories) {
      const table = tableOf(this.cfg.tablePrefix, category);
      if (!this.ready.has(table)) {
        // not written by this process: is the table there at all?
        const present = await this.reader!.rows(columnsStatement(this.dialect, table));
        if (!present.length) continue;
      }
      const got = await this.readerRows(rowsOfEventsStatement(this.dialect, table, eventIds));
      for (const r of got) found.push({ eventId: String(r.event_id).toLowerCase(), recordId: String(r.record_id).toLowerCase(), version: Number(r.version), type: '' });
    }
    const handed = await eventsHandedBefore(client, destination, found);
    return new Set(found.filter((e) => !handed.has(e.eventId)).map((e) => e.eventId));
  }

  private async readFeedback(cursor: FeedbackCursor | null): Promise<FeedbackRow[]> {
    const table = this.cfg.feedbackTable;
    try {
      this.reader ??= await this.open();
      if (!this.ready.has(table)) {
        if (this.cfg.createTables) for (const sql of createFeedbackTableSql(this.dialect, table)) await this.reader.execute({ sql, params: [] });
        await this.check(this.reader, table, FEEDBACK_COLUMNS);
        this.ready.add(table);
      }
      return (await this.readerRows(feedbackPageStatement(this.dialect, table, cursor, this.cfg.feedbackSettleMs, FEEDBACK_PAGE))) as unknown as FeedbackRow[];
    } catch (err) {
      const s = this.reader;
      this.reader = null;
      await s?.close().catch(() => undefined);
      throw err;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const s of [...this.idleWriters.splice(0), this.reader]) await s?.close().catch(() => undefined);
    this.reader = null;
  }
}
