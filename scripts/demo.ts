/**
 * npm run demo: starts the local Kafka broker (unless KAFKA_BROKERS is set or one already runs), a
 * fresh demo database (on DATABASE_URL's server, else the embedded PostgreSQL), the fixture sources
 * (127.0.0.1:18181, the port config/default.yaml points at, or any free port when that one is taken:
 * the recorded rows of every source in its own shape, generated rows for the two without a recording)
 * and a gateway with one connector per source file; runs each connector once and prints per
 * connector what was pulled, stored and quarantined, and per topic what was published. Three more
 * destinations deliver every record to the three test platforms of src/dev/ — a file drop, an HTTP
 * intake, exchange tables in a scratch PostgreSQL database — each of which rejects the records whose
 * subject name holds 某 (natural persons named by a pseudonym); the demo waits for their answers and
 * prints delivered, accepted and rejected per destination, with the reasons. At the end it
 * stops everything it started (a broker or PostgreSQL it merely reused keeps running) and drops the
 * demo database. Bounded in time: it gives up after DEMO_TIMEOUT_MS (default 5 minutes).
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { loadConfig } from '../src/config/load.js';
import { startLocalBroker, stopLocalBroker } from '../src/dev/local-broker.js';
import { waitForOutboxDrained } from '../src/outbox/outbox.js';
import { listRecordEvents } from '../src/outbox/outbox.js';
import { startGateway, type RunningGateway } from '../src/server.js';
import { startEmbeddedPostgres, type EmbeddedServer } from '../src/dev/embedded-postgres.js';
import { DatabasePlatform } from '../src/dev/database-platform.js';
import { FilePlatform } from '../src/dev/file-platform.js';
import { scratchDir } from '../src/dev/scratch-dir.js';
import { ServicePlatform } from '../src/dev/service-platform.js';
import { CATEGORY_IDS } from '../src/domain/catalogue.js';
import { fixtureConnectorInstances, realSets } from '../connectors/fixtures-server/fixture-data.js';
import { ccgpRow, ggzyRow } from '../connectors/fixtures-server/generate.js';
import { generatedRows, startFixtureSources, type FixtureSources } from '../connectors/fixtures-server/server.js';

const FIXTURE_PORT = 18181;
/** what each test platform refuses: records whose subject name holds it */
const REJECT_MARKER = '某';
const TIMEOUT_MS = Number(process.env.DEMO_TIMEOUT_MS ?? 300_000);
const out = (s: string) => process.stdout.write(`${s}\n`);

/** What the demo started, stopped in reverse order by cleanup(). */
const started: {
  broker?: boolean;
  pgServer?: EmbeddedServer;
  database?: { admin: string; name: string };
  exchangeDatabase?: { admin: string; name: string };
  platforms?: Array<{ stop(): Promise<void> }>;
  sources?: FixtureSources;
  gateway?: RunningGateway;
} = {};

async function withAdmin<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

let cleaning: Promise<void> | null = null;
function cleanup(): Promise<void> {
  return (cleaning ??= (async () => {
    const step = async (what: string, fn: () => Promise<unknown>) => {
      try {
        await fn();
      } catch (err) {
        process.stderr.write(`demo: could not stop ${what}: ${(err as Error).message}\n`);
      }
    };
    if (started.gateway) await step('the gateway', () => started.gateway!.close());
    for (const platform of started.platforms ?? []) await step('a test platform', () => platform.stop());
    if (started.exchangeDatabase) {
      const { admin, name } = started.exchangeDatabase;
      await step('the exchange database', () => withAdmin(admin, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)));
    }
    if (started.sources) await step('the fixture sources', () => started.sources!.close());
    if (started.database) {
      const { admin, name } = started.database;
      await step('the demo database', () => withAdmin(admin, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)));
    }
    if (started.pgServer) await step('PostgreSQL', () => started.pgServer!.stop());
    if (started.broker) await step('the Kafka broker', () => stopLocalBroker());
  })());
}

