/**
 * The gateway process (`node dist/server.js`, `npm start`): load and validate config, open
 * PostgreSQL (store.databaseUrl / DATABASE_URL) and Kafka (kafka.brokers / KAFKA_BROKERS), start the
 * outbox relay (in its own thread), listen. SIGTERM/SIGINT: stop accepting, finish in-flight
 * batches, stop the relay after its round, close. Development (`npm run dev`) starts here too, after
 * src/dev/start.ts has brought up an embedded PostgreSQL and a local broker.
 */
import type { FastifyInstance } from 'fastify';
import type { Admin } from 'kafkajs';
import { buildApp } from './app.js';
import { assertPartnerRegistry } from './auth/registry-check.js';
import { ConfigError, databaseUrlOf, loadConfig, type Config } from './config/load.js';
import type { AppContext } from './context.js';
import { ConnectorService } from './connectors/service.js';
import { ExpiryJob } from './lifecycle/expiry-job.js';
import { createLogger } from './logger.js';
import { createMetrics } from './metrics.js';
import { createKafka, publishedTopics } from './publish/kafka.js';
import { AlertDetector } from './monitoring/alert-detector.js';
import { raiseConnectorAlert } from './monitoring/connector-alerts.js';
import { RelayThread } from './publish/relay-thread.js';
import { openDatabase, type Database } from './store/db.js';
import { purgeExpiredAnswers } from './store/idempotency.js';
import { RecordValidator } from './validation/validator.js';
import { RecordPreparer } from './ingest/prepare.js';

export interface RunningGateway {
  app: FastifyInstance;
  ctx: AppContext;
  url: string;
  close(): Promise<void>;
}

export async function startGateway(config: Config): Promise<RunningGateway> {
  const log = createLogger(config.log.level);
  const validator = new RecordValidator();
  const preparer = new RecordPreparer(validator, config.publicationPeriods);
  const metrics = createMetrics();

  const db: Database = await openDatabase(databaseUrlOf(config), config, log);
  const kafka = createKafka(config.kafka, log);
  const admin: Admin = kafka.admin();
  const topics = publishedTopics(config);

  const relay = new RelayThread({ config, databaseUrl: db.url, log, metrics });

  const ctx: AppContext = {
    config,
    pool: db.pool,
    validator,
    preparer,
    log,
    metrics,
    relay,
    broker: {
      ping: async () => {
        try {
          await admin.connect();
          await withTimeout(admin.describeCluster(), 2000);
          return true;
        } catch {
          return false;
        }
      },
    },
  };
  ctx.connectors = new ConnectorService({ config, pool: db.pool, preparer, log, registry: metrics.registry, relay });
  const app = await buildApp(ctx);
  if (config.relay.enabled) relay.start();
  const expiryJob = new ExpiryJob({ pool: db.pool, config, log, relay });
  if (config.lifecycle.expiryEnabled) expiryJob.start();
  ctx.connectors.startScheduler();
  void ctx.connectors.resumeInterrupted().catch((err: unknown) => log.error({ err }, 'connector: resuming interrupted runs failed'));
  const alertDetector = new AlertDetector(db.pool, config.monitoring, log, () => relay.wake());
  if (config.monitoring.detectorEnabled) alertDetector.start();
  ctx.connectors.onAlert(async (alert) => {
    await raiseConnectorAlert(db.pool, config.monitoring.alertsTopic, alert).catch((err: unknown) => log.error({ err, alert }, 'could not store connector alert'));
    relay.wake();
  });
  const purgeAnswers = () => purgeExpiredAnswers(db.pool, config.idempotency.ttlHours).then(
    (n) => n && log.info({ deleted: n }, 'expired idempotency answers deleted'),
    (err: unknown) => log.warn({ err }, 'deleting expired idempotency answers failed'),
  );
  const answerPurge = setInterval(purgeAnswers, config.idempotency.purgeIntervalSeconds * 1000);
  answerPurge.unref();
  void purgeAnswers();
  const url = await app.listen({ host: config.server.host, port: config.server.port });
  log.info({ url, destinations: topics }, 'credit gateway listening');

  let closing: Promise<void> | null = null;
  return {
    app,
    ctx,
    url,
    close: () =>
      (closing ??= (async () => {
        clearInterval(answerPurge);
        await app.close(); // stops accepting; waits for in-flight requests (and their transactions)
        await expiryJob.stop();
        await ctx.connectors?.stop(); // schedules off; running connectors stop after their current page
        await alertDetector.stop();
        await relay.stop();
        await admin.disconnect().catch(() => undefined);
        await db.close();
      })()),
  };
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    p.then(
      (v) => { clearTimeout(timer); resolve(v); },
      (e) => { clearTimeout(timer); reject(e); },
    );
  });
}

/** The configuration, checked; a wrong one ends the process with exit code 2 and what is wrong. */
export function configOrExit(load: () => Config = () => loadConfig()): Config {
  try {
    const config = load();
    if (config.auth.enabled) assertPartnerRegistry(config);
    return config;
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`credit-gateway: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
}

/** Starts the gateway and stops it gracefully on SIGTERM/SIGINT (then `beforeExit`, e.g. the development servers). */
export async function runGateway(config: Config, beforeExit: () => Promise<void> = async () => undefined): Promise<void> {
  let gateway: RunningGateway;
  try {
    gateway = await startGateway(config);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`credit-gateway: ${err.message}\n`);
    await beforeExit();
    process.exit(2);
  }
  const shutdown = (signal: string) => {
    gateway.ctx.log.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      gateway.ctx.log.error('graceful shutdown timed out; exiting');
      process.exit(1);
    }, config.server.shutdownGraceMs);
    force.unref();
    gateway.close().then(beforeExit).then(
      () => process.exit(0),
      (err) => {
        gateway.ctx.log.error({ err }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

const isMain = process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isMain) {
  runGateway(configOrExit()).catch((err) => {
    process.stderr.write(`credit-gateway: failed to start: ${(err as Error).stack ?? err}\n`);
    process.exit(1);
  });
}
