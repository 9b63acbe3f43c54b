/**
 * npm run bench:goals — the performance goals, measured the way they are stated: each benchmark run
 * several times in a row (3; bench:auth 5), each figure read from the runs' output, and per goal the
 * runs, their median and whether the goal is met (on the median, or in every run where the goal says
 * so). The goals and the lines they are read from: benchmarks/support/goals.ts.
 *
 * Before each run two fixed pieces of work are timed, one on the cores and one on memory
 * (support/machine-speed.ts, which says what they show and what not), printed with the report. Each
 * run's whole output is kept in a log file (named on stderr). bench:checks' runs share one seeded store
 * (seeded by the first, dropped after the last).
 *
 * BENCH_GOALS=ingest,auth runs only those benchmarks (by script name, without `bench:`); the default
 * is all five, about an hour and a half. BENCH_GOAL_RUNS=N runs each at most N times (a quicker look:
 * a goal then measured on fewer runs than it asks for is reported, never as met). Variables the
 * benchmarks read (BENCH_RECORDS, BENCH_SECONDS, ...) pass through to every run.
 * Standard output gets the report alone; progress goes to stderr.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../src/config/load.js';
import { dropScratchDatabase } from '../src/dev/scratch-database.js';
import { GOAL_BENCHMARKS, readFigure, reportLine, type GoalBenchmark } from './support/goals.js';
import { machineProbe } from './support/machine-speed.js';

const RUN_LIMIT_MS = 40 * 60_000;
const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const log = (msg: string) => process.stderr.write(`${msg}\n`);

interface Run {
  stdout: string;
  stderr: string;
  exitCode: number | string;
  seconds: number;
  probe: { cpuMs: number; memoryMs: number };
}

function runScript(script: string, env: Record<string, string>): Promise<Omit<Run, 'probe'>> {
  const started = Date.now();
  const child = spawn('npm', ['run', '--silent', script], { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const limit = setTimeout(() => child.kill('SIGTERM'), RUN_LIMIT_MS);
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(limit);
      resolve({ stdout, stderr, exitCode: code ?? signal ?? 'unknown', seconds: (Date.now() - started) / 1000 });
    });
  });
}

function probeLine(probes: ReadonlyArray<Run['probe']>): string {
  const ms = (pick: (p: Run['probe']) => number) => probes.map((p) => pick(p).toFixed(0)).join(' / ');
  return `cpu ${ms((p) => p.cpuMs)} ms, memory ${ms((p) => p.memoryMs)} ms`;
}

/** Runs one benchmark `runs` times; the seeded store of a reusing benchmark is dropped at the end. */
async function runBenchmark(bench: GoalBenchmark, runs: number, logDir: string): Promise<Run[]> {
  const done: Run[] = [];
  let seeded: string | null = null;
  try {
    for (let i = 0; i < runs; i++) {
      const env: Record<string, string> = { ...bench.env };
      if (bench.reuseSeededDatabase) Object.assign(env, { BENCH_KEEP_DB: '1' }, seeded ? { BENCH_REUSE_DB: seeded } : {});
      const probe = machineProbe();
      log(`# ${bench.script} run ${i + 1} of ${runs} (machine probe: ${probeLine([probe])})...`);
      const run = { ...(await runScript(bench.script, env)), probe };
      const file = join(logDir, `${bench.script.replace(':', '-')}-${i + 1}.log`);
      writeFileSync(file, `${run.stdout}\n--- stderr ---\n${run.stderr}`);
      log(`#   exit ${run.exitCode} after ${run.seconds.toFixed(0)} s; output in ${file}`);
      done.push(run);
      seeded ??= /kept database (\w+)/.exec(run.stderr)?.[1] ?? null;
    }
  } finally {
    if (seeded) await dropScratchDatabase(ADMIN_URL, seeded);
  }
  return done;
}

async function main(): Promise<void> {
  const only = process.env.BENCH_GOALS?.split(',').map((s) => `bench:${s.trim().replace(/^bench:/, '')}`);
  const unknown = only?.filter((s) => !GOAL_BENCHMARKS.some((b) => b.script === s)) ?? [];
  if (unknown.length) throw new Error(`BENCH_GOALS names no goal benchmark: ${unknown.join(', ')} (known: ${GOAL_BENCHMARKS.map((b) => b.script.slice(6)).join(', ')})`);
  const cap = Number(process.env.BENCH_GOAL_RUNS ?? Infinity);
  if (!(cap >= 1)) throw new Error('BENCH_GOAL_RUNS must be 1 or more');
  const logDir = mkdtempSync(join(tmpdir(), 'gw-bench-goals-'));

  const lines: string[] = [];
  for (const bench of GOAL_BENCHMARKS.filter((b) => !only || only.includes(b.script))) {
    const runs = await runBenchmark(bench, Math.min(bench.runs, cap), logDir);
    lines.push(`${bench.script}: ${runs.length} run(s)${runs.length < bench.runs ? ` of the ${bench.runs} the goals ask for` : ''}; `
      + `machine probe ${probeLine(runs.map((r) => r.probe))}; `
      + `exit ${runs.map((r) => r.exitCode).join(' / ')}`);
    for (const goal of bench.goals) {
      // a run not made (BENCH_GOAL_RUNS) counts as one without the figure: shown as —, never met
      const figures = [...runs.map((r) => (r.exitCode === 0 ? readFigure(r.stdout, goal) : null)), ...Array<null>(bench.runs - runs.length).fill(null)];
      lines.push(`  ${reportLine(goal, figures)}`);
    }
  }
  console.log(lines.join('\n'));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
