/**
 * The gateway process (`node dist/server.js`, `npm start`): load and validate config, open
 * PostgreSQL (store.databaseUrl / DATABASE_URL) and Kafka (kafka.brokers / KAFKA_BROKERS), start the
 * outbox relay (in its own thread), listen. SIGTERM/SIGINT: stop accepting, finish in-flight
 * batches, stop the relay after its round, close. Development (`npm run dev`) starts here too, after
 * src/dev/start.ts has brought up an embedded PostgreSQL and a local broker.
 */
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import { assertPartnerRegistry } from './auth/registry-check.js';
import { ConfigError, databaseUrlOf, loadConfig, type Config } from './config/load.js';
import type { AppContext } from './context.js';
import { ConnectorService } from './connectors/service.js';
import { ExpiryJob } from './lifecycle/expiry-job.js';
import type { Logger } from 'pino';
import { createLogger } from './logger.js';
import { createMetrics, type Metrics } from './metrics.js';
import { createDelivery } from './delivery/delivery.js';
import { createPublishing, type Publishing } from './outbox/publishing.js';
import { AlertDetector } from './monitoring/alert-detector.js';
import { raiseConnectorAlert } from './monitoring/connector-alerts.js';
import { openDatabase, type Database } from './store/db.js';
import { purgeExpiredAnswers } from './store/idempotency.js';
import { RecordValidator } from './validation/validator.js';
import { RecordPreparer } from './ingest/prepare.js';
import { UploadWorker } from './uploads/upload-worker.js';

export interface RunningGateway {
  app: FastifyInstance;
  ctx: AppContext;
  url: string;
  close(): Promise<void>;
}

export async function startGateway(config: Config): Promise<RunningGateway> {
  const log = createLogger(config.log.level);
  const metrics = createMetrics();
  const db: Database = await openDatabase(databaseUrlOf(config), config, log);
  const publishing = createPublishing({ config, databaseUrl: db.url, log, metrics });
  const ctx = createContext(config, db, publishing, log, metrics);
  const app = await buildApp(ctx);
  publishing.start();
  // delivery to platforms (issue 17): after the relay, stopped before it
  const delivery = createDelivery({ config, pool: db.pool, log, metrics });
  void delivery.start().catch((err: unknown) => log.error({ err }, 'delivery to platforms did not start'));
  const jobs = startBackgroundJobs(ctx);
  const url = await app.listen({ host: config.server.host, port: config.server.port });
  log.info({ url, destinations: publishing.topics }, 'credit gateway listening');

  let closing: Promise<void> | null = null;
  return {
    app,
    ctx,
    url,
    close: () =>
      (closing ??= (async () => {
        await app.close(); // stops accepting; waits for in-flight requests (and their transactions)
        await jobs.stop();
        await delivery.stop(); // after the batch in hand
        await publishing.stop();
        await db.close();
      })()),
  };
}

/** Everything the routes and jobs are given, complete before any of them starts. */
function createContext(config: Config, db: Database, publishing: Publishing, log: Logger, metrics: Metrics): AppContext {
  const validator = new RecordValidator();
  const preparer = new RecordPreparer(validator, config.publicationPeriods);
  const { outbox, relay, broker } = publishing;
  const connectors = new ConnectorService({ config, pool: db.pool, preparer, log, registry: metrics.registry, outbox });
  connectors.onAlert(async (alert) => {
    await raiseConnectorAlert(db.pool, outbox, alert).catch((err: unknown) => log.error({ err, alert }, 'could not store connector alert'));
  });
  const uploads = new UploadWorker({ pool: db.pool, preparer, outbox, log, metrics }, config.uploads);
  return { config, pool: db.pool, validator, preparer, log, metrics, outbox, relay, broker, connectors, uploads };
}

/** The scheduled work of a gateway process: connector schedules, expiry, the alert detector, purging answers. */
function startBackgroundJobs(ctx: AppContext): { stop(): Promise<void> } {
  const { config, pool, log, outbox, connectors } = ctx;
  const expiryJob = new ExpiryJob({ pool, config, log, outbox });
  if (config.lifecycle.expiryEnabled) expiryJob.start();
  connectors.startScheduler();
  ctx.uploads.start(); // queued uploads, and those a stopped or crashed process left
  void connectors.resumeInterrupted().catch((err: unknown) => log.error({ err }, 'connector: resuming interrupted runs failed'));
  const alertDetector = new AlertDetector(pool, config.monitoring, log, outbox);
  if (config.monitoring.detectorEnabled) alertDetector.start();
  const purgeAnswers = () => purgeExpiredAnswers(pool, config.idempotency.ttlHours).then(
    (n) => n && log.info({ deleted: n }, 'expired idempotency answers deleted'),
    (err: unknown) => log.warn({ err }, 'deleting expired idempotency answers failed'),
  );
  const answerPurge = setInterval(purgeAnswers, config.idempotency.purgeIntervalSeconds * 1000);
  answerPurge.unref();
  void purgeAnswers();
  return {
    stop: async () => {
      clearInterval(answerPurge);
      await expiryJob.stop();
      await connectors.stop(); // schedules off; running connectors stop after their current page
      await alertDetector.stop();
      await ctx.uploads.stop(); // after the batch in hand; the upload goes back to the queue
    },
  };
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
