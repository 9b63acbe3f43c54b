/**
 * The configuration of a connector benchmark's in-process gateway: its scratch database, the broker,
 * one masking destination on the benchmark's topic, no auth, the monitoring detector and the expiry
 * job off (neither is on the path from source to broker: the detector would add alert events, and the
 * expiry job, due at minute 7 of every hour, would expire the generated rows whose periods ended while
 * the benchmark runs), and the given connectors.
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
      lifecycle: { expiryEnabled: false },
      connectors: args.connectors,
    }),
  });
}
