/**
 * How fast this machine runs right now, timed before a benchmark run: two fixed pieces of work, each
 * the best of three — SHA-256 over 64 MiB (the cores' own speed) and a million dependent reads at
 * random places of a 64 MiB array (the memory's latency, which a busy neighbour on the same host moves
 * while the cores' speed stays put). On a shared virtual machine the same code runs at very different
 * speeds from one hour to the next (here: up to twice as slow, with no steal time to show for it).
 * Across sessions both probes moved with it (cpu 46–51 ms and memory 229–396 ms in a slow session,
 * 32–36 and 129–179 ms in a fast one), but within the slow session neither followed its slowest hours
 * (the benchmarks' own CPU per unit of work did): read them beside those figures, not instead of them.
 */
import { createHash } from 'node:crypto';

const BLOCK = Buffer.alloc(1 << 20, 0x5a);
const MIB = 64;
const SLOTS = (64 << 20) / 4;
const READS = 1_000_000;

let chain: Uint32Array | null = null;

/** A random cycle through every slot (Sattolo's shuffle): each read depends on the one before. */
function randomCycle(): Uint32Array {
  const next = new Uint32Array(SLOTS);
  for (let i = 0; i < SLOTS; i++) next[i] = i;
  let seed = 12345;
  for (let i = SLOTS - 1; i > 0; i--) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    const j = seed % i;
    const t = next[i]!;
    next[i] = next[j]!;
    next[j] = t;
  }
  return next;
}

function bestOfThree(work: () => void): number {
  let best = Infinity;
  for (let round = 0; round < 3; round++) {
    const started = process.hrtime.bigint();
    work();
    best = Math.min(best, Number(process.hrtime.bigint() - started) / 1e6);
  }
  return best;
}

export function machineProbe(): { cpuMs: number; memoryMs: number } {
  const cpuMs = bestOfThree(() => {
    const hash = createHash('sha256');
    for (let i = 0; i < MIB; i++) hash.update(BLOCK);
    hash.digest();
  });
  const next = (chain ??= randomCycle());
  let at = 0;
  const memoryMs = bestOfThree(() => {
    for (let i = 0; i < READS; i++) at = next[at]!;
  });
  if (at < 0) throw new Error('unreachable'); // keeps the reads from being optimised away
  return { cpuMs, memoryMs };
}
