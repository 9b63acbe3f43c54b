/**
 * What the machine itself did during a phase (Linux /proc/stat, all CPUs): the time the hypervisor ran
 * something else on our CPUs (steal) and the time CPUs waited on storage (iowait), in all and in the
 * worst 100 ms window; and the major page faults of every process (/proc/vmstat pgmajfault: a page of a
 * file — code, a library, a data file — that had to be read back from storage, e.g. after the kernel's
 * proactive reclaim (DAMON) paged it out), in all and in the worst 100 ms window. A latency tail that
 * no part of the benchmark explains may be the machine's.
 * With `others` (the pids of the benchmark's own processes to leave out), it also reads every
 * process's CPU time four times a second and names the processes that ran in the busiest 250 ms window
 * (the other services of the machine, a broker's garbage collection): reading /proc that often costs
 * the machine ~1–2% itself, so benchmarks ask for it only on request.
 *
 *   const stop = sampleMachineStalls();  ...phase...  const line = stop();
 */
import { readdirSync, readFileSync } from 'node:fs';

const WINDOW_MS = 100;
const MS_PER_TICK = 10; // USER_HZ = 100

/** steal and iowait so far, in ms summed over CPUs; null where /proc/stat is not there */
function stallTicks(): { steal: number; iowait: number } | null {
  try {
    // cpu  user nice system idle iowait irq softirq steal ...
    const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
    return { steal: fields[7]! * MS_PER_TICK, iowait: fields[4]! * MS_PER_TICK };
  } catch {
    return null;
  }
}

/** Major page faults so far, machine-wide; null where /proc/vmstat is not there */
function majorFaults(): number | null {
  try {
    const count = /^pgmajfault (\d+)$/m.exec(readFileSync('/proc/vmstat', 'utf8'))?.[1];
    return count === undefined ? null : Number(count);
  } catch {
    return null;
  }
}

/** CPU ms so far of every process, by pid, with its name */
function processTicks(): Map<string, { comm: string; ms: number }> {
  const all = new Map<string, { comm: string; ms: number }>();
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const fields = stat.slice(close + 2).split(' ');
      all.set(pid, { comm: stat.slice(stat.indexOf('(') + 1, close), ms: (Number(fields[11]) + Number(fields[12])) * MS_PER_TICK });
    } catch {
      // gone meanwhile
    }
  }
  return all;
}

/** The processes outside `leftOut` that ran most between two readings: total ms and the top three by name */
function othersBetween(before: Map<string, { ms: number }>, after: Map<string, { comm: string; ms: number }>, leftOut: Set<string>): { ms: number; top: string } {
  const byName = new Map<string, number>();
  let ms = 0;
  for (const [pid, p] of after) {
    if (leftOut.has(pid)) continue;
    const used = p.ms - (before.get(pid)?.ms ?? p.ms);
    if (used <= 0) continue;
    ms += used;
    byName.set(p.comm, (byName.get(p.comm) ?? 0) + used);
  }
  const top = [...byName].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([name, used]) => `${name} ${used} ms`).join(', ');
  return { ms, top };
}

/** `others`: when given, the pids of the benchmark's own processes (left out of the "other processes" figure) */
export function sampleMachineStalls(others?: { leaveOut: () => number[] }): () => string {
  const first = stallTicks();
  if (!first) return () => 'machine stalls: /proc/stat not readable';
  const processes = others ? { first: processTicks(), last: processTicks(), worst: { ms: 0, top: '' } } : null;
  const processTimer = processes && setInterval(() => {
    const now = processTicks();
    const leftOut = new Set(others!.leaveOut().map(String));
    const window = othersBetween(processes.last, now, leftOut);
    if (window.ms > processes.worst.ms) processes.worst = window;
    processes.last = now;
  }, 250);
  let last = first;
  let worstSteal = 0;
  let worstIowait = 0;
  const firstFaults = majorFaults();
  let lastFaults = firstFaults;
  let worstFaults = 0;
  const timer = setInterval(() => {
    const now = stallTicks()!;
    worstSteal = Math.max(worstSteal, now.steal - last.steal);
    worstIowait = Math.max(worstIowait, now.iowait - last.iowait);
    last = now;
    const faults = majorFaults();
    if (faults !== null && lastFaults !== null) worstFaults = Math.max(worstFaults, faults - lastFaults);
    lastFaults = faults;
  }, WINDOW_MS);
  return () => {
    clearInterval(timer);
    if (processTimer) clearInterval(processTimer);
    const end = stallTicks()!;
    const endFaults = majorFaults();
    const faults = endFaults !== null && firstFaults !== null ? `, major page faults ${endFaults - firstFaults} (worst window ${worstFaults})` : '';
    const line = `machine: steal ${end.steal - first.steal} ms (worst ${WINDOW_MS} ms window ${worstSteal} ms), iowait ${end.iowait - first.iowait} ms (worst window ${worstIowait} ms), summed over CPUs${faults}`;
    if (!processes) return line;
    const all = othersBetween(processes.first, processTicks(), new Set(others!.leaveOut().map(String)));
    return `${line}; other processes ${all.ms} ms in all (${all.top}), busiest 250 ms window ${processes.worst.ms} ms (${processes.worst.top})`;
  };
}
