/**
 * Delivery to platforms (issue 17), as the gateway process runs it: for every destination with a
 * `delivery` section, its way (file, service or database), its consumer and, for a way whose platform
 * answers on its own time (file, database), its feedback poller. Started after the relay, stopped before it.
 *
 * A broker (or a platform) that cannot be reached when the gateway starts does not leave delivery off
 * until the next restart: each destination's start is tried again, after 1 s, then twice as long each
 * time up to a minute, until it succeeds or the gateway stops; one destination's failing start does
 * not hold up the others.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { Config, DestinationConfig } from '../config/load.js';
import type { Metrics } from '../metrics.js';
import { createKafka, ensureTopics } from '../kafka/client.js';
import { DeliveryConsumer, deliveryGroupId } from './consumer.js';
import { FeedbackPoller } from './feedback-poller.js';
import { createWay } from './ways.js';

export interface Delivery {
  start(): Promise<void>;
  stop(): Promise<void>;
}

type Delivered = DestinationConfig & { delivery: NonNullable<DestinationConfig['delivery']> };

const RETRY_FIRST_MS = 1000;
const RETRY_MAX_MS = 60_000;

export function createDelivery(deps: { config: Config; pool: pg.Pool; log: Logger; metrics: Metrics }): Delivery {
  const { config, pool, log, metrics } = deps;
  const destinations = config.destinations.filter((d): d is Delivered => d.delivery !== undefined);
  const kafka = createKafka(config.kafka, log, '-delivery');
  const parts = destinations.map((dest) => {
    const way = createWay(dest.delivery, dest, { pool, log });
    const consumer = new DeliveryConsumer(kafka, deliveryGroupId(config.kafka.clientId, dest.name), dest, { pool, way, metrics }, log);
    const poller = way.feedback && 'feedbackPollMs' in dest.delivery
      ? new FeedbackPoller(dest.name, way.feedback, { pool, metrics, log }, dest.delivery.feedbackPollMs)
      : null;
    return { dest, way, consumer, poller };
  });
  const stopping = new AbortController();

  /** Runs `attempt` until it succeeds or the gateway stops, waiting longer after each failure. */
  async function retrying(what: Record<string, unknown>, attempt: () => Promise<void>): Promise<void> {
    for (let wait = RETRY_FIRST_MS; !stopping.signal.aborted; wait = Math.min(2 * wait, RETRY_MAX_MS)) {
      try {
        return await attempt();
      } catch (err) {
        if (stopping.signal.aborted) return;
        log.warn({ err, ...what, retryInMs: wait }, 'delivery could not start; trying again');
        await sleep(wait, undefined, { signal: stopping.signal }).catch(() => undefined);
      }
    }
  }

  let started: Promise<void> | null = null;
  return {
    start: () => (started ??= (async () => {
      if (!parts.length) return;
      await retrying({ topics: parts.map((p) => p.dest.topic) }, async () => {
        const admin = kafka.admin();
        await admin.connect();
        try {
          // the relay creates topics on its first round; the consumers must not race it into a default-sized topic
          await ensureTopics(admin, parts.map((p) => p.dest.topic), config.relay.topicPartitions);
        } finally {
          await admin.disconnect();
        }
      });
      await Promise.all(parts.map((p) => retrying({ destination: p.dest.name }, async () => {
        await p.way.prepare();
        await p.consumer.start();
        p.poller?.start();
        log.info({ destination: p.dest.name, way: p.dest.delivery.way }, 'delivery started');
      })));
    })()),
    stop: async () => {
      stopping.abort();
      await started?.catch(() => undefined);
      for (const p of parts) {
        await p.consumer.stop();
        await p.poller?.stop();
        await p.way.close().catch((err: unknown) => log.warn({ err, destination: p.dest.name }, 'delivery: closing the way failed'));
      }
    },
  };
}
