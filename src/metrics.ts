/** Prometheus metrics of one gateway instance (its own registry, so several apps can live in one process). */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** the auth writer's waits and statements: a commit takes about a millisecond, a slow fsync hundreds */
const AUTH_WRITE_BUCKETS = [0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'gateway_' });
  return {
    registry,
    httpRequests: new Counter({
      name: 'gateway_http_requests_total',
      help: 'HTTP requests by route, method and status',
      labelNames: ['route', 'method', 'status'] as const,
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: 'gateway_http_request_duration_seconds',
      help: 'HTTP request duration',
      labelNames: ['route', 'method'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    records: new Counter({
      name: 'gateway_records_total',
      help: 'Records received, by outcome (created, updated, unchanged, rejected) and origin',
      labelNames: ['result', 'origin'] as const,
      registers: [registry],
    }),
    eventsPublished: new Counter({
      name: 'gateway_events_published_total',
      help: 'Outbox events acknowledged by the broker, by destination topic',
      labelNames: ['topic'] as const,
      registers: [registry],
    }),
    publishLatency: new Histogram({
      name: 'gateway_publish_latency_seconds',
      help: 'Time from outbox row commit to broker acknowledgement',
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers: [registry],
    }),
    relayErrors: new Counter({
      name: 'gateway_relay_errors_total',
      help: 'Failed relay rounds (broker unreachable, send refused, database error)',
      registers: [registry],
    }),
    relayThreadCpu: new Counter({
      name: 'gateway_relay_thread_cpu_seconds_total',
      help: 'CPU time of the outbox relay thread, counted after each round (Linux only)',
      registers: [registry],
    }),
    outboxBacklog: new Gauge({
      name: 'gateway_outbox_backlog',
      help: 'Outbox events not yet acknowledged by the broker',
      registers: [registry],
    }),
    outboxOldestAge: new Gauge({
      name: 'gateway_outbox_oldest_age_seconds',
      help: 'Age of the oldest unsent outbox event (0 when empty)',
      registers: [registry],
    }),
    deliveries: new Counter({
      name: 'gateway_deliveries_total',
      help: 'Delivery to platforms (issue 17): events delivered, accepted, rejected or parked, by destination',
      labelNames: ['destination', 'state'] as const,
      registers: [registry],
    }),
    deliveryLag: new Gauge({
      name: 'gateway_delivery_consumer_lag',
      help: 'Events on a destination topic not yet delivered by this process, after its last batch, by destination',
      labelNames: ['destination'] as const,
      registers: [registry],
    }),
    ...authMetrics(registry),
  };
}

/** The auth layer's: refusals, the auth writer's waits and statements, and audit writes that failed. */
function authMetrics(registry: Registry) {
  return {
    authRefusals: new Counter({
      name: 'gateway_auth_refusals_total',
      help: 'Refused /v1 requests, by stable error code (GW_AUTH_*)',
      labelNames: ['code'] as const,
      registers: [registry],
    }),
    authWriteWait: new Histogram({
      name: 'gateway_auth_write_wait_seconds',
      help: 'Time from a request handing its admission (jti, rate count) or audit row to the auth writer until it is committed: the wait for the statement in flight, then its own; by part',
      labelNames: ['part'] as const,
      buckets: AUTH_WRITE_BUCKETS,
      registers: [registry],
    }),
    authWriteStatements: new Histogram({
      name: 'gateway_auth_write_statement_seconds',
      help: 'Statements of the auth writer (admissions and audit rows group-committed), by duration; the sum over a period is how long a statement was in flight',
      buckets: AUTH_WRITE_BUCKETS,
      registers: [registry],
    }),
    auditWriteFailures: new Counter({
      name: 'gateway_audit_write_failures_total',
      help: 'Audit-log writes that failed (each fails its request with GW_AUDIT_UNAVAILABLE)',
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
