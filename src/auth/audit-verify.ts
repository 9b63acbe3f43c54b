/**
 * Reads the audit log in seq order, page by page, and walks its hash chain (src/auth/audit-chain.ts),
 * checking it against signed checkpoints when given (src/auth/audit-checkpoints.ts). The reads are
 * src/store/audit-repo.ts's.
 */
import type pg from 'pg';
import { AUDIT_PAGE, inAuditSnapshot, readAuditPage, readChainHead } from '../store/audit-repo.js';
import { ChainWalker, type AuditCheckpoint, type ChainFinding } from './audit-chain.js';

export interface AuditVerification {
  rows: number;
  headSeq: number;
  finding: ChainFinding | null;
}

/** Walks the chain; `checkpoints` (signed, read from outside the database) pin the rows they name. */
export function verifyAuditLog(pool: pg.Pool, checkpoints: AuditCheckpoint[] = []): Promise<AuditVerification> {
  // One snapshot for the whole walk, so appends made meanwhile neither count nor confuse it.
  return inAuditSnapshot(pool, async (db) => {
    const head = (await readChainHead(db)) ?? { seq: 0, hash: '' };
    const walker = new ChainWalker(checkpoints);
    let page = await readAuditPage(db, 0);
    let finding: ChainFinding | null = null;
    while (page.length && !finding) {
      const following = page.length === AUDIT_PAGE ? await readAuditPage(db, page[page.length - 1]!.seq) : [];
      for (let i = 0; i < page.length && !finding; i++) finding = walker.check(page[i]!, page[i + 1] ?? following[0]);
      page = following;
    }
    finding ??= walker.finish(head);
    return { rows: walker.rows, headSeq: head.seq, finding };
  });
}
