/**
 * The deployment files, read and checked without a container engine: Dockerfile and .dockerignore,
 * compose.yaml (against the Compose Specification schema, test/support/schemas/compose-spec.json, and
 * against what src/config/load.ts reads), config/monitoring/ (Prometheus config and alert rules, Grafana
 * provisioning and dashboard). Every metric a PromQL expression names must be registered in src/ with
 * the labels the expression uses. Prometheus's own checker, promtool (Debian's prometheus package,
 * installed by scripts/ensure-test-tools.sh when missing), checks the alert rules and prometheus.yml too.
 * The Grafana dashboard is checked by structure only: Grafana defines the dashboard model in CUE and
 * publishes no JSON Schema of it.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { loadConfig } from '../../src/config/load.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8');

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const obj = (v: unknown, where: string): Json => {
  if (!isObject(v)) throw new Error(`${where}: expected a mapping`);
  return v;
};
const arr = (v: unknown, where: string): unknown[] => {
  if (!Array.isArray(v)) throw new Error(`${where}: expected a list`);
  return v;
};
const str = (v: unknown, where: string): string => {
  if (typeof v !== 'string') throw new Error(`${where}: expected a string`);
  return v;
};

/** YAML with duplicate keys and syntax errors refused. */
function yamlFile(path: string): Json {
  const doc = parseDocument(read(path), { uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length) throw new Error(`${path}: ${doc.errors.map((e) => e.message).join('; ')}`);
  return obj(doc.toJS(), path);
}

const COMPOSE_FILE = 'compose.yaml';
const MONITORING = 'config/monitoring';
const PROMETHEUS_FILE = `${MONITORING}/prometheus.yml`;
const ALERTS_FILE = `${MONITORING}/alerts.yaml`;
const DATASOURCE_FILE = `${MONITORING}/grafana/datasource.yaml`;
const DASHBOARDS_FILE = `${MONITORING}/grafana/dashboards.yaml`;
const DASHBOARD_FILE = `${MONITORING}/grafana/gateway-dashboard.json`;

// ---------------------------------------------------------------------------------------------
// Metrics registered in src/
// ---------------------------------------------------------------------------------------------

type MetricType = 'Counter' | 'Gauge' | 'Histogram' | 'Summary' | 'default' | 'synthetic';
interface MetricDef { type: MetricType; labels: string[] | null /* null: not checked */; file: string }

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const rel = `${dir}/${name}`;
    if (statSync(join(ROOT, rel)).isDirectory()) return sourceFiles(rel);
    return rel.endsWith('.ts') ? [rel] : [];
  });
}

/** Labels every scraped series gets from Prometheus (job, instance) and from prometheus.yml's static labels. */
const TARGET_LABELS = ['job', 'instance', 'service'];

function registeredMetrics(): Map<string, MetricDef> {
  const defs = new Map<string, MetricDef>();
  const ctor = /new (Counter|Gauge|Histogram|Summary)\(\{\s*name:\s*'([a-zA-Z_:][a-zA-Z0-9_:]*)'([\s\S]*?)\}\)/g;
  for (const file of sourceFiles('src')) {
    const text = read(file);
    for (const m of text.matchAll(ctor)) {
      const [, type, name, body] = m as unknown as [string, MetricType, string, string];
      const labelList = /labelNames:\s*\[([^\]]*)\]/.exec(body)?.[1] ?? '';
      const labels = [...labelList.matchAll(/'([^']+)'/g)].map((l) => l[1]!);
      defs.set(name, { type, labels, file });
      if (type === 'Histogram' || type === 'Summary') {
        for (const suffix of ['_sum', '_count']) defs.set(name + suffix, { type: 'Counter', labels, file });
        if (type === 'Histogram') defs.set(`${name}_bucket`, { type: 'Counter', labels: [...labels, 'le'], file });
        else defs.set(name, { type, labels: [...labels, 'quantile'], file });
      }
    }
  }
  // prom-client's default metrics, registered with a prefix by src/metrics.ts
  const prefix = /collectDefaultMetrics\(\{[^}]*prefix:\s*'([^']+)'/.exec(read('src/metrics.ts'))?.[1];
  if (prefix) {
    const dir = join(ROOT, 'node_modules/prom-client/lib/metrics');
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.js'))) {
      for (const m of readFileSync(join(dir, f), 'utf8').matchAll(/'((?:nodejs|process)_[a-z0-9_]+)'/g)) {
        for (const suffix of ['', '_bucket', '_sum', '_count']) defs.set(prefix + m[1]! + suffix, { type: 'default', labels: null, file: f });
      }
    }
  }
  defs.set('up', { type: 'synthetic', labels: [], file: 'Prometheus' });
  return defs;
}

const METRICS = registeredMetrics();

/** Label values a matcher may name, read from the types of the code that sets them (wherever in src/ they are). */
function knownLabelValues(): Map<string, Set<string>> {
  const texts = sourceFiles('src').map(read);
  const union = (re: RegExp): Set<string> => {
    const found = texts.map((t) => re.exec(t)?.[1]).find((m) => m !== undefined) ?? '';
    return new Set([...found.matchAll(/'([^']+)'/g)].map((m) => m[1]!));
  };
  return new Map([
    ['gateway_connector_runs_total.state', union(/export type RunState\s*=\s*([^;]+);/)],
    ['gateway_connector_alerts_total.reason', union(/interface ConnectorAlert\b[\s\S]*?\breason:\s*((?:'[a-z_]+'\s*\|?\s*)+);/)],
    ['gateway_auth_refusals_total.code', new Set(texts.flatMap((t) => [...t.matchAll(/\b(GW_AUTH_[A-Z_]+)\b/g)].map((m) => m[1]!)))],
  ]);
}
const LABEL_VALUES = knownLabelValues();

// ---------------------------------------------------------------------------------------------
// A small PromQL reader: brackets, metric names, matchers, grouping labels
// ---------------------------------------------------------------------------------------------

const KEYWORDS = new Set(['and', 'or', 'unless', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'offset', 'bool', 'atan2']);
const GROUPING = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);
const AGGREGATIONS = new Set(['sum', 'min', 'max', 'avg', 'group', 'stddev', 'stdvar', 'count', 'count_values', 'bottomk', 'topk', 'quantile', 'limitk', 'limit_ratio']);
const FUNCTIONS = new Set([
  'abs', 'absent', 'absent_over_time', 'ceil', 'changes', 'clamp', 'clamp_max', 'clamp_min', 'day_of_month', 'day_of_week',
  'day_of_year', 'days_in_month', 'delta', 'deriv', 'exp', 'floor', 'histogram_quantile', 'holt_winters', 'hour', 'idelta',
  'increase', 'irate', 'label_join', 'label_replace', 'ln', 'log2', 'log10', 'minute', 'month', 'predict_linear', 'rate',
  'resets', 'round', 'scalar', 'sgn', 'sort', 'sort_desc', 'sqrt', 'time', 'timestamp', 'vector', 'year', 'avg_over_time',
  'min_over_time', 'max_over_time', 'sum_over_time', 'count_over_time', 'quantile_over_time', 'stddev_over_time',
  'stdvar_over_time', 'last_over_time', 'present_over_time',
]);

