/**
 * What a gateway process saw of a benchmark phase, read from its own /metrics (prom-client's default
 * metrics plus the gateway's request histogram): how long its requests took inside the process, how
 * late its event loop ran, and what the garbage collector cost. Read once before the phase and once
 * after; the difference is the phase's. prom-client resets its event-loop delay histogram at each
 * read, so the read after the phase gives that phase's delay alone.
 *
 * And the load generator's own event-loop delay (loadGeneratorDelay), because a benchmark that counts
 * latency from each request's scheduled start also counts the generator's own pauses.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';

type Samples = Map<string, number>;

/** prom-client's event-loop sampling interval (its default eventLoopMonitoringPrecision) */
const SAMPLING_MS = 10;

/** `name{labels} value` lines of the Prometheus text format, keyed by `name{labels}` */
function parse(text: string): Samples {
  const samples: Samples = new Map();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    samples.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return samples;
}

export async function readMetrics(gatewayUrl: string): Promise<Samples> {
  const res = await fetch(`${gatewayUrl}/metrics`);
  if (!res.ok) throw new Error(`GET /metrics: HTTP ${res.status}`);
  return parse(await res.text());
}

/** the sum of the samples whose key starts with `prefix` and contains each of `parts` */
const sumOf = (s: Samples, prefix: string, ...parts: string[]) =>
  [...s].filter(([k]) => k.startsWith(prefix) && parts.every((p) => k.includes(p))).reduce((acc, [, v]) => acc + v, 0);

/**
 * The relay thread's CPU seconds so far (gateway_relay_thread_cpu_seconds_total), read once the gateway
 * has counted `events` published events: the thread reports its CPU with each round's events, a moment
 * after the round's commit, so a read right after the outbox drains could miss the last round.
 */
export async function relayCpuOncePublished(gatewayUrl: string, events: number, timeoutMs = 10_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await readMetrics(gatewayUrl);
    if (sumOf(s, 'gateway_events_published_total{') >= events) return s.get('gateway_relay_thread_cpu_seconds_total') ?? NaN;
    if (Date.now() > deadline) throw new Error(`the gateway counted fewer than ${events} published events within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * One line: requests of `route` that took over 10, 25 and 50 ms inside the gateway (its request
 * histogram), the gateway's event-loop delay during the phase (p99, max) and its GC pauses.
 */
export function gatewaySideLine(before: Samples, after: Samples, route: string): string {
  const series = (s: Samples, le: string) => sumOf(s, 'gateway_http_request_duration_seconds_bucket{', `le="${le}"`, `route="${route}"`);
  const bucket = (le: string) => series(after, le) - series(before, le);
  const count = bucket('+Inf');
  const over = (le: string) => `${count - bucket(le)}`;
  // prom-client samples the loop every 10 ms and its figures include that interval: the delay is what is beyond it
  const ms = (name: string) => `${Math.max(0, (after.get(name) ?? NaN) * 1000 - SAMPLING_MS).toFixed(1)} ms`;
  const gc = gcBetween(before, after);
  return `inside the gateway: ${count} requests, over 10 ms ${over('0.01')}, over 25 ms ${over('0.025')}, over 50 ms ${over('0.05')}; ` +
    `event-loop delay p99 ${ms('gateway_nodejs_eventloop_lag_p99_seconds')}, max ${ms('gateway_nodejs_eventloop_lag_max_seconds')}; ` +
    `GC ${gc.minor} minor, ${gc.major} major, ${gc.incremental} incremental, ${(gc.seconds * 1000).toFixed(0)} ms in all`;
}

/**
 * The main thread's garbage collections between two reads (prom-client observes the main isolate only):
 * how many of each kind, and their pauses in seconds.
 */
export function gcBetween(before: Samples, after: Samples): { minor: number; major: number; incremental: number; seconds: number; minorSeconds: number } {
  const delta = (name: string, ...parts: string[]) => sumOf(after, name, ...parts) - sumOf(before, name, ...parts);
  const count = (kind: string) => delta('gateway_nodejs_gc_duration_seconds_count', `kind="${kind}"`);
  return {
    minor: count('minor'),
    major: count('major'),
    incremental: count('incremental'),
    seconds: delta('gateway_nodejs_gc_duration_seconds_sum'),
    minorSeconds: delta('gateway_nodejs_gc_duration_seconds_sum', 'kind="minor"'),
  };
}

/**
 * One line on the auth writer during the phase (its metrics): how many statements it sent and for what
 * share of the phase one was in flight, and how many requests waited over 5 and 10 ms for their
 * admission and their audit row to be committed.
 */
export function authWriterLine(before: Samples, after: Samples, phaseSeconds: number): string {
  const delta = (name: string, ...parts: string[]) => sumOf(after, name, ...parts) - sumOf(before, name, ...parts);
  const statements = delta('gateway_auth_write_statement_seconds_count');
  const inFlight = delta('gateway_auth_write_statement_seconds_sum') / phaseSeconds;
  const waits = (part: string) => {
    const bucket = (le: string) => delta('gateway_auth_write_wait_seconds_bucket{', `le="${le}"`, `part="${part}"`);
    const count = bucket('+Inf');
    return `${part} wait over 5 ms ${count - bucket('0.005')}, over 10 ms ${count - bucket('0.01')}`;
  };
  return `auth writer: ${statements} statements, one in flight ${(100 * inFlight).toFixed(0)}% of the phase; ${waits('admission')}; ${waits('audit')}`;
}

/** Starts measuring this process's event-loop delay; the returned function stops and describes it. */
export function loadGeneratorDelay(): () => string {
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  return () => {
    h.disable();
    return `load generator event-loop delay p99 ${(h.percentile(99) / 1e6).toFixed(1)} ms, max ${(h.max / 1e6).toFixed(1)} ms`;
  };
}
