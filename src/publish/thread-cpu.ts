/**
 * The CPU time of the calling thread, for the relay thread's own figure (Node 20 has no per-thread
 * CPU API): Linux's /proc/thread-self/stat, user plus system time. Null where there is no such file.
 */
import { readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** Seconds of CPU this thread has used since it started (in 10 ms steps); null off Linux. */
export function threadCpuSeconds(): number | null {
  let stat: string;
  try {
    stat = readFileSync('/proc/thread-self/stat', 'utf8');
  } catch {
    return null;
  }
  // fields after the command name (which may hold spaces) in parentheses: utime is the 12th, stime the 13th
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}