/** The fixture sources on their usual port, or on any free one when another process holds it. */
async function startSources(): Promise<FixtureSources> {
  try {
    return await startFixtureSources({ port: FIXTURE_PORT });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    out(`port ${FIXTURE_PORT} is taken; fixture sources use a free port instead`);
    return startFixtureSources();
  }
}

/**
 * The three test platforms and a delivering destination for each (topics of this demo's own), all
 * categories: a file drop, an HTTP intake with a bearer token, exchange tables in a scratch database.
 */
async function startPlatforms(adminUrl: string, tag: string): Promise<Array<{ name: string } & Record<string, unknown>>> {
  const root = scratchDir('demo-delivery-');
  const dirs = { directory: join(root, 'drop'), feedbackDirectory: join(root, 'feedback'), archiveDirectory: join(root, 'archive') };
  for (const dir of Object.values(dirs)) mkdirSync(dir, { recursive: true });
  const file = new FilePlatform({ dropDirectory: dirs.directory, feedbackDirectory: dirs.feedbackDirectory, rejectMarker: REJECT_MARKER });
  file.start();
  process.env.DEMO_INTAKE_TOKEN = randomUUID();
  const service = new ServicePlatform({ auth: { type: 'token', token: process.env.DEMO_INTAKE_TOKEN }, rejectMarker: REJECT_MARKER });
  await service.start();
  const exchangeName = `${tag}_exchange`;
  await withAdmin(adminUrl, (c) => c.query(`CREATE DATABASE ${exchangeName}`));
  started.exchangeDatabase = { admin: adminUrl, name: exchangeName };
  const exchangeUrl = new URL(adminUrl);
  exchangeUrl.pathname = `/${exchangeName}`;
  process.env.DEMO_EXCHANGE_URL = exchangeUrl.toString();
  const database = new DatabasePlatform({ url: exchangeUrl.toString(), categories: [...CATEGORY_IDS], rejectMarker: REJECT_MARKER });
  await database.createTables();
  database.start();
  started.platforms = [file, service, database];
  const destination = (way: string, delivery: Record<string, unknown>) => ({
    name: `demo-${way}`, topic: `demo.${tag}.${way}.v1`, categories: ['*'], regions: [], maskPersonalIds: true,
    delivery: { way, ...delivery, maxBackoffMs: 2000 },
  });
  return [
    destination('file', { ...dirs, feedbackPollMs: 200 }),
    destination('service', { url: service.url, auth: { type: 'token', tokenEnv: 'DEMO_INTAKE_TOKEN' } }),
    destination('database', { urlEnv: 'DEMO_EXCHANGE_URL', feedbackPollMs: 200, feedbackSettleMs: 200 }),
  ];
}

