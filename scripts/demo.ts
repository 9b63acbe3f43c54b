/**
 * npm run demo: starts the local Kafka broker, the fixture sources (127.0.0.1:18181, the ports
 * config/default.yaml points at), and a gateway with every connector enabled; runs each connector
 * once and prints per connector what was pulled, stored, quarantined, and per topic what was published.
 */
import { Kafka, logLevel } from 'kafkajs';
import { loadConfig } from '../src/config/load.js';
import { startLocalBroker } from '../src/publish/local-broker.js';
import { startGateway } from '../src/server.js';
import { fixtureSets } from '../connectors/fixtures-server/fixture-data.js';
import { startFixtureSources } from '../connectors/fixtures-server/server.js';

async function main(): Promise<void> {
  const base = loadConfig();
  if (base.kafka.startLocalBroker) await startLocalBroker();
  const sources = await startFixtureSources({ port: 18181 });
  sources.sets = fixtureSets();
  const instances = Object.fromEntries(Object.entries(base.connectors.instances).map(([n, i]) => [n, { ...i, enabled: true, schedule: null }]));
  const config = { ...base, kafka: { ...base.kafka, startLocalBroker: false }, connectors: { ...base.connectors, instances } };
  const gw = await startGateway(config);
  const out = (s: string) => process.stdout.write(`${s}\n`);
  try {
    out(`gateway ${gw.url}; fixture sources ${sources.url}`);
    for (const name of Object.keys(instances)) {
      const started = await gw.ctx.connectors!.start(name, 'cli');
      if (!started.started) { out(`${name}: not started (${started.reason})`); continue; }
      const run = await started.done;
      out(`${name.padEnd(16)} ${run.state.padEnd(9)} pulled ${run.pulled}, created ${run.created}, updated ${run.updated}, unchanged ${run.unchanged}, quarantined ${run.rejected}, skipped ${run.skipped}, removed ${run.removed}${run.error ? ` — ${run.error}` : ''}`);
    }
    const deadline = Date.now() + 60_000;
    for (;;) {
      const { rows } = await gw.ctx.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox WHERE sent_at IS NULL');
      if (rows[0]!.n === 0 || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const { rows: q } = await gw.ctx.pool.query<{ connector: string; rule: string; n: number }>(
      `SELECT connector, errors->0->>'rule' AS rule, count(*)::int AS n FROM connector_quarantine GROUP BY 1, 2 ORDER BY 1, 2`);
    for (const r of q) out(`quarantine ${r.connector}: ${r.n} × ${r.rule}`);
    const admin = new Kafka({ clientId: 'demo', brokers: config.kafka.brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    for (const d of config.destinations) {
      const offsets = await admin.fetchTopicOffsets(d.topic).catch(() => []);
      const total = offsets.reduce((s, o) => s + Number(o.high) - Number(o.low), 0);
      const { rows } = await gw.ctx.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox WHERE topic = $1 AND sent_at IS NOT NULL', [d.topic]);
      out(`topic ${d.topic}: ${rows[0]!.n} events published by this database (${total} messages on the topic in all)`);
    }
    await admin.disconnect();
  } finally {
    await gw.close();
    await sources.close();
  }
}

main().then(() => process.exit(0), (err) => {
  process.stderr.write(`demo: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
