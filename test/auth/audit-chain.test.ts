/** The audit hash chain walk: an intact chain passes; each kind of tampering is named at the right row. */
import { describe, expect, it } from 'vitest';
import { auditHash, ChainWalker, GENESIS_HASH, type AuditEntry, type AuditRow, type ChainFinding } from '../../src/auth/audit-chain.js';

function entry(i: number): AuditEntry {
  return {
    at: new Date(Date.UTC(2024, 0, 1, 0, 0, i)).toISOString(), partnerId: '11320583000012343X', claimedIss: '11320583000012343X',
    route: '/v1/subjects/:uscc', method: 'GET', path: `/v1/subjects/S${i}`, status: 200, errorCode: null, subjects: [`S${i}`],
    purpose: 'bidding:1', jti: `j${i}`, requestDigest: null, responseDigest: `sha-256=:${i}:`, durationUs: 1000 + i, clientAddr: '127.0.0.1',
  };
}

function chain(n: number): AuditRow[] {
  const rows: AuditRow[] = [];
  let prev = GENESIS_HASH;
  for (let seq = 1; seq <= n; seq++) {
    const hash = auditHash(prev, seq, entry(seq));
    rows.push({ ...entry(seq), seq, prevHash: prev, hash });
    prev = hash;
  }
  return rows;
}

function walk(rows: AuditRow[], head = { seq: rows.at(-1)?.seq ?? 0, hash: rows.at(-1)?.hash ?? GENESIS_HASH }, checkpoints: Array<{ seq: number; hash: string; at: string }> = []): ChainFinding | null {
  const walker = new ChainWalker(checkpoints);
  for (let i = 0; i < rows.length; i++) {
    const finding = walker.check(rows[i]!, rows[i + 1]);
    if (finding) return finding;
  }
  return walker.finish(head);
}

describe('audit chain', () => {
  it('an untouched chain passes, and so does an empty one', () => {
    expect(walk(chain(6))).toBeNull();
    expect(walk([], { seq: 0, hash: GENESIS_HASH })).toBeNull();
  });

  it('the hash covers every field and the position', () => {
    const e = entry(1);
    const base = auditHash(GENESIS_HASH, 1, e);
    expect(auditHash(GENESIS_HASH, 2, e)).not.toBe(base);
    for (const [k, v] of Object.entries({ status: 500, subjects: [], purpose: null, partnerId: null, durationUs: 1 })) {
      expect(auditHash(GENESIS_HASH, 1, { ...e, [k]: v }), k).not.toBe(base);
    }
  });

  it('names an edited row', () => {
    const rows = chain(6);
    rows[3] = { ...rows[3]!, status: 403 };
    expect(walk(rows)).toMatchObject({ seq: 4, kind: 'changed' });
  });

  it('names an edited row whose own hash was recomputed (the next row no longer links to it)', () => {
    const rows = chain(6);
    const edited = { ...rows[2]!, purpose: 'something else' };
    rows[2] = { ...edited, hash: auditHash(edited.prevHash, edited.seq, edited) };
    expect(walk(rows)).toMatchObject({ seq: 3, kind: 'changed' });
  });

  it('names a deleted row, and deleted rows at the end', () => {
    const rows = chain(6);
    expect(walk([...rows.slice(0, 2), ...rows.slice(3)])).toMatchObject({ seq: 3, kind: 'deleted' });
    expect(walk(rows.slice(0, 4), { seq: 6, hash: rows[5]!.hash })).toMatchObject({ seq: 5, kind: 'deleted' });
  });

  it('names an inserted row (the rows after it renumbered), and rows beyond the chain head', () => {
    const rows = chain(6);
    const forged = { ...entry(99), seq: 4, prevHash: rows[2]!.hash, hash: '' };
    forged.hash = auditHash(forged.prevHash, 4, forged);
    const renumbered = rows.slice(3).map((r) => ({ ...r, seq: r.seq + 1 }));
    expect(walk([...rows.slice(0, 3), forged, ...renumbered])).toMatchObject({ seq: 4, kind: 'inserted' });

    const appended = { ...entry(7), seq: 7, prevHash: rows[5]!.hash, hash: '' };
    appended.hash = auditHash(appended.prevHash, 7, appended);
    expect(walk([...rows, appended], { seq: 6, hash: rows[5]!.hash })).toMatchObject({ seq: 7, kind: 'inserted' });
  });

  it('an inserted row that takes a link but leaves the next row pointing past it is named', () => {
    const rows = chain(4);
    const forged = { ...entry(50), seq: 3, prevHash: 'f'.repeat(64), hash: '' };
    forged.hash = auditHash(forged.prevHash, 3, forged);
    // the next row still links to row 2, i.e. past the forged row
    const next = { ...entry(3), seq: 4, prevHash: rows[1]!.hash, hash: '' };
    next.hash = auditHash(next.prevHash, 4, next);
    expect(walk([rows[0]!, rows[1]!, forged, next])).toMatchObject({ seq: 3, kind: 'inserted' });
  });

  it('signed checkpoints: a chain rebuilt whole is named at the first checkpointed row it differs from; rows cut off after one are deleted', () => {
    const original = chain(6);
    const signed = [2, 4].map((seq) => ({ seq, hash: original[seq - 1]!.hash, at: `2024-01-01T00:0${seq}:00.000Z` }));
    expect(walk(original, undefined, signed)).toBeNull();
    // row 3 edited and everything from it re-hashed: the chain is whole again, but row 4 is not the row signed
    const rebuilt: AuditRow[] = [];
    let prev = original[1]!.hash;
    for (const row of original) {
      if (row.seq < 3) {
        rebuilt.push(row);
        continue;
      }
      const changed = { ...row, status: row.seq === 3 ? 500 : row.status };
      const hash = auditHash(prev, row.seq, changed);
      rebuilt.push({ ...changed, prevHash: prev, hash });
      prev = hash;
    }
    expect(walk(rebuilt)).toBeNull();
    expect(walk(rebuilt, undefined, signed)).toMatchObject({ seq: 4, kind: 'rewritten' });
    // the last three rows deleted and the head moved back to row 3
    const cut = original.slice(0, 3);
    expect(walk(cut)).toBeNull();
    expect(walk(cut, undefined, signed)).toMatchObject({ seq: 4, kind: 'deleted', message: expect.stringContaining('vouches for row 4') });
  });
});
