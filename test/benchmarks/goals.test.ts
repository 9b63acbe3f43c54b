import { describe, expect, it } from 'vitest';
import { GOAL_BENCHMARKS, judge, median, readFigure, reportLine, type Goal } from '../../benchmarks/support/goals.js';

const goalsOf = (script: string) => GOAL_BENCHMARKS.find((b) => b.script === script)!.goals;
const goal = (script: string, figure: string) => goalsOf(script).find((g) => g.figure === figure)!;

// standard output of real runs (this machine, 2026-12-07), as the benchmarks print it
const INGEST_OUT = `records: 20000 in batches of 500, 4 in flight; accepted in 8.01 s, all acked in 8.81 s
end-to-end: 2269 records/s
raw kafkajs: 6709 records/s
ratio: 0.34
wal per record: 4105 bytes
wal per record by relation:  1541 bytes  record_versions
cpu per record: gateway 448 µs (main thread 180 µs), postgres 231 µs, kafka broker 109 µs, load generator 33 µs
peak rss: 456 MiB`;
const AUTH_OUT = `verified: 1629 req/s
unverified: 3536 req/s
ratio: 0.46
p99: 11.1 ms
wal per request (fixed rate, verified): 1302 bytes`;
const PULL_OUT = `pull json: 1875 rows/s
wal per row (json): 5187 bytes
pull html: 1700 rows/s
peak rss: 425 MiB`;
const SCALE_OUT = `ingest empty: 8113 records/s
ingest at 5M: 7034 records/s
ratio: 0.87
wal per record empty: 4745 bytes; at 5M: 13308 bytes
checks p99 empty: 38.5 ms; at 5M: 29.2 ms`;

describe('reading a figure from a run', () => {
  it('takes each goal figure from its own line of the real output', () => {
    expect(goalsOf('bench:ingest').map((g) => readFigure(INGEST_OUT, g))).toEqual([2269, 0.34, 4105]);
    expect(goalsOf('bench:auth').map((g) => readFigure(AUTH_OUT, g))).toEqual([0.46, 11.1]);
    expect(goalsOf('bench:pull').map((g) => readFigure(PULL_OUT, g))).toEqual([1875, 1700, 425]);
    expect(goalsOf('bench:scale').map((g) => readFigure(SCALE_OUT, g))).toEqual([0.87, 29.2]);
    expect(readFigure('checks: 32.2 per s\np99: 58.2 ms\nwal per check: 0 bytes', goalsOf('bench:checks')[0]!)).toBe(58.2);
  });

  it('is null when the line is missing (a run that failed early), never another line that mentions the figure', () => {
    expect(readFigure('records: 20000 in batches of 500\nError: outbox not drained in time', goal('bench:ingest', 'ingest end-to-end'))).toBeNull();
    // "raw kafkajs:" and the per-relation lines must not be read as the ratio or the WAL figure
    expect(readFigure('raw kafkajs: 6709 records/s\nwal per record by relation:  1541 bytes', goal('bench:ingest', 'ingest ratio to raw kafkajs'))).toBeNull();
    expect(readFigure('wal per record by relation:  1541 bytes  record_versions', goal('bench:ingest', 'ingest WAL per record'))).toBeNull();
  });
});

describe('judging the runs', () => {
  const atLeast: Goal = { figure: 'rate', pattern: /^rate: ([\d.]+)/m, op: '>=', target: 100, unit: 'x/s', rule: 'median' };
  const below: Goal = { ...atLeast, op: '<', target: 20, unit: 'ms', rule: 'every' };
  const atMost: Goal = { ...atLeast, op: '<=', target: 2000, unit: 'bytes' };

  it('takes the median (the mean of the middle two for an even count)', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('a median goal is met by the median, whatever one run did', () => {
    expect(judge(atLeast, [90, 120, 101])).toEqual({ median: 101, runsMet: 2, met: true });
    expect(judge(atLeast, [99, 150, 98]).met).toBe(false);
    expect(judge(atMost, [2000, 2000, 2100]).met).toBe(true);
    expect(judge(atMost, [2001, 2001, 1900]).met).toBe(false);
  });

  it('an every-run goal fails on one run, and the boundary itself does not meet a strict bound', () => {
    expect(judge(below, [11, 12, 13, 14, 15]).met).toBe(true);
    expect(judge(below, [11, 12, 13, 14, 20])).toEqual({ median: 13, runsMet: 4, met: false });
  });

  it('a run without the figure is never met, for either rule', () => {
    expect(judge(atLeast, [200, null, 200]).met).toBe(false);
    expect(judge(below, [1, 1, 1, 1, null]).met).toBe(false);
    expect(judge(atLeast, [null, null, null])).toEqual({ median: null, runsMet: 0, met: false });
  });

  it('reports each run, the median, the goal and the verdict on one line', () => {
    expect(reportLine(goal('bench:auth', 'auth p99 at 500 req/s'), [11.1, 24.3, 9.8, 15, null])).toBe(
      'auth p99 at 500 req/s: runs 11.1 / 24.3 / 9.8 / 15 / —; median 13.05 ms; goal < 20 ms in every run (3 of 5): not met',
    );
    expect(reportLine(goal('bench:ingest', 'ingest WAL per record'), [4105, 4124, 4140])).toBe(
      'ingest WAL per record: runs 4,105 / 4,124 / 4,140; median 4,124 bytes; goal ≤ 2,000 bytes on the median: not met',
    );
    expect(reportLine(goal('bench:scale', 'scale ingest ratio at 5M to empty'), [0.87, 0.7, 0.83])).toBe(
      'scale ingest ratio at 5M to empty: runs 0.87 / 0.7 / 0.83; median 0.83; goal ≥ 0.8 on the median: MET',
    );
  });
});