/** Waits until every delivering destination has an answer for each record it was sent, then prints the states. */
async function reportDeliveries(gw: RunningGateway, names: string[]): Promise<void> {
  const deadline = Date.now() + 90_000;
  const waiting = async () => {
    const events = (await listRecordEvents(gw.ctx.pool)).filter((e) => names.includes(e.destination)).length;
    const { rows } = await gw.ctx.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM deliveries WHERE destination = ANY($1) AND state IN ('accepted', 'rejected', 'parked')`, [names]);
    return events - rows[0]!.n;
  };
  while ((await waiting()) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  const { rows } = await gw.ctx.pool.query<{ destination: string; state: string; n: number }>(
    'SELECT destination, state, count(*)::int AS n FROM deliveries WHERE destination = ANY($1) GROUP BY 1, 2 ORDER BY 1, 2', [names]);
  const left = await waiting();
  out(`\ndelivered to the test platforms${left > 0 ? ` (${left} events without an answer after 90 s)` : ''} — each rejects subject names holding ${REJECT_MARKER}:`);
  for (const name of names) {
    const count = (state: string) => rows.find((r) => r.destination === name && r.state === state)?.n ?? 0;
    out(`  ${name.padEnd(16)} accepted ${count('accepted')}, rejected ${count('rejected')}, parked ${count('parked')}, awaiting an answer ${count('delivered') + count('queued')}`);
  }
  const { rows: reasons } = await gw.ctx.pool.query<{ destination: string; reason: string; n: number }>(
    `SELECT destination, reason, count(*)::int AS n FROM deliveries WHERE destination = ANY($1) AND state = 'rejected' GROUP BY 1, 2 ORDER BY 1, 3 DESC LIMIT 9`, [names]);
  for (const r of reasons) out(`    ${r.destination}: ${r.n} × ${r.reason}`);
}

async function main(): Promise<void> {
  const base = loadConfig();
  if (base.kafka.startLocalBroker) started.broker = (await startLocalBroker()).startedByUs;

  // a fresh database, so every demo shows a first run (created records, new events)
  let adminUrl = base.store.databaseUrl;
  if (!adminUrl) {
    started.pgServer = await startEmbeddedPostgres(base.store.embedded);
    adminUrl = started.pgServer.url;
  }
  const name = `demo_${Date.now().toString(36)}`;
  await withAdmin(adminUrl, (c) => c.query(`CREATE DATABASE ${name}`));
  started.database = { admin: adminUrl, name };
  const dbUrl = new URL(adminUrl);
  dbUrl.pathname = `/${name}`;

  const sources = (started.sources = await startSources());
  sources.sets = { ...realSets(), ccgp: generatedRows(45, ccgpRow), ggzy: generatedRows(50, ggzyRow) };
  // a little weather on the way: the search interface answers 429 with Retry-After once, ccgp a 503 burst, the trading centre resets a connection
  sources.fault('/baidu', { kind: 'status', status: 429, retryAfterSec: 1, times: 1 });
  sources.fault('/ccgp', { kind: 'status', status: 503, times: 2 });
  sources.fault('/ggzy', { kind: 'reset', times: 1 });

  const instances = fixtureConnectorInstances(sources.url);
  const deliveries = await startPlatforms(adminUrl, name);
  // through the config's validation, so the connectors' and deliveries' defaults apply
  const config = loadConfig({
    overrides: {
      server: { port: 0 },
      store: { databaseUrl: dbUrl.toString() },
      kafka: { brokers: base.kafka.brokers, startLocalBroker: false },
      connectors: { defaults: { backoffBaseMs: 200 }, instances },
      destinations: [...structuredClone(base.destinations), ...deliveries],
      log: { level: 'error' },
    } as never,
  });
  const gw = (started.gateway = await startGateway(config));
  out(`gateway ${gw.url}; fixture sources ${sources.url}; database ${name}`);

  out('\nruns (pulled = source rows read; quarantined = kept with the raw row and the errors):');
  for (const connector of Object.keys(instances)) {
    const run = await gw.ctx.connectors!.start(connector, 'cli');
    if (!run.started) {
      out(`  ${connector}: not started (${run.reason})`);
      continue;
    }
    const r = await run.done;
    out(`  ${connector.padEnd(36)} ${r.state.padEnd(9)} pages ${r.pages}, pulled ${r.pulled}, created ${r.created}, updated ${r.updated}, `
      + `unchanged ${r.unchanged}, quarantined ${r.rejected}, skipped ${r.skipped}, removed ${r.removed}${r.error ? ` — ${r.error}` : ''}`);
  }
  const retried = sources.requests.filter((q) => q.outcome !== 200).map((q) => `${q.path} p${q.page} → ${q.outcome}`);
  if (retried.length) out(`  source faults answered (and retried): ${retried.join('; ')}`);

  const { rows: stored } = await gw.ctx.pool.query<{ category: string; n: number; pending: number }>(
    'SELECT category, count(*)::int AS n, count(*) FILTER (WHERE pending)::int AS pending FROM records GROUP BY 1 ORDER BY 1');
  out('\nstored records by category (pending: organisations whose USCC the subject registry has not resolved yet):');
  for (const r of stored) out(`  ${r.category.padEnd(22)} ${r.n}${r.pending ? ` (${r.pending} pending)` : ''}`);

  const { rows: q } = await gw.ctx.pool.query<{ connector: string; rule: string; n: number }>(
    `SELECT connector, errors->0->>'rule' AS rule, count(*)::int AS n FROM connector_quarantine GROUP BY 1, 2 ORDER BY 1, 2`);
  out('\nquarantine (first error rule):');
  for (const r of q) out(`  ${r.connector.padEnd(36)} ${r.n} × ${r.rule}`);
  const { rows: issues } = await gw.ctx.pool.query<{ connector: string; kind: string; field: string; value: string; occurrences: number }>(
    'SELECT connector, kind, field, value, occurrences::int FROM connector_issues ORDER BY 1, 2, 3, 4');
  out('\nissues about the sources (never defaulted):');
  for (const i of issues) out(`  ${i.connector.padEnd(36)} ${i.kind} ${i.field}${i.value ? `=${i.value}` : ''} (${i.occurrences}×)`);

  const backlog = await waitForOutboxDrained(gw.ctx.pool, 60_000);
  out(`\npublished per topic${backlog > 0 ? ` (${backlog} events still unsent after 60 s)` : ''}:`);
  // record events by their destination's topic, and the outbox's own (alerts) as queued there
  const tally = new Map<string, { topic: string; event_type: string; sent: number; unsent: number }>();
  const counted = (topic: string, type: string, sent: number, unsent: number) => {
    const t = tally.get(`${topic} ${type}`) ?? { topic, event_type: type, sent: 0, unsent: 0 };
    tally.set(`${topic} ${type}`, { ...t, sent: t.sent + sent, unsent: t.unsent + unsent });
  };
  const topicOf = new Map(config.destinations.map((d) => [d.name, d.topic]));
  for (const e of await listRecordEvents(gw.ctx.pool)) counted(topicOf.get(e.destination) ?? e.destination, e.type, e.sent ? 1 : 0, e.sent ? 0 : 1);
  const { rows: alerts } = await gw.ctx.pool.query<{ topic: string; event_type: string; sent: number; unsent: number }>(
    `SELECT topic, event_type, count(*) FILTER (WHERE u.id IS NULL)::int AS sent, count(u.id)::int AS unsent
       FROM outbox o LEFT JOIN outbox_unsent u ON u.id = o.id WHERE o.payload IS NOT NULL GROUP BY 1, 2`);
  for (const a of alerts) counted(a.topic, a.event_type, a.sent, a.unsent);
  const topics = [...tally.values()].sort((x, y) => x.topic.localeCompare(y.topic) || x.event_type.localeCompare(y.event_type));
  const admin = new Kafka({ clientId: 'demo', brokers: config.kafka.brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    for (const t of topics) {
      const offsets = await admin.fetchTopicOffsets(t.topic).catch(() => []);
      const onTopic = offsets.reduce((s, o) => s + Number(o.high) - Number(o.low), 0);
      out(`  ${t.topic.padEnd(32)} ${t.event_type.padEnd(22)} ${t.sent} acked by the broker${t.unsent ? `, ${t.unsent} unsent` : ''} (${onTopic} messages on the topic in all)`);
    }
  } finally {
    await admin.disconnect();
  }

  await reportDeliveries(gw, deliveries.map((d) => d.name));
}

const watchdog = setTimeout(() => {
  process.stderr.write(`demo: gave up after ${TIMEOUT_MS} ms\n`);
  void cleanup().finally(() => process.exit(1));
}, TIMEOUT_MS);

main()
  .then(async () => {
    await cleanup();
    clearTimeout(watchdog);
    process.exit(0);
  }, async (err) => {
    process.stderr.write(`demo: ${(err as Error).stack ?? err}\n`);
    await cleanup();
    process.exit(1);
  });