interface Matcher { label: string; op: string; value: string }
interface Selector { name: string; matchers: Matcher[] }
interface Promql { selectors: Selector[]; grouping: string[]; byLabels: string[]; functions: string[] }

/** Grafana's variables ($__rate_interval, $instance …) put back to PromQL. */
function fromGrafana(expr: string): string {
  return expr.replace(/\$__(rate_interval|interval|range)\b/g, '5m').replace(/\[\$\w+\]/g, '[5m]');
}

function checkBrackets(expr: string): void {
  const pairs: Record<string, string> = { ')': '(', ']': '[', '}': '{' };
  const stack: string[] = [];
  for (let i = 0; i < expr.length; i++) {
    const c = expr[i]!;
    if (c === '"' || c === "'" || c === '`') {
      const end = closingQuote(expr, i);
      if (end < 0) throw new Error(`unterminated string at ${i}`);
      i = end;
    } else if (c === '(' || c === '[' || c === '{') stack.push(c);
    else if (c in pairs) {
      if (stack.pop() !== pairs[c]) throw new Error(`unbalanced "${c}" at ${i}`);
    }
  }
  if (stack.length) throw new Error(`unclosed "${stack.join('')}"`);
}

function closingQuote(s: string, start: number): number {
  const q = s[start]!;
  for (let i = start + 1; i < s.length; i++) {
    if (s[i] === '\\' && q !== '`') i++;
    else if (s[i] === q) return i;
  }
  return -1;
}

function parsePromql(raw: string): Promql {
  const expr = fromGrafana(raw);
  checkBrackets(expr);
  const out: Promql = { selectors: [], grouping: [], byLabels: [], functions: [] };
  let i = 0;
  const skipSpace = () => { while (i < expr.length && /\s/.test(expr[i]!)) i++; };
  const labelList = (): string[] => {
    // at "(": a list of label names
    const end = expr.indexOf(')', i);
    const names = expr.slice(i + 1, end).split(',').map((s) => s.trim()).filter(Boolean);
    for (const n of names) if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(n)) throw new Error(`bad label name "${n}" in a grouping`);
    i = end + 1;
    return names;
  };
  const matchers = (): Matcher[] => {
    // at "{"
    const list: Matcher[] = [];
    i++;
    for (;;) {
      skipSpace();
      if (expr[i] === '}') { i++; return list; }
      const name = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(expr.slice(i))?.[0];
      if (!name) throw new Error(`bad label matcher at ${i}: ${expr.slice(i, i + 20)}`);
      i += name.length;
      skipSpace();
      const op = /^(=~|!~|!=|=)/.exec(expr.slice(i))?.[0];
      if (!op) throw new Error(`bad matcher operator after "${name}"`);
      i += op.length;
      skipSpace();
      if (expr[i] !== '"' && expr[i] !== "'" && expr[i] !== '`') throw new Error(`matcher "${name}" needs a quoted value`);
      const end = closingQuote(expr, i);
      list.push({ label: name, op, value: expr.slice(i + 1, end) });
      i = end + 1;
      skipSpace();
      if (expr[i] === ',') i++;
    }
  };
  while (i < expr.length) {
    skipSpace();
    if (i >= expr.length) break;
    const rest = expr.slice(i);
    const c = expr[i]!;
    if (c === '"' || c === "'" || c === '`') { i = closingQuote(expr, i) + 1; continue; }
    if (c === '[') { i = expr.indexOf(']', i) + 1; continue; }
    const duration = /^\d+(ms|[smhdwy])(\d+(ms|[smhdwy]))*\b/.exec(rest);
    if (duration) { i += duration[0].length; continue; }
    const number = /^(0x[0-9a-fA-F]+|\d+\.?\d*(e[+-]?\d+)?|\.\d+(e[+-]?\d+)?|Inf|NaN)/i.exec(rest);
    if (number && /^[\d.]/.test(rest)) { i += number[0].length; continue; }
    if (c === '{') throw new Error('a selector without a metric name');
    const ident = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(rest)?.[0];
    if (!ident) { i++; continue; }
    i += ident.length;
    skipSpace();
    const lower = ident.toLowerCase();
    if (KEYWORDS.has(lower)) {
      if (GROUPING.has(lower) && expr[i] === '(') {
        const names = labelList();
        out.grouping.push(...names);
        if (lower === 'by') out.byLabels.push(...names);
      }
      continue;
    }
    if (AGGREGATIONS.has(ident) || expr[i] === '(') {
      if (!AGGREGATIONS.has(ident) && !FUNCTIONS.has(ident)) throw new Error(`unknown function "${ident}"`);
      out.functions.push(ident);
      continue;
    }
    out.selectors.push({ name: ident, matchers: expr[i] === '{' ? matchers() : [] });
  }
  return out;
}

