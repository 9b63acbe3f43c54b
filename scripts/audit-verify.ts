/**
 * npm run audit:verify — walks the audit log's hash chain and names the first row that was changed,
 * deleted or inserted. Exit 0 = intact, 1 = broken, 2 = could not check. Uses the gateway config
 * (DATABASE_URL, CONFIG_FILE).
 */
import { verifyAuditLog } from '../src/auth/audit-verify.js';
import { loadConfig } from '../src/config/load.js';
import { openDatabase } from '../src/store/db.js';

async function main(): Promise<number> {
  const config = loadConfig();
  const db = await openDatabase(config);
  try {
    const result = await verifyAuditLog(db.pool);
    if (result.finding) {
      process.stdout.write(`audit log BROKEN at row ${result.finding.seq} (${result.finding.kind}): ${result.finding.message}\n`);
      process.stdout.write(`checked ${result.rows} rows; the chain head is at ${result.headSeq}\n`);
      return 1;
    }
    process.stdout.write(`audit log intact: ${result.rows} rows, chain head at ${result.headSeq}\n`);
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
