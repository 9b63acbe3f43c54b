/**
 * Connector alerts: a run that failed, whose share of invalid rows exceeded the threshold, or whose
 * removals the removal brake held back (removal-sweep.ts). Each alert is logged at error level and
 * counted in a metric by the runner; sinks registered with `ConnectorService.onAlert` (e.g. a Kafka
 * alert publisher) receive it too.
 */
export interface ConnectorAlert {
  connector: string;
  runId: number;
  /** pass_incomplete: the pass could not be read to its end (a pager it cannot follow, a page of another shape, a listing short of its total) */
  reason: 'invalid_share' | 'run_failed' | 'removal_held' | 'pass_incomplete';
  message: string;
  invalidShare?: number;
  threshold?: number;
  at: string;
}

export type AlertSink = (alert: ConnectorAlert) => void | Promise<void>;