/** Problems with one expression: unknown metrics, labels, label values, misused functions. */
function promqlProblems(expr: string): string[] {
  let q: Promql;
  try {
    q = parsePromql(expr);
  } catch (err) {
    return [(err as Error).message];
  }
  const problems: string[] = [];
  if (!q.selectors.length) problems.push('names no metric');
  const available = new Set<string>(TARGET_LABELS);
  for (const s of q.selectors) {
    const def = METRICS.get(s.name);
    if (!def) {
      problems.push(`metric "${s.name}" is not registered in src/`);
      continue;
    }
    for (const l of def.labels ?? []) available.add(l);
    for (const m of s.matchers) {
      if (def.labels && !def.labels.includes(m.label) && !TARGET_LABELS.includes(m.label)) {
        problems.push(`${s.name} has no label "${m.label}" (it has: ${def.labels.join(', ') || 'none'})`);
      }
      const values = LABEL_VALUES.get(`${s.name}.${m.label}`);
      if (values && (m.op === '=' || m.op === '=~')) {
        const named = m.op === '=' ? [m.value] : m.value.split('|');
        for (const v of named) if (!values.has(v)) problems.push(`${s.name}{${m.label}} never has the value "${v}" (it has: ${[...values].join(', ')})`);
      }
    }
  }
  if (q.selectors.some((s) => METRICS.get(s.name)?.labels === null)) return problems; // default metrics: labels not known here
  for (const l of q.grouping) if (!available.has(l)) problems.push(`grouping label "${l}" is on none of the metrics used`);
  // rate/increase only on counters (and histogram series), deriv only on gauges
  const fn = fromGrafana(expr);
  for (const m of fn.matchAll(/\b(rate|irate|increase)\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)/g)) {
    const t = METRICS.get(m[2]!)?.type;
    if (t && t !== 'Counter' && t !== 'default') problems.push(`${m[1]}() of ${m[2]}, a ${t}`);
  }
  for (const m of fn.matchAll(/\b(deriv|delta|predict_linear)\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)/g)) {
    const t = METRICS.get(m[2]!)?.type;
    if (t && t !== 'Gauge') problems.push(`${m[1]}() of ${m[2]}, a ${t}`);
  }
  if (q.functions.includes('histogram_quantile')) {
    if (!q.selectors.some((s) => s.name.endsWith('_bucket'))) problems.push('histogram_quantile() without a _bucket series');
    if (!q.grouping.includes('le')) problems.push('histogram_quantile() without "le" kept in the aggregation');
  }
  return problems;
}

const metricNames = (expr: string): string[] => parsePromql(expr).selectors.map((s) => s.name);

describe('the PromQL reader of this test', () => {
  it('knows the label values of the connector and auth metrics', () => {
    expect([...LABEL_VALUES.get('gateway_connector_runs_total.state')!].sort()).toEqual(['abandoned', 'failed', 'running', 'succeeded']);
    expect(LABEL_VALUES.get('gateway_connector_alerts_total.reason')).toContain('run_failed');
    expect(LABEL_VALUES.get('gateway_auth_refusals_total.code')).toContain('GW_AUTH_TOKEN_REPLAYED');
  });

  it('finds metrics, matchers and groupings, and refuses what is wrong', () => {
    const q = parsePromql('histogram_quantile(0.99, sum by (le, route) (rate(gateway_http_request_duration_seconds_bucket{job="credit-gateway", route=~"/v1/.*"}[$__rate_interval])))');
    expect(q.selectors.map((s) => s.name)).toEqual(['gateway_http_request_duration_seconds_bucket']);
    expect(q.grouping).toEqual(['le', 'route']);
    expect(q.selectors[0]!.matchers).toEqual([{ label: 'job', op: '=', value: 'credit-gateway' }, { label: 'route', op: '=~', value: '/v1/.*' }]);
    expect(promqlProblems('time() - max by (connector) (gateway_connector_last_success_timestamp_seconds) > 26 * 3600')).toEqual([]);
    expect(promqlProblems('sum(rate(gateway_http_requests_total[5m])')).toEqual(['unclosed "("']);
    expect(promqlProblems('sum(rate(gateway_no_such_metric[5m]))')).toEqual(['metric "gateway_no_such_metric" is not registered in src/']);
    expect(promqlProblems('gateway_connector_runs_total{state="failure"}')[0]).toMatch(/never has the value "failure"/);
    expect(promqlProblems('gateway_relay_errors_total{connector="x"}')[0]).toMatch(/has no label "connector"/);
    expect(promqlProblems('rate(gateway_outbox_backlog[5m])')).toEqual(['rate() of gateway_outbox_backlog, a Gauge']);
    expect(promqlProblems('sum by (code) (rate(gateway_relay_errors_total[5m]))')).toEqual(['grouping label "code" is on none of the metrics used']);
    expect(promqlProblems('histogram_quantile(0.5, sum(rate(gateway_publish_latency_seconds_bucket[5m])))')).toEqual(['histogram_quantile() without "le" kept in the aggregation']);
    expect(promqlProblems('sumx(gateway_outbox_backlog)')).toEqual(['unknown function "sumx"']);
  });
});

// ---------------------------------------------------------------------------------------------
// Metrics
// ---------------------------------------------------------------------------------------------

