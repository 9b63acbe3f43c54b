#!/usr/bin/env node
// Readiness probe for the local Kafka broker (used by scripts/kafka.sh).
//
//   node scripts/kafka-wait.mjs 127.0.0.1:19092 [--timeout SECONDS] [--quiet]
//
// Connects a kafkajs admin client and lists topics, retrying until the broker
// actually serves metadata requests (an open port is not enough: a KRaft
// broker accepts connections before it has caught up with the metadata log).
// Exits 0 when ready, 1 when the deadline passes.
import { Kafka, logLevel } from 'kafkajs';

const args = process.argv.slice(2);
let broker = '127.0.0.1:19092';
let timeoutSec = 120;
let quiet = false;
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--timeout') {
    timeoutSec = Number(args[++i]);
  } else if (a === '--quiet') {
    quiet = true;
  } else if (a === '-h' || a === '--help') {
    console.log('usage: node scripts/kafka-wait.mjs HOST:PORT [--timeout SECONDS] [--quiet]');
    process.exit(0);
  } else {
    broker = a;
  }
}
if (!Number.isFinite(timeoutSec) || timeoutSec <= 0) {
  console.error(`kafka-wait: invalid --timeout ${timeoutSec}`);
  process.exit(2);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const deadline = Date.now() + timeoutSec * 1000;
const kafka = new Kafka({
  clientId: 'kafka-wait',
  brokers: [broker],
  logLevel: logLevel.NOTHING,
  connectionTimeout: 2000,
  requestTimeout: 5000,
  // We do our own bounded retry loop.
  retry: { retries: 0 },
});

let attempt = 0;
let lastError = '';
while (Date.now() < deadline) {
  attempt++;
  const admin = kafka.admin();
  try {
    await admin.connect();
    const topics = await admin.listTopics();
    const cluster = await admin.describeCluster();
    if (cluster.brokers.length === 0) throw new Error('no brokers in metadata yet');
    if (!quiet) {
      console.log(
        `kafka-wait: ${broker} ready after ${attempt} attempt(s) ` +
          `(cluster ${cluster.clusterId}, controller ${cluster.controller}, ${topics.length} topic(s))`,
      );
    }
    await admin.disconnect().catch(() => {});
    process.exit(0);
  } catch (err) {
    lastError = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    await admin.disconnect().catch(() => {});
  }
  const left = deadline - Date.now();
  if (left <= 0) break;
  await sleep(Math.min(500, left));
}
if (!quiet) {
  console.error(`kafka-wait: ${broker} not ready after ${timeoutSec}s (${attempt} attempts): ${lastError}`);
}
process.exit(1);
