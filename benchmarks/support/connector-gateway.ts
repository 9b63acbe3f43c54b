/**
 * The configuration of a connector benchmark's in-process gateway: its scratch database, the broker,
 * one masking destination on the benchmark's topic, no auth, the monitoring detector off (it is not
 * on the path from source to broker and would add alert events), and the given connectors.
 */
import { deepMerge, loadConfig, type Config } from '../../src/config/load.js';

export function connectorBenchConfig(args: { databaseUrl: string; brokers: string[]; topic: string; connectors: Record<string, unknown> }): Config {
  return loadConfig({
    env: {},
    overrides: deepMerge({}, {
      server: { host: '127.0.0.1', port: 0 },
      store: { databaseUrl: args.databaseUrl, poolMax: 10 },
      kafka: { brokers: args.brokers, startLocalBroker: false },
      relay: { batchSize: 2000, idleIntervalMs: 20 },
      auth: { enabled: false },
      destinations: [{ name: 'bench', topic: args.topic, categories: ['*'], regions: [], maskPersonalIds: true }],
      log: { level: 'error' },
      monitoring: { detectorEnabled: false },
      connectors: args.connectors,
    }),
  });
}
