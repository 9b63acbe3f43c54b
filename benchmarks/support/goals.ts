/**
 * The performance goals the benchmarks are held to, as data: which benchmark, how many runs, which line
 * of its output carries each figure, the goal, and whether the goal is on the median of the runs or on
 * every run. Pure: reading a figure out of a run's output and judging the runs are unit-tested
 * (test/benchmarks/goals.test.ts); benchmarks/goals.ts runs the benchmarks and prints the report.
 */

export interface Goal {
  /** the figure as the report names it */
  figure: string;
  /** the first group of the first match in the run's standard output is the figure */
  pattern: RegExp;
  op: '>=' | '<' | '<=';
  target: number;
  unit: string;
  /** `median`: the median of the runs must meet the target; `every`: each run must */
  rule: 'median' | 'every';
}

export interface GoalBenchmark {
  /** the npm script (npm run <script>) */
  script: string;
  runs: number;
  env?: Record<string, string>;
  /** the runs share one seeded database (bench:checks: BENCH_KEEP_DB on the first, BENCH_REUSE_DB after) */
  reuseSeededDatabase?: boolean;
  goals: Goal[];
}

const figure = (label: string) => new RegExp(`^${label}: ([\\d.]+)`, 'm');

export const GOAL_BENCHMARKS: readonly GoalBenchmark[] = [
  {
    script: 'bench:ingest',
    runs: 3,
    goals: [
      { figure: 'ingest end-to-end', pattern: figure('end-to-end'), op: '>=', target: 10_000, unit: 'records/s', rule: 'median' },
      { figure: 'ingest ratio to raw kafkajs', pattern: figure('ratio'), op: '>=', target: 0.6, unit: '', rule: 'median' },
      { figure: 'ingest WAL per record', pattern: figure('wal per record'), op: '<=', target: 2_000, unit: 'bytes', rule: 'median' },
    ],
  },
  {
    script: 'bench:pull',
    runs: 3,
    goals: [
      { figure: 'pull json', pattern: figure('pull json'), op: '>=', target: 8_000, unit: 'rows/s', rule: 'median' },
      { figure: 'pull html', pattern: figure('pull html'), op: '>=', target: 8_000, unit: 'rows/s', rule: 'median' },
      { figure: 'pull peak RSS', pattern: figure('peak rss'), op: '<', target: 512, unit: 'MiB', rule: 'median' },
    ],
  },
  {
    script: 'bench:auth',
    runs: 5,
    goals: [
      { figure: 'auth ratio verified / unverified', pattern: figure('ratio'), op: '>=', target: 0.5, unit: '', rule: 'every' },
      { figure: 'auth p99 at 500 req/s', pattern: figure('p99'), op: '<', target: 20, unit: 'ms', rule: 'every' },
    ],
  },
  {
    script: 'bench:checks',
    runs: 3,
    reuseSeededDatabase: true,
    goals: [{ figure: 'checks p99 over 1,000,000 records', pattern: figure('p99'), op: '<', target: 50, unit: 'ms', rule: 'median' }],
  },
  {
    script: 'bench:scale',
    runs: 3,
    goals: [
      { figure: 'scale ingest ratio at 5M to empty', pattern: figure('ratio'), op: '>=', target: 0.8, unit: '', rule: 'median' },
      { figure: 'checks p99 over 5,000,000 records', pattern: /^checks p99 empty: [\d.]+ ms; at [^:]+: ([\d.]+) ms/m, op: '<', target: 100, unit: 'ms', rule: 'median' },
    ],
  },
];

/** The figure of `goal` in a run's standard output; null when the run did not print it. */
export function readFigure(stdout: string, goal: Goal): number | null {
  const match = goal.pattern.exec(stdout);
  if (!match) return null;
  const value = Number(match[1]);
  return Number.isFinite(value) ? value : null;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function meets(goal: Pick<Goal, 'op' | 'target'>, value: number): boolean {
  if (goal.op === '>=') return value >= goal.target;
  return goal.op === '<=' ? value <= goal.target : value < goal.target;
}

export interface Judgement {
  /** the median of the runs that printed the figure (null: none did) */
  median: number | null;
  /** runs that met the target, of those that printed it */
  runsMet: number;
  met: boolean;
}

/**
 * The goal judged over the runs' figures (null: a run that failed or did not print it — a missing run
 * never counts as met, so a goal on every run fails, and a median needs every run to have printed).
 */
export function judge(goal: Goal, figures: ReadonlyArray<number | null>): Judgement {
  const printed = figures.filter((v): v is number => v !== null);
  const runsMet = printed.filter((v) => meets(goal, v)).length;
  const complete = figures.length > 0 && printed.length === figures.length;
  const mid = printed.length ? median(printed) : null;
  const met = complete && (goal.rule === 'every' ? runsMet === figures.length : meets(goal, mid!));
  return { median: mid, runsMet, met };
}

const formatted = (v: number | null) => (v === null ? '—' : Number.isInteger(v) ? v.toLocaleString('en-US') : String(v));

/** One report line: the figure, each run, the median, the goal and the verdict. */
export function reportLine(goal: Goal, figures: ReadonlyArray<number | null>): string {
  const j = judge(goal, figures);
  const unit = goal.unit ? ` ${goal.unit}` : '';
  const target = `${{ '>=': '≥', '<': '<', '<=': '≤' }[goal.op]} ${formatted(goal.target)}${unit}`;
  const how = goal.rule === 'every' ? `goal ${target} in every run (${j.runsMet} of ${figures.length})` : `goal ${target} on the median`;
  return `${goal.figure}: runs ${figures.map(formatted).join(' / ')}; median ${formatted(j.median)}${unit}; ${how}: ${j.met ? 'MET' : 'not met'}`;
}
