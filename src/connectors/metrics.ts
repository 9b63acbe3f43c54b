/** Connector metrics, registered on the gateway's registry (shown at /metrics). */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export function createConnectorMetrics(registry: Registry) {
  const existing = registry.getSingleMetric('gateway_connector_runs_total');
  if (existing) throw new Error('connector metrics are already registered on this registry');
  return {
    runs: new Counter({
      name: 'gateway_connector_runs_total',
      help: 'Connector runs by final state (succeeded, failed, abandoned)',
      labelNames: ['connector', 'state'] as const,
      registers: [registry],
    }),
    rows: new Counter({
      name: 'gateway_connector_rows_total',
      help: 'Source rows by outcome (created, updated, unchanged, rejected, skipped) and records removed',
      labelNames: ['connector', 'result'] as const,
      registers: [registry],
    }),
    running: new Gauge({
      name: 'gateway_connector_running',
      help: '1 while this process runs the connector',
      labelNames: ['connector'] as const,
      registers: [registry],
    }),
    lastSuccess: new Gauge({
      name: 'gateway_connector_last_success_timestamp_seconds',
      help: 'End of the connector\'s last successful run (Unix time)',
      labelNames: ['connector'] as const,
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'gateway_connector_run_duration_seconds',
      help: 'Connector run duration',
      labelNames: ['connector'] as const,
      buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600],
      registers: [registry],
    }),
    alerts: new Counter({
      name: 'gateway_connector_alerts_total',
      help: 'Connector alerts raised (invalid share over threshold, run failed)',
      labelNames: ['connector', 'reason'] as const,
      registers: [registry],
    }),
    httpAttempts: new Counter({
      name: 'gateway_connector_http_attempts_total',
      help: 'HTTP attempts towards sources, by connector and outcome (status code or "network")',
      labelNames: ['connector', 'outcome'] as const,
      registers: [registry],
    }),
  };
}

export type ConnectorMetrics = ReturnType<typeof createConnectorMetrics>;
