/**
 * What the machine itself did during a phase (Linux /proc/stat, all CPUs): the time the hypervisor ran
 * something else on our CPUs (steal) and the time CPUs waited on storage (iowait), in all and in the
 * worst 100 ms window. A latency tail that no part of the benchmark explains may be the machine's.
 *
 *   const stop = sampleMachineStalls();  ...phase...  const line = stop();
 */
import { readFileSync } from 'node:fs';

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

export function sampleMachineStalls(): () => string {
  const first = stallTicks();
  if (!first) return () => 'machine stalls: /proc/stat not readable';
  let last = first;
  let worstSteal = 0;
  let worstIowait = 0;
  const timer = setInterval(() => {
    const now = stallTicks()!;
    worstSteal = Math.max(worstSteal, now.steal - last.steal);
    worstIowait = Math.max(worstIowait, now.iowait - last.iowait);
    last = now;
  }, WINDOW_MS);
  return () => {
    clearInterval(timer);
    const end = stallTicks()!;
    return `machine: steal ${end.steal - first.steal} ms (worst ${WINDOW_MS} ms window ${worstSteal} ms), iowait ${end.iowait - first.iowait} ms (worst window ${worstIowait} ms), summed over CPUs`;
  };
}
