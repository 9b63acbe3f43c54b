import { once } from 'node:events';
import { getHeapStatistics } from 'node:v8';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { withThreadHeap, type ThreadHeap } from '../../src/publish/thread-heap.js';

/** A thread that reports its heap's size limit (old generation plus three semi-spaces' worth of young generation). */
const REPORT_LIMIT = `require('node:worker_threads').parentPort.postMessage(require('node:v8').getHeapStatistics().heap_size_limit)`;

/**
 * A thread that, like the relay, keeps each round's objects (20,000 of about 1 KB) until the next
 * round is built, for 150 rounds, and reports how many full (major) GCs it ran.
 */
const COUNT_FULL_GCS = `
const { PerformanceObserver, constants } = require('node:perf_hooks');
let full = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) if (e.detail.kind === constants.NODE_PERFORMANCE_GC_MAJOR) full++;
}).observe({ entryTypes: ['gc'] });
let kept = [];
for (let round = 0; round < 150; round++) {
  const batch = [];
  for (let i = 0; i < 20000; i++) batch.push({ text: 'x'.repeat(1000) + i, n: i });
  kept = batch;
}
setTimeout(() => require('node:worker_threads').parentPort.postMessage(full), 100);
`;

async function reportOf(start: () => Worker): Promise<number> {
  const worker = start();
  const [n] = (await once(worker, 'message')) as [number];
  await worker.terminate();
  return n;
}

const plainThread = (source = REPORT_LIMIT) => () => new Worker(source, { eval: true });
const MiB = 1024 * 1024;
const heap = (semiSpaceMb: number, initialOldSpaceMb = 0): ThreadHeap => ({ semiSpaceMb, initialOldSpaceMb });

describe('withThreadHeap', () => {
  it('sizes the young generation of the thread it starts, and only of that thread', async () => {
    const mainBefore = getHeapStatistics().heap_size_limit;
    const plainBefore = await reportOf(plainThread());
    const small = await reportOf(() => withThreadHeap(heap(8), plainThread()));
    const large = await reportOf(() => withThreadHeap(heap(32), plainThread()));
    // 24 MiB more per semi-space is 72 MiB more young generation (two semi-spaces and a new large-object space)
    expect(large - small).toBe(72 * MiB);
    // the flags are set back once the thread is online: a thread started afterwards, and the main thread, are as before
    expect(await reportOf(plainThread())).toBe(plainBefore);
    expect(getHeapStatistics().heap_size_limit).toBe(mainBefore);
  });

  it('with an initial old generation, the thread runs fewer full GCs for the same work; a plain thread started after it, as many as before', async () => {
    const counting = plainThread(COUNT_FULL_GCS);
    const before = await reportOf(counting);
    const floored = await reportOf(() => withThreadHeap(heap(16, 256), counting));
    const after = await reportOf(counting);
    // seen here: 15 or 16 full GCs without, 5 with (their count varies by one from run to run)
    expect(before, 'the work must need full GCs for the comparison to mean anything').toBeGreaterThanOrEqual(10);
    expect(floored).toBeLessThanOrEqual(before / 2);
    expect(Math.abs(after - before)).toBeLessThanOrEqual(2);
  }, 60_000);
});
