import { once } from 'node:events';
import { getHeapStatistics } from 'node:v8';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { withSemiSpace } from '../../src/publish/thread-heap.js';

/** A thread that reports its heap's size limit (old generation plus three semi-spaces' worth of young generation). */
const REPORT_LIMIT = `require('node:worker_threads').parentPort.postMessage(require('node:v8').getHeapStatistics().heap_size_limit)`;

async function heapLimitOf(start: () => Worker): Promise<number> {
  const worker = start();
  const [limit] = (await once(worker, 'message')) as [number];
  await worker.terminate();
  return limit;
}

const plainThread = () => new Worker(REPORT_LIMIT, { eval: true });
const MiB = 1024 * 1024;

describe('withSemiSpace', () => {
  it('sizes the young generation of the thread it starts, and only of that thread', async () => {
    const mainBefore = getHeapStatistics().heap_size_limit;
    const plainBefore = await heapLimitOf(plainThread);
    const small = await heapLimitOf(() => withSemiSpace(8, plainThread));
    const large = await heapLimitOf(() => withSemiSpace(32, plainThread));
    // 24 MiB more per semi-space is 72 MiB more young generation (two semi-spaces and a new large-object space)
    expect(large - small).toBe(72 * MiB);
    // the flag is set back once the thread is online: a thread started afterwards, and the main thread, are as before
    expect(await heapLimitOf(plainThread)).toBe(plainBefore);
    expect(getHeapStatistics().heap_size_limit).toBe(mainBefore);
  });
});
