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

/** utime + stime of a process, in seconds; 0 when it is gone or /proc is not there */
function processSeconds(pid: number | string, thread?: number): { comm: string; seconds: number } {
  try {
    const stat = readFileSync(thread === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${thread}/stat`, 'utf8');
    const close = stat.lastIndexOf(')');
    const fields = stat.slice(close + 2).split(' '); // fields from the 3rd on: state is [0], utime is [11]
    return { comm: stat.slice(stat.indexOf('(') + 1, close), seconds: (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND };
  } catch {
    return { comm: '', seconds: 0 };
  }
}

/** PostgreSQL's processes, and the local Kafka broker's JVM (a java process running kafka.Kafka) */
function serverSeconds(): { postgres: number; broker: number } {
  let postgres = 0;
  let broker = 0;
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    const p = processSeconds(pid);
    if (p.comm === 'postgres') postgres += p.seconds;
    else if (p.comm === 'java' && isKafkaBroker(pid)) broker += p.seconds;
  }
  return { postgres, broker };
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
