/**
 * CPU time used by the processes of a benchmark (Linux /proc), so a figure can be read as "where did
 * the machine's cores go": the gateway, PostgreSQL's backends, and the load generator itself.
 *
 *   const before = cpuSnapshot(gw.proc.pid);  ...load...  const used = cpuSince(before);
 */
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

export interface CpuSnapshot {
  gatewayPid: number;
  gateway: number;
  /** the gateway's main thread alone (its event loop; the rest is libuv's pool, GC and compiler threads) */
  gatewayMain: number;
  postgres: number;
  broker: number;
  self: number;
}

/**
 * utime + stime of a process, in seconds, and its reaped children's (cutime + cstime); 0 when it is
 * gone or /proc is not there
 */
function processSeconds(pid: number | string, thread?: number): { comm: string; ppid: string; seconds: number; reapedChildren: number } {
  try {
    const stat = readFileSync(thread === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${thread}/stat`, 'utf8');
    const close = stat.lastIndexOf(')');
    const fields = stat.slice(close + 2).split(' '); // fields from the 3rd on: state is [0], ppid [1], utime [11]
    return {
      comm: stat.slice(stat.indexOf('(') + 1, close),
      ppid: fields[1]!,
      seconds: (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND,
      reapedChildren: (Number(fields[13]) + Number(fields[14])) / TICKS_PER_SECOND,
    };
  } catch {
    return { comm: '', ppid: '', seconds: 0, reapedChildren: 0 };
  }
}

/**
 * PostgreSQL's processes, and the local Kafka broker's JVM (a java process running kafka.Kafka).
 * PostgreSQL's include the backends that exited since (a pool closing idle connections during a phase):
 * the postmaster reaps them, so their time is in its children's.
 */
function serverSeconds(): { postgres: number; broker: number } {
  const postgres: Array<ReturnType<typeof processSeconds> & { pid: string }> = [];
  let broker = 0;
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    const p = processSeconds(pid);
    if (p.comm === 'postgres') postgres.push({ ...p, pid });
    else if (p.comm === 'java' && isKafkaBroker(pid)) broker += p.seconds;
  }
  const pids = new Set(postgres.map((p) => p.pid));
  const reaped = postgres.filter((p) => !pids.has(p.ppid)).reduce((sum, postmaster) => sum + postmaster.reapedChildren, 0);
  return { postgres: postgres.reduce((sum, p) => sum + p.seconds, reaped), broker };
}

function isKafkaBroker(pid: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('kafka.Kafka');
  } catch {
    return false;
  }
}

export function cpuSnapshot(gatewayPid: number): CpuSnapshot {
  const self = process.cpuUsage();
  return { gatewayPid, gateway: processSeconds(gatewayPid).seconds, gatewayMain: processSeconds(gatewayPid, gatewayPid).seconds, ...serverSeconds(), self: (self.user + self.system) / 1e6 };
}

/** CPU seconds used since `before`, per part */
export function cpuSince(before: CpuSnapshot): { gateway: number; gatewayMain: number; postgres: number; broker: number; loadGenerator: number } {
  const now = cpuSnapshot(before.gatewayPid);
  return {
    gateway: now.gateway - before.gateway,
    gatewayMain: now.gatewayMain - before.gatewayMain,
    postgres: now.postgres - before.postgres,
    broker: now.broker - before.broker,
    loadGenerator: now.self - before.self,
  };
}