describe('metrics named by the monitoring files', () => {
  it('the two metrics of the auth layer are registered in src/', () => {
    const all = sourceFiles('src').map(read).join('\n');
    expect(all).toContain("name: 'gateway_auth_refusals_total'");
    expect(all).toContain("name: 'gateway_audit_write_failures_total'");
    expect(METRICS.get('gateway_auth_refusals_total')).toMatchObject({ type: 'Counter', labels: ['code'] });
    expect(METRICS.get('gateway_audit_write_failures_total')).toMatchObject({ type: 'Counter', labels: [] });
  });

  it('every gateway_* name in alerts.yaml, prometheus.yml and the dashboard is registered in src/', () => {
    const texts = [ALERTS_FILE, PROMETHEUS_FILE, DASHBOARD_FILE].map((f) => [f, read(f)] as const);
    const unknown = texts.flatMap(([f, text]) => [...text.matchAll(/\bgateway_[a-z0-9_]+\b/g)]
      .map((m) => m[0])
      .filter((name) => !METRICS.has(name))
      .map((name) => `${f}: ${name}`));
    expect(unknown).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// Alert rules
// ---------------------------------------------------------------------------------------------

interface AlertRule { group: string; alert: string; expr: string; for: string; labels: Json; annotations: Json }

function alertRules(): AlertRule[] {
  const doc = yamlFile(ALERTS_FILE);
  return arr(doc.groups, 'groups').flatMap((g, gi) => {
    const group = obj(g, `groups[${gi}]`);
    const name = str(group.name, `groups[${gi}].name`);
    return arr(group.rules, `groups[${gi}].rules`).map((r, ri) => {
      const rule = obj(r, `${name}.rules[${ri}]`);
      return {
        group: name,
        alert: str(rule.alert, `${name}.rules[${ri}].alert`),
        expr: str(rule.expr, `${name}.rules[${ri}].expr`),
        for: str(rule.for, `${name}.rules[${ri}].for`),
        labels: obj(rule.labels, `${name}.rules[${ri}].labels`),
        annotations: obj(rule.annotations, `${name}.rules[${ri}].annotations`),
      };
    });
  });
}

const CJK = /[\u4e00-\u9fff]/;
/** at least three English words outside the {{ … }} templates */
const englishWords = (text: string): number => (text.replace(/\{\{[^}]*\}\}/g, ' ').match(/\b[A-Za-z]{2,}\b/g) ?? []).length;
const DURATION = /^(\d+(ms|[smhdwy]))+$/;

/** Runs promtool (installed by scripts/ensure-test-tools.sh) in the repository root. */
function promtool(...args: string[]): { status: number | null; output: string } {
  const r = spawnSync('promtool', args, { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw new Error(`promtool ${args.join(' ')}: ${r.error.message} (scripts/ensure-test-tools.sh installs it)`);
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

beforeAll(() => {
  execFileSync('bash', [join(ROOT, 'scripts/ensure-test-tools.sh')], { stdio: 'inherit', timeout: 900_000 });
}, 900_000);

describe('alert rules (config/monitoring/alerts.yaml)', () => {
  const rules = alertRules();

  it('pass `promtool check rules`', () => {
    const { status, output } = promtool('check', 'rules', ALERTS_FILE);
    expect(status, output).toBe(0);
    expect(output).toContain(`SUCCESS: ${rules.length} rules found`);
  });

  it('have the Prometheus rule-group shape', () => {
    const doc = yamlFile(ALERTS_FILE);
    expect(Object.keys(doc)).toEqual(['groups']);
    const groups = arr(doc.groups, 'groups').map((g) => obj(g, 'group'));
    expect(new Set(groups.map((g) => g.name)).size).toBe(groups.length);
    for (const g of groups) {
      expect(arr(g.rules, 'rules').length).toBeGreaterThan(0);
      for (const r of arr(g.rules, 'rules')) {
        const keys = Object.keys(obj(r, 'rule'));
        expect(keys.filter((k) => !['alert', 'expr', 'for', 'keep_firing_for', 'labels', 'annotations'].includes(k))).toEqual([]);
      }
    }
    expect(rules.length).toBeGreaterThanOrEqual(6);
    expect(new Set(rules.map((r) => r.alert)).size).toBe(rules.length);
    for (const r of rules) {
      expect(r.alert, r.alert).toMatch(/^[A-Z][A-Za-z0-9]+$/);
      expect(r.expr.trim(), r.alert).not.toBe('');
      expect(r.for, r.alert).toMatch(DURATION);
      expect(['critical', 'warning', 'info'], r.alert).toContain(r.labels.severity);
    }
  });

  it('summaries and descriptions are in English and Chinese', () => {
    for (const r of rules) {
      for (const key of ['summary', 'description']) {
        const text = str(r.annotations[key], `${r.alert}.annotations.${key}`);
        expect(text, `${r.alert} ${key}`).toMatch(CJK);
        expect(englishWords(text), `${r.alert} ${key}: English words`).toBeGreaterThanOrEqual(3);
      }
    }
  });

  it('every expression is well-formed and names registered metrics with their labels', () => {
    const problems = rules.flatMap((r) => promqlProblems(r.expr).map((p) => `${r.alert}: ${p}`));
    expect(problems).toEqual([]);
  });

  it('annotation templates use only labels the expression keeps', () => {
    for (const r of rules) {
      const q = parsePromql(r.expr);
      if (!q.byLabels.length) continue;
      const used = Object.values(r.annotations).flatMap((v) => [...String(v).matchAll(/\$labels\.([a-zA-Z_]+)/g)].map((m) => m[1]!));
      for (const l of used) expect(q.byLabels, `${r.alert} uses $labels.${l}`).toContain(l);
    }
  });

  it('cover the outbox, the relay, the connectors, partner authentication and the audit log', () => {
    const find = (metric: string) => rules.filter((r) => metricNames(r.expr).includes(metric));
    const one = (metric: string) => {
      const found = find(metric);
      expect(found.length, `an alert on ${metric}`).toBeGreaterThan(0);
      return found[0]!;
    };
    const seconds = (d: string) => [...d.matchAll(/(\d+)(ms|[smhdwy])/g)].reduce((s, m) => s + Number(m[1]) * ({ ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800, y: 31536000 } as Record<string, number>)[m[2]!]!, 0);

    const backlog = one('gateway_outbox_backlog');
    expect(backlog.expr).toMatch(/deriv\(gateway_outbox_backlog\[10m\]\)/);
    expect(seconds(backlog.for)).toBeGreaterThanOrEqual(600);
    expect(one('gateway_outbox_oldest_age_seconds').expr).toMatch(/> 300\b/);
    const relay = one('gateway_relay_errors_total');
    expect(seconds(relay.for), 'relay errors must be sustained').toBeGreaterThan(0);
    const stale = one('gateway_connector_last_success_timestamp_seconds');
    expect(stale.expr).toMatch(/time\(\)/);
    expect(stale.expr).toMatch(/> (26 \* 3600|93600)\b/);
    one('gateway_connector_alerts_total');
    one('gateway_auth_refusals_total');
    const audit = one('gateway_audit_write_failures_total');
    expect(audit.expr).toMatch(/> 0\s*$/);
    expect(audit.labels.severity).toBe('critical');
  });
});

// ---------------------------------------------------------------------------------------------
// Prometheus configuration
// ---------------------------------------------------------------------------------------------

describe('prometheus.yml', () => {
  const prom = yamlFile(PROMETHEUS_FILE);
  const jobs = arr(prom.scrape_configs, 'scrape_configs').map((j, i) => obj(j, `scrape_configs[${i}]`));

  it('passes `promtool check config` (which checks the rule files it loads too)', () => {
    const { status, output } = promtool('check', 'config', PROMETHEUS_FILE);
    expect(status, output).toBe(0);
    expect(output).toContain('is valid prometheus config file syntax');
  });

  it('loads alerts.yaml, relative to itself, so the same file works mounted and here', () => {
    const files = arr(prom.rule_files, 'rule_files').map((f) => str(f, 'rule_files[]'));
    expect(files).toContain('alerts.yaml');
    for (const f of files) expect(existsSync(join(ROOT, MONITORING, f)), f).toBe(true);
    expect(new Set(jobs.map((j) => j.job_name)).size).toBe(jobs.length);
  });

  it('every job="…" an expression selects is a scrape job here', () => {
    const names = new Set(jobs.map((j) => str(j.job_name, 'job_name')));
    const exprs = [...alertRules().map((r) => r.expr), ...dashboardTargets().map((t) => t.expr)];
    const selected = exprs.flatMap((e) => parsePromql(e).selectors.flatMap((s) => s.matchers.filter((m) => m.label === 'job' && m.op === '=').map((m) => m.value)));
    expect(selected.length).toBeGreaterThan(0);
    for (const j of selected) expect(names.has(j), `job "${j}"`).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------
// Grafana dashboard and provisioning
// ---------------------------------------------------------------------------------------------

const dashboard = (): Json => obj(JSON.parse(read(DASHBOARD_FILE)), DASHBOARD_FILE);
const panels = (): Json[] => arr(dashboard().panels, 'panels').map((p, i) => obj(p, `panels[${i}]`));
function dashboardTargets(): { panel: string; expr: string }[] {
  return panels().flatMap((p) => arr(p.targets ?? [], 'targets').map((t) => ({ panel: String(p.title), expr: String(obj(t, 'target').expr ?? '') })));
}
const datasources = (): Json[] => arr(yamlFile(DATASOURCE_FILE).datasources, 'datasources').map((d, i) => obj(d, `datasources[${i}]`));

describe('Grafana dashboard (gateway-dashboard.json)', () => {
  it('parses, with schemaVersion ≥ 39, a uid and a title', () => {
    const d = dashboard();
    expect(d.schemaVersion).toBeGreaterThanOrEqual(39);
    expect(d.uid).toMatch(/^[a-zA-Z0-9_-]{1,40}$/);
    expect(typeof d.title).toBe('string');
  });

  it('every panel has the provisioned Prometheus data source and at least one target with an expression', () => {
    const uids = new Set(datasources().filter((d) => d.type === 'prometheus').map((d) => d.uid));
    const ps = panels();
    expect(ps.length).toBeGreaterThan(0);
    expect(new Set(ps.map((p) => p.id)).size).toBe(ps.length);
    for (const p of ps) {
      const title = String(p.title);
      const ds = obj(p.datasource, `${title}.datasource`);
      expect(ds.type, title).toBe('prometheus');
      expect(uids.has(ds.uid), `${title}: data source uid ${String(ds.uid)}`).toBe(true);
      const targets = arr(p.targets, `${title}.targets`).map((t) => obj(t, `${title}.target`));
      expect(targets.length, title).toBeGreaterThan(0);
      expect(new Set(targets.map((t) => t.refId)).size, `${title}: refIds`).toBe(targets.length);
      for (const t of targets) {
        expect(String(t.expr ?? '').trim(), title).not.toBe('');
        if (t.datasource !== undefined) expect(obj(t.datasource, 'target.datasource').uid, title).toBe(ds.uid);
      }
    }
  });

  it('panels lie on the 24-column grid without overlapping', () => {
    const boxes = panels().map((p) => ({ title: String(p.title), ...(obj(p.gridPos, `${String(p.title)}.gridPos`) as { x: number; y: number; w: number; h: number }) }));
    for (const b of boxes) {
      expect(b.x + b.w, b.title).toBeLessThanOrEqual(24);
      expect(b.w > 0 && b.h > 0, b.title).toBe(true);
    }
    for (const [i, a] of boxes.entries()) {
      for (const b of boxes.slice(i + 1)) {
        const overlap = a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
        expect(overlap, `${a.title} and ${b.title}`).toBe(false);
      }
    }
  });

  it('every expression is well-formed and names registered metrics with their labels', () => {
    const problems = dashboardTargets().flatMap((t) => promqlProblems(t.expr).map((p) => `${t.panel}: ${p}`));
    const templating = arr(obj(dashboard().templating ?? { list: [] }, 'templating').list, 'templating.list').map((v) => obj(v, 'variable'));
    for (const v of templating) {
      const def = String(v.definition ?? '');
      const inner = /^label_values\((.*),\s*[a-zA-Z_]+\)$/.exec(def)?.[1] ?? (def.startsWith('label_values(') ? '' : def);
      if (v.type === 'query') problems.push(...promqlProblems(inner).map((p) => `variable ${String(v.name)}: ${p}`));
    }
    expect(problems).toEqual([]);
  });

  it('shows the outbox, publish latency p50/p99, relay errors, connectors, HTTP and the auth layer', () => {
    const exprs = dashboardTargets().map((t) => t.expr);
    const used = new Set(exprs.flatMap(metricNames));
    for (const m of [
      'gateway_outbox_backlog', 'gateway_outbox_oldest_age_seconds', 'gateway_publish_latency_seconds_bucket', 'gateway_relay_errors_total',
      'gateway_connector_runs_total', 'gateway_connector_last_success_timestamp_seconds', 'gateway_connector_alerts_total',
      'gateway_http_requests_total', 'gateway_http_request_duration_seconds_bucket', 'gateway_auth_refusals_total', 'gateway_audit_write_failures_total',
    ]) expect(used.has(m), m).toBe(true);
    const latency = exprs.filter((e) => e.includes('gateway_publish_latency_seconds_bucket'));
    expect(latency.some((e) => /histogram_quantile\(0\.5,/.test(e))).toBe(true);
    expect(latency.some((e) => /histogram_quantile\(0\.99,/.test(e))).toBe(true);
  });
});

describe('Grafana provisioning', () => {
  it('the data source file provisions Prometheus at the compose service', () => {
    const doc = yamlFile(DATASOURCE_FILE);
    expect(doc.apiVersion).toBe(1);
    const [ds] = datasources();
    expect(ds).toMatchObject({ type: 'prometheus', access: 'proxy' });
    const url = new URL(str(ds!.url, 'url'));
    expect(Object.keys(services())).toContain(url.hostname);
    expect(url.port).toBe('9090');
  });

  it('the dashboard provider reads the folder the dashboard is mounted in', () => {
    const doc = yamlFile(DASHBOARDS_FILE);
    expect(doc.apiVersion).toBe(1);
    const providers = arr(doc.providers, 'providers').map((p) => obj(p, 'provider'));
    expect(providers.length).toBeGreaterThan(0);
    const grafana = services().grafana!;
    const dashboardTarget = mounts(grafana).find((m) => m.source === `./${DASHBOARD_FILE}`)?.target;
    expect(dashboardTarget).toBeDefined();
    for (const p of providers) {
      expect(p.type).toBe('file');
      expect(posix.dirname(dashboardTarget!)).toBe(obj(p.options, 'options').path);
    }
    const provisioning = mounts(grafana).map((m) => m.target);
    expect(provisioning).toContain(`/etc/grafana/provisioning/datasources/${posix.basename(DATASOURCE_FILE)}`);
    expect(provisioning).toContain(`/etc/grafana/provisioning/dashboards/${posix.basename(DASHBOARDS_FILE)}`);
  });
});

// ---------------------------------------------------------------------------------------------
// compose.yaml
// ---------------------------------------------------------------------------------------------

const compose = (): Json => yamlFile(COMPOSE_FILE);
const services = (): Record<string, Json> => obj(compose().services, 'services') as Record<string, Json>;

/** Compose's interpolation: ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?err}, ${VAR?err}, $$. */
function interpolate(value: string, env: Record<string, string>): string {
  return value.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (whole, name?: string, op?: string, arg?: string, bare?: string) => {
    if (whole === '$$') return '$';
    const key = (name ?? bare)!;
    const v = env[key];
    const unset = v === undefined || (op?.startsWith(':') === true && v === '');
    if (!unset) return v!;
    if (op?.endsWith('?')) throw new Error(`${key}: ${arg}`);
    return op ? (arg ?? '') : '';
  });
}

function environment(service: Json, env: Record<string, string> = {}): Record<string, string> {
  const raw = service.environment ?? {};
  const pairs: [string, string][] = Array.isArray(raw)
    ? raw.map((e) => { const s = String(e); const i = s.indexOf('='); return [s.slice(0, i), s.slice(i + 1)]; })
    : Object.entries(obj(raw, 'environment')).map(([k, v]) => [k, v === null ? '' : String(v)]);
  return Object.fromEntries(pairs.map(([k, v]) => [k, interpolate(v, env)]));
}

function mounts(service: Json): { source: string; target: string; type: 'bind' | 'volume' }[] {
  return arr(service.volumes ?? [], 'volumes').map((v) => {
    if (typeof v === 'string') {
      const [source, target] = v.split(':') as [string, string];
      return { source, target, type: /^[./~]/.test(source) ? 'bind' : 'volume' };
    }
    const o = obj(v, 'volume');
    return { source: String(o.source), target: String(o.target), type: o.type === 'bind' ? 'bind' : 'volume' };
  });
}

/** Names of the environment variables src/config/load.ts reads. */
function configVariables(): Set<string> {
  const text = read('src/config/load.ts');
  const block = /const ENV_KEYS[^\n]*= \{\n([\s\S]*?)\n\};/.exec(text)?.[1] ?? '';
  return new Set([...[...block.matchAll(/^\s*([A-Z][A-Z0-9_]*):/gm)].map((m) => m[1]!), ...[...text.matchAll(/\benv\.([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]!)]);
}

const STUB_ENV = { POSTGRES_PASSWORD: 'compose-secret', GRAFANA_ADMIN_PASSWORD: 'grafana-secret' };

describe('compose.yaml', () => {
  it('parses and validates against the Compose Specification schema', () => {
    const schema = obj(JSON.parse(read('test/support/schemas/compose-spec.json')), 'compose-spec.json');
    // the schema names its meta-schema by an https URL that ajv does not know; the schema itself is used as it is
    const validate = new Ajv({ allErrors: true, strict: false, validateSchema: false }).compile(schema);
    const ok = validate(compose());
    expect(validate.errors ?? [], JSON.stringify(validate.errors, null, 2)).toEqual([]);
    expect(ok).toBe(true);
    // the schema is really applied
    expect(validate({ services: { gateway: { image: 'x', restart_policy: 'always' } } })).toBe(false);
  });

  it('has the gateway, PostgreSQL 16, Kafka 3.9 (KRaft), Prometheus and Grafana', () => {
    const s = services();
    expect(Object.keys(s).sort()).toEqual(['gateway', 'grafana', 'kafka', 'postgres', 'prometheus']);
    expect(obj(s.gateway!.build, 'gateway.build')).toMatchObject({ context: '.', dockerfile: 'Dockerfile' });
    expect(s.postgres!.image).toBe('postgres:16');
    expect(s.kafka!.image).toBe('apache/kafka:3.9.0');
    expect(String(s.prometheus!.image)).toMatch(/^prom\/prometheus(:v\d+\.\d+\.\d+)?$/);
    expect(String(s.grafana!.image)).toMatch(/^grafana\/grafana(:\d+\.\d+\.\d+)?$/);
  });

  it('the gateway waits for healthy PostgreSQL and Kafka, which have health checks', () => {
    const s = services();
    const deps = obj(s.gateway!.depends_on, 'gateway.depends_on');
    for (const name of ['postgres', 'kafka']) {
      expect(obj(deps[name], `depends_on.${name}`).condition).toBe('service_healthy');
      const test = arr(obj(s[name]!.healthcheck, `${name}.healthcheck`).test, `${name}.healthcheck.test`).join(' ');
      expect(test.length).toBeGreaterThan(0);
    }
    expect(arr(obj(s.postgres!.healthcheck, 'hc').test, 'test').join(' ')).toMatch(/pg_isready/);
  });

  it('named volumes are declared, bind mounts exist in the repository', () => {
    const declared = Object.keys(obj(compose().volumes, 'volumes'));
    for (const [name, service] of Object.entries(services())) {
      for (const m of mounts(service)) {
        if (m.type === 'volume') expect(declared, `${name}: volume ${m.source}`).toContain(m.source);
        else expect(existsSync(join(ROOT, m.source)), `${name}: ${m.source}`).toBe(true);
      }
    }
    expect(mounts(services().postgres!)).toContainEqual({ source: 'postgres-data', target: '/var/lib/postgresql/data', type: 'volume' });
  });

  it('the gateway is configured only through variables src/config/load.ts reads, into a valid configuration', () => {
    const known = configVariables();
    expect(known).toContain('DATABASE_URL');
    const env = environment(services().gateway!, STUB_ENV);
    for (const name of Object.keys(env)) expect(known, `gateway environment ${name}`).toContain(name);

    const image = dockerfile().stages.at(-1)!;
    const config = loadConfig({ env: { ...image.env, ...env } });
    expect(config.kafka.startLocalBroker).toBe(false);
    expect(config.server.host).toBe('0.0.0.0');

    const db = new URL(config.store.databaseUrl!);
    const pg = services().postgres!;
    const pgEnv = environment(pg, STUB_ENV);
    expect(db.hostname).toBe('postgres');
    expect(db.port || '5432').toBe('5432');
    expect(decodeURIComponent(db.username)).toBe(pgEnv.POSTGRES_USER);
    expect(decodeURIComponent(db.password)).toBe(pgEnv.POSTGRES_PASSWORD);
    expect(db.pathname).toBe(`/${pgEnv.POSTGRES_DB}`);

    // the gateway's port: Dockerfile EXPOSE, compose's published port, Prometheus's target
    expect(image.expose).toContain(String(config.server.port));
    const ports = arr(services().gateway!.ports ?? [], 'ports').map((p) => String(p).split(':').at(-1));
    expect(ports).toContain(String(config.server.port));
    const targets = arr(yamlFile(PROMETHEUS_FILE).scrape_configs, 'scrape_configs')
      .map((j) => obj(j, 'job'))
      .filter((j) => (j.metrics_path ?? '/metrics') === '/metrics')
      .flatMap((j) => arr(j.static_configs ?? [], 'static_configs').flatMap((c) => arr(obj(c, 'static_config').targets, 'targets')));
    expect(targets).toContain(`gateway:${config.server.port}`);
  });

  it('Kafka runs as one combined broker and controller in KRaft mode, reachable at KAFKA_BROKERS', () => {
    const kafka = services().kafka!;
    const env = environment(kafka);
    expect(env.KAFKA_PROCESS_ROLES!.split(',').map((r) => r.trim()).sort()).toEqual(['broker', 'controller']);
    expect(env.CLUSTER_ID).toMatch(/^[A-Za-z0-9_-]{22}$/);
    const nodeId = env.KAFKA_NODE_ID;
    expect(nodeId).toMatch(/^\d+$/);

    const listeners = new Map(env.KAFKA_LISTENERS!.split(',').map((l) => {
      const m = /^([A-Z_]+):\/\/([^:]*):(\d+)$/.exec(l.trim());
      if (!m) throw new Error(`listener ${l}`);
      return [m[1]!, Number(m[3])] as const;
    }));
    const protocols = new Map(env.KAFKA_LISTENER_SECURITY_PROTOCOL_MAP!.split(',').map((p) => p.trim().split(':') as [string, string]));
    for (const name of listeners.keys()) expect(protocols.has(name), `protocol of ${name}`).toBe(true);
    const controller = env.KAFKA_CONTROLLER_LISTENER_NAMES!;
    expect(listeners.has(controller)).toBe(true);
    expect(env.KAFKA_CONTROLLER_QUORUM_VOTERS).toBe(`${nodeId}@${String(kafka.hostname ?? 'kafka')}:${listeners.get(controller)}`);
    expect(listeners.has(env.KAFKA_INTER_BROKER_LISTENER_NAME!)).toBe(true);

    const advertised = env.KAFKA_ADVERTISED_LISTENERS!.split(',').map((l) => /^([A-Z_]+):\/\/([^:]+):(\d+)$/.exec(l.trim())!);
    expect(advertised.map((a) => a[1])).not.toContain(controller);
    for (const a of advertised) expect(listeners.get(a[1]!), `advertised ${a[0]}`).toBe(Number(a[3]));

    // the gateway's brokers are advertised PLAINTEXT listeners on the compose network
    const brokers = environment(services().gateway!, STUB_ENV).KAFKA_BROKERS!.split(',').map((b) => b.trim());
    for (const b of brokers) {
      const hit = advertised.find((a) => `${a[2]}:${a[3]}` === b);
      expect(hit, `broker ${b}`).toBeDefined();
      expect(protocols.get(hit![1]!)).toBe('PLAINTEXT');
    }
    expect(Number(env.KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR)).toBe(1);
    expect(mounts(kafka).map((m) => m.target)).toContain(env.KAFKA_LOG_DIRS);
    expect(arr(obj(kafka.healthcheck, 'hc').test, 'test').join(' ')).toMatch(/kafka-broker-api-versions\.sh|kafka-topics\.sh/);
  });

  it('Prometheus gets prometheus.yml and alerts.yaml side by side', () => {
    const prom = services().prometheus!;
    const m = mounts(prom);
    const config = m.find((x) => x.source === `./${PROMETHEUS_FILE}`);
    const alerts = m.find((x) => x.source === `./${ALERTS_FILE}`);
    expect(config && alerts).toBeTruthy();
    expect(posix.dirname(alerts!.target)).toBe(posix.dirname(config!.target));
    expect(arr(prom.command ?? [], 'command')).toContain(`--config.file=${config!.target}`);
  });
});

// ---------------------------------------------------------------------------------------------
// Dockerfile and .dockerignore
// ---------------------------------------------------------------------------------------------

interface Instruction { op: string; args: string }
interface Stage { from: string; name: string | null; instructions: Instruction[]; env: Record<string, string>; expose: string[] }

function dockerfile(): { stages: Stage[] } {
  const lines = read('Dockerfile').split('\n');
  const instructions: Instruction[] = [];
  let current = '';
  for (const line of lines) {
    if (!current && (/^\s*#/.test(line) || !line.trim())) continue;
    if (/^\s*#/.test(line)) continue; // a comment inside a continued instruction
    current += (current ? ' ' : '') + line.trim();
    if (current.endsWith('\\')) { current = current.slice(0, -1).trim(); continue; }
    const m = /^(\w+)\s+([\s\S]*)$/.exec(current)!;
    instructions.push({ op: m[1]!.toUpperCase(), args: m[2]! });
    current = '';
  }
  const stages: Stage[] = [];
  for (const ins of instructions) {
    if (ins.op === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args)!;
      stages.push({ from: m[1]!, name: m[2] ?? null, instructions: [], env: {}, expose: [] });
      continue;
    }
    const stage = stages.at(-1)!;
    stage.instructions.push(ins);
    if (ins.op === 'ENV') for (const m of ins.args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|\S*)/g)) stage.env[m[1]!] = m[2]!.replace(/^"|"$/g, '');
    if (ins.op === 'EXPOSE') stage.expose.push(...ins.args.split(/\s+/).map((p) => p.replace(/\/tcp$/, '')));
  }
  return { stages };
}

/** Packages npm installs for the dependencies named, following package-lock.json's resolution. */
function installedClosure(roots: string[], omitOptional: boolean): Set<string> {
  const lock = obj(JSON.parse(read('package-lock.json')), 'package-lock.json');
  const packages = obj(lock.packages, 'packages') as Record<string, Json>;
  const resolveFrom = (from: string, name: string): string | null => {
    for (let base = from; ; base = base.includes('/node_modules/') ? base.slice(0, base.lastIndexOf('/node_modules/')) : '') {
      const path = `${base ? `${base}/` : ''}node_modules/${name}`;
      if (packages[path]) return path;
      if (!base) return null;
    }
  };
  const seen = new Set<string>();
  const visit = (path: string | null) => {
    if (!path || seen.has(path)) return;
    seen.add(path);
    const p = packages[path] ?? {};
    const optionalPeers = obj(p.peerDependenciesMeta ?? {}, 'peerDependenciesMeta');
    const peers = Object.keys(obj(p.peerDependencies ?? {}, 'peerDependencies')).filter((d) => !obj(optionalPeers[d] ?? {}, 'meta').optional);
    const deps = { ...(p.dependencies as Json | undefined), ...(omitOptional ? {} : (p.optionalDependencies as Json | undefined)), ...Object.fromEntries(peers.map((d) => [d, true])) };
    for (const d of Object.keys(deps)) visit(resolveFrom(path, d));
  };
  for (const r of roots) visit(resolveFrom('', r));
  return seen;
}

describe('Dockerfile', () => {
  const { stages } = dockerfile();
  const [build, runtime] = stages as [Stage, Stage];
  const runs = (s: Stage) => s.instructions.filter((i) => i.op === 'RUN').map((i) => i.args);
  const copies = (s: Stage) => s.instructions.filter((i) => i.op === 'COPY').map((i) => i.args);
  const pkg = obj(JSON.parse(read('package.json')), 'package.json');

  it('builds in a node:20 stage and runs in a second one', () => {
    expect(stages.length).toBe(2);
    expect(build.from).toBe('node:20-bookworm-slim');
    expect(build.name).toBe('build');
    expect(runtime.from).toBe('node:20-bookworm-slim');
    const engines = str(obj(pkg.engines, 'engines').node, 'engines.node');
    // the oldest Node major engines.node admits is the image's
    expect(Math.min(...[...engines.matchAll(/(\d+)\.\d+\.\d+/g)].map((m) => Number(m[1])))).toBe(20);
  });

  it('the build stage installs everything and runs npm run build, which package.json defines with tsconfig.build.json', () => {
    const installs = runs(build).filter((r) => /\bnpm ci\b/.test(r));
    expect(installs.length).toBe(1);
    expect(installs[0]).not.toMatch(/--omit|--production|--ignore-scripts/);
    expect(runs(build).some((r) => /\bnpm run build\b/.test(r))).toBe(true);
    expect(Object.keys(obj(pkg.scripts, 'scripts')), 'a "build" script in package.json').toContain('build');
    expect(existsSync(join(ROOT, 'tsconfig.build.json')), 'tsconfig.build.json').toBe(true);
  });

  it('the runtime stage installs production dependencies only, without tsx or TypeScript', () => {
    const install = runs(runtime).find((r) => /\bnpm ci\b/.test(r));
    expect(install).toMatch(/--omit=dev\b/);
    const omitOptional = /--omit=optional\b/.test(install!);
    const deps = Object.keys(obj(pkg.dependencies, 'dependencies'));
    const installed = installedClosure(deps, omitOptional);
    expect([...installed].filter((p) => /(^|\/)node_modules\/(tsx|typescript)$/.test(p)), 'tsx and typescript belong in devDependencies').toEqual([]);

    // --ignore-scripts only when no package the image installs needs its install script (tsx and
    // typescript left out here: the assertion above is about them)
    const lock = obj(JSON.parse(read('package-lock.json')), 'lock').packages as Record<string, Json>;
    const runtimeClosure = installedClosure(deps.filter((d) => d !== 'tsx' && d !== 'typescript'), omitOptional);
    const withScripts = [...runtimeClosure].filter((p) => lock[p]?.hasInstallScript === true);
    if (/--ignore-scripts\b/.test(install!)) expect(withScripts, 'production packages with install scripts').toEqual([]);
  });

  it('the runtime stage copies dist/ and what the gateway reads from the repository root, and nothing else', () => {
    const c = copies(runtime);
    expect(c).toContain('--from=build /app/dist ./dist');
    expect(c.some((x) => /^package\.json package-lock\.json \.\/$/.test(x))).toBe(true);
    expect(c).toContain('config ./config');
    expect(c).toContain('schemas ./schemas');
    const connectors = c.find((x) => /\.\/connectors$/.test(x));
    expect(connectors).toBeDefined();
    // connectors: only the source files, selected in the build stage
    expect(connectors).toMatch(/^--from=build /);
    expect(runs(build).some((r) => r.includes("-name '*.source.yaml'"))).toBe(true);
    for (const x of c) expect(x, x).not.toMatch(/(^|\s)(src|scripts|test|tsconfig[^ ]*|\.)(\s|$)|\s\.\/src\b/);
    // REPO_ROOT is two levels above src/config/load.ts, so dist/config/load.js finds /app
    expect(read('src/config/load.ts')).toMatch(/REPO_ROOT = resolve\(dirname\(fileURLToPath\(import\.meta\.url\)\), '\.\.\/\.\.'\)/);
    expect(runtime.instructions.find((i) => i.op === 'WORKDIR')?.args).toBe('/app');
  });

  it('runs node on dist/server.js as the node user, on 0.0.0.0:8080, with the /healthz check', () => {
    expect(runtime.env).toMatchObject({ HOST: '0.0.0.0', PORT: '8080', NODE_ENV: 'production', MALLOC_ARENA_MAX: '2' });
    expect(runtime.expose).toEqual(['8080']);
    expect(runtime.instructions.filter((i) => i.op === 'USER').map((i) => i.args)).toEqual(['node']);
    const cmd = runtime.instructions.filter((i) => i.op === 'CMD');
    expect(cmd.length).toBe(1);
    expect(JSON.parse(cmd[0]!.args)).toEqual(['node', '--max-semi-space-size=64', '--heap-growing-percent=50', '--no-allocation-site-pretenuring', '--no-memory-reducer', 'dist/server.js']);
    // `npm start` runs node with the same flags (README, "Node.js runtime", says why)
    expect((JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts.start).toBe(`MALLOC_ARENA_MAX=2 ${(JSON.parse(cmd[0]!.args) as string[]).join(' ')}`);
    const health = runtime.instructions.find((i) => i.op === 'HEALTHCHECK');
    expect(health?.args).toMatch(/\/healthz/);
    expect(runtime.instructions.filter((i) => i.op !== 'RUN').map((i) => i.args).join('\n')).not.toMatch(/\btsx\b|--import/);
    // the non-root user can write the key directory (auth.signingKeys.dir = ./data/keys)
    expect(runs(runtime).some((r) => /chown node:node \/app\/data/.test(r))).toBe(true);
  });

  it('.dockerignore keeps the build context small', () => {
    const entries = read('.dockerignore').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    for (const e of ['node_modules', 'dist', 'data', 'test-results', '.git', 'test', 'benchmarks', 'docs', '*.log']) expect(entries, e).toContain(e);
    for (const needed of ['src', 'config', 'schemas', 'connectors', 'package.json', 'package-lock.json', 'scripts']) expect(entries, needed).not.toContain(needed);
  });
});
