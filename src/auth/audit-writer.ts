/**
 * Appends audit rows to the hash chain. Rows from concurrent requests are written together (group
 * commit), and a few batches may be on their way at once, each hashed onto the chain end the batch
 * before it will leave. Each batch is one statement that moves the single chain-head row from the
 * head it was built on and inserts its rows only if that move happened; a batch built on a head that
 * did not come true (another process appended, or the batch before it failed) writes nothing and is
 * hashed again onto the re-read head. So appends from every gateway process form one chain.
 * append() resolves only after its row is committed (durably) and rejects if it was not: the caller
 * then fails the request.
 */
import type pg from 'pg';
import { auditHash, type AuditEntry, type ChainHead } from './audit-chain.js';
import { oncePerTurn } from './per-turn.js';

const MAX_BATCH = 500;
const MAX_IN_FLIGHT = 2;
const MAX_ATTEMPTS = 50;
/** audit_log's columns with their types: each batch travels as one JSON array of rows with these keys */
const COLUMNS = 'seq bigint, at timestamptz, partner_id text, claimed_iss text, route text, method text, path text, status integer, '
  + 'error_code text, subjects text[], purpose text, jti text, request_digest text, response_digest text, duration_us integer, '
  + 'client_addr text, prev_hash text, hash text';
const COLUMN_NAMES = COLUMNS.split(', ').map((c) => c.split(' ')[0]).join(', ');

interface Pending {
  entry: AuditEntry;
  attempts: number;
  resolve(): void;
  reject(err: unknown): void;
}

export class AuditWriter {
  private queue: Pending[] = [];
  private inFlight = 0;
  /** where the chain will end once every batch sent so far is committed; null = re-read it */
  private tail: ChainHead | null = null;
  /** bumped whenever `tail` turns out wrong, so older batches' failures do not reset a newer tail */
  private generation = 0;
  private readingHead = false;
  private idle: Array<() => void> = [];

  constructor(private readonly pool: pg.Pool) {}

  append(entry: AuditEntry): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ entry, attempts: 0, resolve, reject });
      this.kickSoon();
    });
  }

  /** Waits until every row handed over is written or refused (shutdown). */
  drain(): Promise<void> {
    if (this.queue.length === 0 && this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  /** sends what has queued up, at the end of this event-loop turn */
  private readonly kickSoon = oncePerTurn(() => this.kick());

  private kick(): void {
    while (this.queue.length && this.inFlight < MAX_IN_FLIGHT) {
      if (!this.tail) {
        this.refreshTail();
        return;
      }
      this.send(this.queue.splice(0, MAX_BATCH), this.tail);
    }
    if (this.queue.length === 0 && this.inFlight === 0) for (const done of this.idle.splice(0)) done();
  }

  private refreshTail(): void {
    if (this.readingHead) return;
    this.readingHead = true;
    this.pool.query<{ seq: number; hash: string }>('SELECT seq, hash FROM audit_chain_head WHERE id').then(
      ({ rows }) => {
        this.readingHead = false;
        if (!rows[0]) return this.failAll(new Error('audit_chain_head has no row'));
        this.tail = { seq: Number(rows[0].seq), hash: rows[0].hash }; // bigint: a string unless a type parser says otherwise
        this.kick();
      },
      (err) => {
        this.readingHead = false;
        this.failAll(err);
      },
    );
  }

  private send(batch: Pending[], from: ChainHead): void {
    const generation = this.generation;
    let { seq, hash } = from;
    const rows: unknown[] = [];
    for (const { entry: e } of batch) {
      const prev = hash;
      seq += 1;
      hash = auditHash(prev, seq, e);
      rows.push({
        seq, at: e.at, partner_id: e.partnerId, claimed_iss: e.claimedIss, route: e.route, method: e.method, path: e.path,
        status: e.status, error_code: e.errorCode, subjects: e.subjects, purpose: e.purpose, jti: e.jti,
        request_digest: e.requestDigest, response_digest: e.responseDigest, duration_us: e.durationUs, client_addr: e.clientAddr,
        prev_hash: prev, hash,
      });
    }
    this.tail = { seq, hash };
    this.inFlight++;
    this.pool
      .query<{ moved: number }>({
        name: 'credit-gateway-audit-append', // prepared once per connection
        text: `WITH head AS (
           UPDATE audit_chain_head SET seq = $3, hash = $4 WHERE id AND seq = $1 AND hash = $2
           RETURNING 1
         ), appended AS (
           INSERT INTO audit_log (${COLUMN_NAMES})
           SELECT ${COLUMN_NAMES} FROM json_to_recordset($5::json) AS v(${COLUMNS}) WHERE EXISTS (SELECT 1 FROM head)
           RETURNING 1
         )
         SELECT (SELECT count(*) FROM head)::int AS moved, (SELECT count(*) FROM appended)::int AS appended`,
        values: [from.seq, from.hash, seq, hash, JSON.stringify(rows)],
      })
      .then(
        ({ rows }) => {
          if (rows[0]!.moved === 1) {
            for (const p of batch) p.resolve();
            return;
          }
          this.invalidate(generation);
          const retry = batch.filter((p) => ++p.attempts < MAX_ATTEMPTS);
          for (const p of batch) if (p.attempts >= MAX_ATTEMPTS) p.reject(new Error('the audit chain head kept moving'));
          this.queue.unshift(...retry);
        },
        (err) => {
          this.invalidate(generation);
          for (const p of batch) p.reject(err);
        },
      )
      .finally(() => {
        this.inFlight--;
        this.kick();
      });
  }

  private invalidate(generation: number): void {
    if (generation !== this.generation) return;
    this.generation++;
    this.tail = null;
  }

  private failAll(err: unknown): void {
    for (const p of this.queue.splice(0)) p.reject(err);
    this.kick();
  }
}
