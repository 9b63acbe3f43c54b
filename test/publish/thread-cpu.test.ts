import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { threadCpuSeconds } from '../../src/publish/thread-cpu.js';

/** Spins for `ms` of wall time. */
function spin(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until);
}

const processCpuSeconds = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
};

describe('threadCpuSeconds', () => {
  it('counts the calling thread\'s CPU: its own spinning, not another thread\'s', async () => {
    const start = threadCpuSeconds();
    expect(start).toEqual(expect.any(Number)); // CI runs on Linux
    spin(300);
    const afterOwn = threadCpuSeconds()!;
    // 300 ms of spinning; on a loaded 2-core machine at least half of it on a core
    expect(afterOwn - start!).toBeGreaterThanOrEqual(0.15);

    const processBefore = processCpuSeconds();
    const worker = new Worker(`const until = Date.now() + 300; while (Date.now() < until); require('node:worker_threads').parentPort.postMessage('done');`, { eval: true });
    await once(worker, 'message');
    await worker.terminate();
    expect(processCpuSeconds() - processBefore, 'the process spent the other thread\'s CPU').toBeGreaterThanOrEqual(0.15);
    expect(threadCpuSeconds()! - afterOwn, 'this thread, waiting, did not').toBeLessThan(0.1);
  });
});
