/**
 * npm run audit:verify — walks the audit log's hash chain and names the first row that was changed,
 * deleted or inserted; then checks it against the signed checkpoints kept outside the database
 * (auth.auditCheckpoints), which also show a chain rebuilt whole. Exit 0 = intact, 1 = broken,
 * 2 = could not check. Uses the gateway config (DATABASE_URL, CONFIG_FILE); AUDIT_CHECKPOINTS names
 * another checkpoint file (e.g. the copy shipped off the host).
 */
import { existsSync } from 'node:fs';
import type { AuditCheckpoint } from '../auth/audit-chain.js';
import { checkpointFileOf, readCheckpoints } from '../auth/audit-checkpoints.js';
import { GatewayKeys } from '../auth/gateway-keys.js';
import { verifyAuditLog } from '../auth/audit-verify.js';
import { databaseUrlOf, loadConfig } from '../config/load.js';
import { openDatabase } from '../store/db.js';

async function main(): Promise<number> {
  const config = loadConfig();
  const file = process.env.AUDIT_CHECKPOINTS ?? checkpointFileOf(config.auth);
  let checkpoints: AuditCheckpoint[] = [];
  if (existsSync(file)) {
    const reading = await readCheckpoints(file, await GatewayKeys.verificationKeys(config.auth.signingKeys.dir));
    if (!reading.ok) {
      process.stdout.write(`audit checkpoints BROKEN: ${reading.message} (${file})\n`);
      return 1;
    }
    checkpoints = reading.checkpoints;
  } else {
    process.stdout.write(`no checkpoint file at ${file}: only the chain itself is checked\n`);
  }
  const db = await openDatabase(databaseUrlOf(config), config);
  try {
    const result = await verifyAuditLog(db.pool, checkpoints);
    if (result.finding) {
      process.stdout.write(`audit log BROKEN at row ${result.finding.seq} (${result.finding.kind}): ${result.finding.message}\n`);
      process.stdout.write(`checked ${result.rows} rows; the chain head is at ${result.headSeq}\n`);
      return 1;
    }
    process.stdout.write(`audit log intact: ${result.rows} rows, chain head at ${result.headSeq}, ${checkpoints.length} signed checkpoints agree\n`);
    return 0;
  } finally {
    await db.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`audit:verify failed: ${(err as Error).message}\n`);
    process.exit(2);
  },
);
