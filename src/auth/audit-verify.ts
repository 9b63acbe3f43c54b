/**
 * Reads the audit log in seq order, page by page, and walks its hash chain (src/auth/audit-chain.ts),
 * checking it against signed checkpoints when given (src/auth/audit-checkpoints.ts).
 */
import type pg from 'pg';
import { ChainWalker, type AuditCheckpoint, type AuditRow, type ChainFinding } from './audit-chain.js';

const PAGE = 5000;

export interface AuditVerification {
  rows: number;
  headSeq: number;
  finding: ChainFinding | null;
}

/** Walks the chain; `checkpoints` (signed, read from outside the database) pin the rows they name. */
export async function verifyAuditLog(pool: pg.Pool, checkpoints: AuditCheckpoint[] = []): Promise<AuditVerification> {
  const client = await pool.connect();
  try {
    // One snapshot for the whole walk, so appends made meanwhile neither count nor confuse it.
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const { rows: heads } = await client.query<{ seq: number; hash: string }>('SELECT seq, hash FROM audit_chain_head WHERE id');
    const head = heads[0] ?? { seq: 0, hash: '' };
    const walker = new ChainWalker(checkpoints);
    let page = await readAuditPage(client, 0);
    let finding: ChainFinding | null = null;
    while (page.length && !finding) {
      const following = page.length === PAGE ? await readAuditPage(client, page[page.length - 1]!.seq) : [];
      for (let i = 0; i < page.length && !finding; i++) finding = walker.check(page[i]!, page[i + 1] ?? following[0]);
      page = following;
    }
    finding ??= walker.finish(head);
    await client.query('COMMIT');
    return { rows: walker.rows, headSeq: head.seq, finding };
  } finally {
    client.release();
  }
}

/** Up to PAGE audit rows after `afterSeq`, in seq order, as the chain hashed them. */
export async function readAuditPage(client: pg.ClientBase, afterSeq: number): Promise<AuditRow[]> {
  const { rows } = await client.query(
    `SELECT seq, at, partner_id, claimed_iss, route, method, path, status, error_code, subjects, purpose, jti,
            request_digest, response_digest, duration_us, client_addr, prev_hash, hash
       FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT ${PAGE}`,
    [afterSeq],
  );
  return rows.map((r) => ({
    seq: Number(r.seq),
    at: (r.at as Date).toISOString(),
    partnerId: r.partner_id,
    claimedIss: r.claimed_iss,
    route: r.route,
    method: r.method,
    path: r.path,
    status: r.status,
    errorCode: r.error_code,
    subjects: r.subjects,
    purpose: r.purpose,
    jti: r.jti,
    requestDigest: r.request_digest,
    responseDigest: r.response_digest,
    durationUs: r.duration_us,
    clientAddr: r.client_addr,
    prevHash: r.prev_hash,
    hash: r.hash,
  }));
}
