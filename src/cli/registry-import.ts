/**
 * npm run registry:import -- <file.csv>
 *
 * Teaches the subject registry the subjects of a registration-data file (src/ingest/registration-
 * import.ts), 1,000 rows per transaction, and completes the pending records that waited for them (new
 * versions, published through the outbox like any other). Prints the refused rows (line and rule) and
 * `rows: N learned: N refused: N completed records: N`. Exit 0, 1 on an unreadable file, 2 on usage.
 */
import { databaseUrlOf, loadConfig } from '../config/load.js';
import { registrationRows } from '../ingest/registration-import.js';
import { Outbox } from '../outbox/outbox.js';
import { inTransaction, openDatabase } from '../store/db.js';
import { learnSubjectsAndComplete } from '../store/records-repo.js';
import type { SubjectFact } from '../store/subjects-repo.js';

const BATCH = 1000;

async function main(): Promise<number> {
  const path = process.argv[2];
  if (!path) {
    process.stderr.write('usage: npm run registry:import -- <file.csv>\n');
    return 2;
  }
  const config = loadConfig();
  const db = await openDatabase(databaseUrlOf(config), config);
  // no relay here: a running gateway's relay publishes what this queues on its next poll
  const outbox = new Outbox({ destinations: config.destinations, alertsTopic: config.monitoring.alertsTopic });
  let rows = 0;
  let learned = 0;
  let refused = 0;
  let completed = 0;
  const flush = async (facts: SubjectFact[]) => {
    if (!facts.length) return;
    completed += await inTransaction(db.pool, (client) => learnSubjectsAndComplete(client, facts, 'import', outbox));
    learned += facts.length;
  };
  try {
    let batch: SubjectFact[] = [];
    for await (const row of registrationRows(path)) {
      rows++;
      if ('refused' in row) {
        refused++;
        process.stdout.write(`line ${row.line}: refused: ${row.refused}\n`);
        continue;
      }
      batch.push(row.fact);
      if (batch.length >= BATCH) {
        await flush(batch);
        batch = [];
      }
    }
    await flush(batch);
  } catch (err) {
    process.stderr.write(`registry:import: ${(err as Error).message}\n`);
    return 1;
  } finally {
    await db.close();
  }
  process.stdout.write(`rows: ${rows} learned: ${learned} refused: ${refused} completed records: ${completed}\n`);
  return 0;
}

main().then((code) => { process.exitCode = code; }, (err) => {
  process.stderr.write(`registry:import: ${(err as Error).stack ?? err}\n`);
  process.exitCode = 1;
});
