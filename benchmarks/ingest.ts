/**
 * npm run bench:ingest — records per second from HTTP batch to broker ack, end to end, on the local
 * broker and PostgreSQL; then, in the same run, the raw kafkajs producer sending the same messages.
 *
 * The gateway runs as its own process (so its peak RSS is its own); the load comes from this process
 * over loopback: BENCH_RECORDS records (default 100,000) in batches of 500, 4 requests in flight.
 * End-to-end time runs from the first request until the outbox is empty (every event acked, acks=-1).
 * It prints the CPU each part used per record over that time (the relay thread's from the gateway's
 * gateway_relay_thread_cpu_seconds_total), the main thread's garbage collections per 1,000 records
 * (what parsing, hashing and SQL parameters allocate, and what a batch keeps alive while PostgreSQL
 * writes it, shows there first), and with BENCH_WAL_DETAIL=1 the WAL per record by relation
 * (support/wal-by-relation.ts: pg_walinspect).
 */
import { readFileSync } from 'node:fs';
import { Kafka, logLevel, type Message } from 'kafkajs';
import pg from 'pg';
import { startLocalBroker } from '../src/dev/local-broker.js';
import { eventHeaders, eventTypeOfChange, recordEventId, renderRecordEvent } from '../src/outbox/events.js';
import { spawnGateway } from '../src/dev/child-gateway.js';
import { createScratchDatabase } from '../src/dev/scratch-database.js';
import { BATCH, IN_FLIGHT, ingestBodies, ingestGatewayConfigFile, pushAndDrain, warmUp } from './support/ingest-load.js';
import { cpuSince, cpuSnapshot } from './support/process-cpu.js';
import { walBytesSince, walLine, walPosition } from './support/wal.js';
import { walDetailLines, walDetailStart } from './support/wal-by-relation.js';
import { gcBetween, readMetrics, relayCpuOncePublished } from './support/gateway-metrics.js';

const TOTAL = Number(process.env.BENCH_RECORDS ?? 100_000);
const TIME_LIMIT_MS = 5 * 60_000;
const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

function peakRssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

async function main(): Promise<void> {
  const { brokers } = await startLocalBroker();
  const db = await createScratchDatabase(ADMIN_URL, 'gw_bench_ingest');
  const topic = `bench.ingest.${Date.now().toString(36)}.v1`;
  const configFile = ingestGatewayConfigFile(topic);
  const gw = await spawnGateway({ databaseUrl: db.url, brokers, configFile });
  const pool = new pg.Pool({ connectionString: db.url, max: 2 });
  pool.on('error', () => undefined); // the database is dropped at the end

  try {
    const bodies = ingestBodies(TOTAL);
    await warmUp(gw.url, pool, 99_000_000);
    const walDetail = process.env.BENCH_WAL_DETAIL === '1' ? await walDetailStart(pool) : null;
    const walFrom = await walPosition(pool);
    const relayCpuBefore = await relayCpuOncePublished(gw.url, 1); // the warm-up's event
    const metricsBefore = await readMetrics(gw.url);
    const cpuBefore = cpuSnapshot(gw.proc.pid!);
    const { acceptedMs, ackedMs: e2eMs } = await pushAndDrain(gw.url, pool, bodies, Date.now() + TIME_LIMIT_MS);
    const cpu = cpuSince(cpuBefore);
    const relayCpu = (await relayCpuOncePublished(gw.url, 1 + TOTAL)) - relayCpuBefore;
    const gc = gcBetween(metricsBefore, await readMetrics(gw.url));
    const walBytes = await walBytesSince(pool, walFrom);
    const walByRelation = walDetail ? await walDetailLines(walDetail, pool, TOTAL) : [];
    const e2e = TOTAL / (e2eMs / 1000);
    const gatewayRss = peakRssMiB(gw.proc.pid!);

    // The same messages through a bare kafkajs producer, in chunks like the relay's.
    // the same values the relay sent (one destination, masking), rendered before the clock starts
    const { rows } = await pool.query<{ feed_seq: number; record_id: string; version: number; change_kind: string; destinations: string[]; message_key: string; envelope: string; recorded_at: Date }>(
      `SELECT feed_seq, record_id, version, change_kind, destinations, message_key, envelope::text AS envelope, recorded_at
         FROM record_versions WHERE feed_seq IS NOT NULL AND envelope #>> '{source,key}' <> 'K99000000' ORDER BY feed_seq`,
    );
    const messages: Message[] = rows.map((r) => {
      const type = eventTypeOfChange(r.change_kind);
      const eventId = recordEventId(r.destinations[0]!, r.record_id, r.version, type);
      return {
        key: r.message_key,
        value: renderRecordEvent({ eventId, type, occurredAt: r.recorded_at.toISOString(), recordJson: r.envelope, maskPersonalIds: true }),
        headers: eventHeaders({ eventId, type, recordId: r.record_id, recordVersion: r.version }),
      };
    });
    const kafka = new Kafka({ clientId: 'bench-raw', brokers, logLevel: logLevel.NOTHING });
    const kadmin = kafka.admin();
    await kadmin.connect();
    const rawTopic = `${topic}.raw`;
    await kadmin.createTopics({ waitForLeaders: true, topics: [{ topic: rawTopic, numPartitions: 6 }] });
    await kadmin.disconnect();
    const producer = kafka.producer({ allowAutoTopicCreation: false, maxInFlightRequests: 1 });
    await producer.connect();
    const rawStarted = Date.now();
    for (let i = 0; i < messages.length; i += 2000) {
      await producer.sendBatch({ acks: -1, topicMessages: [{ topic: rawTopic, messages: messages.slice(i, i + 2000) }] });
    }
    const rawMs = Date.now() - rawStarted;
    await producer.disconnect();
    const raw = messages.length / (rawMs / 1000);

    console.log(`records: ${TOTAL} in batches of ${BATCH}, ${IN_FLIGHT} in flight; accepted in ${(acceptedMs / 1000).toFixed(2)} s, all acked in ${(e2eMs / 1000).toFixed(2)} s`);
    console.log(`end-to-end: ${Math.round(e2e)} records/s`);
    console.log(`raw kafkajs: ${Math.round(raw)} records/s`);
    console.log(`ratio: ${(e2e / raw).toFixed(2)}`);
    console.log(walLine(walBytes, TOTAL));
    for (const line of walByRelation) console.log(line);
    const us = (seconds: number) => Math.round((seconds * 1e6) / TOTAL);
    console.log(`cpu per record: gateway ${us(cpu.gateway)} µs (main thread ${us(cpu.gatewayMain)} µs, relay thread ${us(relayCpu)} µs), postgres ${us(cpu.postgres)} µs, kafka broker ${us(cpu.broker)} µs, load generator ${us(cpu.loadGenerator)} µs`);
    const perThousand = (n: number) => ((n * 1000) / TOTAL).toFixed(2);
    console.log(`main-thread gc per 1,000 records: ${perThousand(gc.minor)} scavenges (${perThousand(gc.minorSeconds * 1000)} ms), ${perThousand(gc.major)} mark-compacts (${perThousand((gc.seconds - gc.minorSeconds) * 1000)} ms with the incremental steps)`);
    console.log(`peak rss: ${Math.round(gatewayRss)} MiB`);
  } finally {
    gw.proc.kill('SIGTERM');
    await gw.exited;
    await pool.end();
    await db.drop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
