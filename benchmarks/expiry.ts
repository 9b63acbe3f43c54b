/**
 * npm run bench:expiry — records per second the expiry job moves to `expired` (each with its
 * record.status_changed and record.retracted events), the gateway in this process. BENCH_RECORDS
 * (default 20,000; whole batches of 500) 行政处罚 records whose publication ended are pushed over HTTP
 * first (so each has been published to the destination, which the retraction then goes to) and the
 * outbox drained; then one
 * expiry run is timed, and the drain of its events to broker ack. Prints `expire: N records/s` (the
 * run), `expire to broker ack: N records/s`, WAL per record and CPU per record. The batch size is the
 * configured default unless BENCH_BATCH says otherwise. Needs PostgreSQL (DATABASE_URL, else
 * postgres://postgres@127.0.0.1:5432/postgres) and the local Kafka broker (KAFKA_BROKERS, else
 * 127.0.0.1:19092, started if needed).
 */
import { connectorBenchConfig } from './support/connector-gateway.js';
import { BATCH, pushAndDrain } from './support/ingest-load.js';
import { cpuSince, cpuSnapshot } from './support/process-cpu.js';
import { deleteTopic } from './support/topics.js';
import { walBytesSince, walLine, walPosition } from './support/wal.js';
import { sampleRecordInput } from '../src/dev/sample-records.js';
import { startLocalBroker } from '../src/dev/local-broker.js';
import { createScratchDatabase } from '../src/dev/scratch-database.js';
import { ExpiryJob } from '../src/lifecycle/expiry-job.js';
import { waitForOutboxDrained } from '../src/outbox/outbox.js';
import { startGateway } from '../src/server.js';

/** BENCH_RECORDS, rounded up to whole batches of BATCH (500) */
const RECORDS = Math.ceil(Number(process.env.BENCH_RECORDS ?? 20_000) / BATCH) * BATCH;
/** the job's clock: every pushed record's publication (ended 2025-01-01) is over */
const NOW = new Date('2025-07-01T04:00:00Z');

/** Request bodies of RECORDS 行政处罚 records whose publication ended on 2025-01-01. */
function endedPenalties(): string[] {
  return Array.from({ length: RECORDS / BATCH }, (_, b) => JSON.stringify({
    records: Array.from({ length: BATCH }, (_, i) =>
      sampleRecordInput('admin_penalty', 3_000_000 + b * BATCH + i, { severity: 'general', decidedAt: '2024-06-01', publishUntil: '2025-01-01' })),
  }));
}

async function main(): Promise<void> {
  const adminUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const brokers = process.env.KAFKA_BROKERS ? process.env.KAFKA_BROKERS.split(',') : (await startLocalBroker()).brokers;
  const db = await createScratchDatabase(adminUrl, 'gw_bench_expiry');
  const topic = `bench.${db.name}.records.v1`;
  const config = connectorBenchConfig({ databaseUrl: db.url, brokers, topic, connectors: { instances: {} } });
  if (process.env.BENCH_BATCH) config.lifecycle.expiryBatchSize = Number(process.env.BENCH_BATCH);
  const gw = await startGateway(config);
  try {
    await pushAndDrain(gw.url, gw.ctx.pool, endedPenalties(), Date.now() + 5 * 60_000);
    const job = new ExpiryJob({ pool: gw.ctx.pool, config: gw.ctx.config, log: gw.ctx.log, outbox: gw.ctx.outbox });
    const cpuBefore = cpuSnapshot(process.pid);
    const walFrom = await walPosition(gw.ctx.pool);
    const t0 = process.hrtime.bigint();
    const expired = await job.runOnce(NOW);
    const runSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
    if (expired !== RECORDS) throw new Error(`the run expired ${expired} of ${RECORDS} records`);
    if ((await waitForOutboxDrained(gw.ctx.pool, 5 * 60_000, 20)) > 0) throw new Error('the expiry events were not published in 5 minutes');
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu = cpuSince(cpuBefore);
    const us = (v: number) => Math.round((v * 1e6) / RECORDS);
    process.stdout.write(`${RECORDS} records expired in ${runSeconds.toFixed(1)} s (batches of ${gw.ctx.config.lifecycle.expiryBatchSize}), their events at the broker after ${seconds.toFixed(1)} s\n`);
    process.stdout.write(`expire: ${Math.round(RECORDS / runSeconds)} records/s\n`);
    process.stdout.write(`expire to broker ack: ${Math.round(RECORDS / seconds)} records/s\n`);
    process.stdout.write(`${walLine(await walBytesSince(gw.ctx.pool, walFrom), RECORDS)}\n`);
    process.stdout.write(`cpu per record: gateway ${us(cpu.gateway)} µs, postgres ${us(cpu.postgres)} µs, kafka broker ${us(cpu.broker)} µs\n`);
  } finally {
    await gw.close();
    await deleteTopic(brokers, topic, 'bench-expiry');
    await db.drop();
  }
}

main().then(() => process.exit(0), (err) => {
  process.stderr.write(`bench-expiry: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
