/**
 * How fast this machine runs right now: the time of a fixed piece of CPU work (SHA-256 over 64 MiB,
 * the best of three), taken before a benchmark run. On a shared virtual machine the same code runs at
 * very different speeds from one hour to the next (here: up to twice as slow, with no steal time to
 * show for it); the probe next to each run says which runs were made in a slow phase.
 */
import { createHash } from 'node:crypto';

const BLOCK = Buffer.alloc(1 << 20, 0x5a);
const MIB = 64;

export function machineProbeMs(): number {
  let best = Infinity;
  for (let round = 0; round < 3; round++) {
    const started = process.hrtime.bigint();
    const hash = createHash('sha256');
    for (let i = 0; i < MIB; i++) hash.update(BLOCK);
    hash.digest();
    best = Math.min(best, Number(process.hrtime.bigint() - started) / 1e6);
  }
  return best;
}
