import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { threadCpuSeconds } from '../../src/publish/thread-cpu.js';

const processCpuSeconds = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
};

/**
 * Spins until the process has spent `seconds` more of CPU (at most 20 s of wall time): measured in
 * CPU, not wall time, so a loaded machine that gives this thread less of a core does not fail the test.
 */
function spinCpu(seconds: number): void {
  const start = processCpuSeconds();
  const deadline = Date.now() + 20_000;
  while (processCpuSeconds() - start < seconds && Date.now() < deadline);
}

describe('threadCpuSeconds', () => {
  it('counts the calling thread\'s CPU: its own spinning, not another thread\'s', async () => {
    const start = threadCpuSeconds();
    expect(start).toEqual(expect.any(Number)); // CI runs on Linux
    spinCpu(0.3);
    const afterOwn = threadCpuSeconds()!;
    // the process's 0.3 s were this thread's spinning, but for what V8's helper threads did meanwhile
    // (and the clock's 10 ms ticks)
    expect(afterOwn - start!).toBeGreaterThanOrEqual(0.2);
    expect(afterOwn - start!).toBeLessThanOrEqual(0.35);

    const worker = new Worker(`
      const cpu = () => { const { user, system } = process.cpuUsage(); return (user + system) / 1e6; };
      const start = cpu(), deadline = Date.now() + 20000;
      while (cpu() - start < 0.3 && Date.now() < deadline);
      require('node:worker_threads').parentPort.postMessage('done');`, { eval: true });
    await once(worker, 'message');
    await worker.terminate();
    expect(threadCpuSeconds()! - afterOwn, 'this thread, waiting while the other spun, did not spend its CPU').toBeLessThan(0.1);
  });
});
