/**
 * Signed checkpoints of the audit chain, kept outside the database. The hash chain shows a row that
 * was changed, deleted or inserted — unless someone with write access rebuilt the whole chain after
 * it. So every intervalSeconds the gateway signs the chain head (seq, hash, time) with its own key and
 * appends it as one line to a file (JSON Lines; fsynced). audit:verify then checks that the row each
 * checkpoint names still has the hash it had: a rebuilt chain no longer matches what was signed.
 * Operators should ship the file off the host (syslog, backup) so it is out of reach as well.
 *
 *   {"seq":1234,"hash":"…","at":"2026-11-23T08:00:00.000Z","jws":"<compact JWS of {seq,hash,at}>"}
 */
import { open, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { compactVerify, createLocalJWKSet, type JWK } from 'jose';
import type pg from 'pg';
import type { AuthConfig } from '../config/types.js';
import { readChainHead } from '../store/audit-repo.js';
import type { AuditCheckpoint } from './audit-chain.js';
import type { GatewayKeys } from './gateway-keys.js';
import { signCompactJws } from './response-signature.js';

export const CHECKPOINT_TYPE = 'audit-checkpoint+jws';

export function checkpointFileOf(auth: Pick<AuthConfig, 'auditCheckpoints' | 'signingKeys'>): string {
  return auth.auditCheckpoints.file ?? join(auth.signingKeys.dir, 'audit-checkpoints.jsonl');
}

export class AuditCheckpointer {
  private lastSeq = 0;
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly pool: pg.Pool, private readonly keys: GatewayKeys, private readonly file: string) {
    mkdirSync(dirname(file), { recursive: true });
  }

  start(intervalSeconds: number, onError: (err: unknown) => void): void {
    this.timer = setInterval(() => this.checkpoint().catch(onError), intervalSeconds * 1000);
    this.timer.unref();
  }

  /** Signs and appends the current chain head, unless it was already the last one written. */
  checkpoint(): Promise<void> {
    this.writing = this.writing.catch(() => undefined).then(() => this.write());
    return this.writing;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.checkpoint();
  }

  private async write(): Promise<void> {
    const head = await readChainHead(this.pool);
    const seq = Number(head?.seq ?? 0);
    if (seq === 0 || seq === this.lastSeq) return;
    const checkpoint: AuditCheckpoint = { seq, hash: head!.hash, at: new Date().toISOString() };
    const jws = signCompactJws(this.keys.current(), { typ: CHECKPOINT_TYPE }, Buffer.from(JSON.stringify(checkpoint)));
    const handle = await open(this.file, 'a', 0o640);
    try {
      await handle.appendFile(`${JSON.stringify({ ...checkpoint, jws })}\n`);
      await handle.datasync();
    } finally {
      await handle.close();
    }
    this.lastSeq = seq;
  }
}

export type CheckpointReading =
  | { ok: true; checkpoints: AuditCheckpoint[] }
  | { ok: false; line: number; message: string };

/**
 * Reads a checkpoint file and verifies every line's signature (jose, against the gateway's current and
 * retired public keys). A line that does not verify, or whose fields differ from what was signed, is
 * reported by number: the file itself was tampered with.
 */
export async function readCheckpoints(file: string, keys: { keys: JWK[] }): Promise<CheckpointReading> {
  const text = await readFile(file, 'utf8');
  const keySet = createLocalJWKSet(keys);
  const checkpoints: AuditCheckpoint[] = [];
  const lines = text.split('\n');
  for (const [i, line] of lines.entries()) {
    if (line.trim() === '') continue;
    const bad = (message: string): CheckpointReading => ({ ok: false, line: i + 1, message: `checkpoint line ${i + 1}: ${message}` });
    let entry: AuditCheckpoint & { jws?: unknown };
    try {
      entry = JSON.parse(line) as AuditCheckpoint & { jws?: unknown };
    } catch {
      return bad('not JSON');
    }
    if (typeof entry.jws !== 'string') return bad('no signature');
    let signed: AuditCheckpoint;
    try {
      const { payload, protectedHeader } = await compactVerify(entry.jws, keySet);
      if (protectedHeader.typ !== CHECKPOINT_TYPE) return bad('not a checkpoint signature');
      signed = JSON.parse(new TextDecoder().decode(payload)) as AuditCheckpoint;
    } catch {
      return bad('the signature does not verify with the gateway keys');
    }
    if (signed.seq !== entry.seq || signed.hash !== entry.hash || signed.at !== entry.at) return bad('differs from what was signed');
    checkpoints.push(signed);
  }
  return { ok: true, checkpoints };
}
