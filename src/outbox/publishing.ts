/**
 * Publishing, as the rest of the gateway sees it: the outbox to queue events in, the relay that sends
 * them (src/publish: a worker thread, started when relay.enabled), and a probe of the broker for
 * /readyz. The only module outside src/publish that starts anything there.
 */
import type { Logger } from 'pino';
import type { Config } from '../config/load.js';
import type { Metrics } from '../metrics.js';
import { createKafka, publishedTopics } from '../kafka/client.js';
import type { Relay, RelayStatus } from '../publish/relay.js';
import { RelayThread } from '../publish/relay-thread.js';
import { Outbox } from './outbox.js';

export type { RelayStatus };

export interface BrokerProbe {
  /** resolves true when the broker answers within the timeout */
  ping(): Promise<boolean>;
}

export interface Publishing {
  outbox: Outbox;
  relay: Relay;
  broker: BrokerProbe;
  /** every topic the gateway publishes to */
  topics: string[];
  /** starts the relay thread (unless relay.enabled is false) */
  start(): void;
  /** stops the relay after its round, and the probe's connection */
  stop(): Promise<void>;
}

const PING_TIMEOUT_MS = 2000;

export function createPublishing(deps: { config: Config; databaseUrl: string; log: Logger; metrics: Metrics }): Publishing {
  const { config } = deps;
  const relay = new RelayThread(deps);
  const outbox = new Outbox({ destinations: config.destinations, alertsTopic: config.monitoring.alertsTopic });
  outbox.wakes(relay);
  const admin = createKafka(config.kafka, deps.log).admin();
  return {
    outbox,
    relay,
    broker: {
      ping: async () => {
        try {
          await admin.connect();
          await withTimeout(admin.describeCluster(), PING_TIMEOUT_MS);
          return true;
        } catch {
          return false;
        }
      },
    },
    topics: publishedTopics(config),
    start: () => {
      if (config.relay.enabled) relay.start();
    },
    stop: async () => {
      await relay.stop();
      await admin.disconnect().catch(() => undefined);
    },
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
