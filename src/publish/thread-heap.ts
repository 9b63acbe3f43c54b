/**
 * A worker thread's young generation, apart from the main thread's: V8 sizes a thread's heap from the
 * process's flags when the thread starts, and `--max-semi-space-size` overrides a Worker's
 * resourceLimits.
 */
import { setFlagsFromString } from 'node:v8';
import type { Worker } from 'node:worker_threads';

/**
 * Starts a worker whose heap has `mb` MiB semi-spaces. V8 reads the flag when the thread creates its
 * heap, after `new Worker` has returned; it is set back to the process's own value once the thread is
 * online (or has failed to start), so only this thread's heap sees it. The main thread's heap, created
 * at start-up, never reads it again.
 */
export function withSemiSpace(mb: number, start: () => Worker): Worker {
  setFlagsFromString(`--max-semi-space-size=${mb}`);
  const worker = start();
  const restore = () => setFlagsFromString(processSemiSpaceFlag());
  worker.once('online', restore).once('error', restore).once('exit', restore);
  return worker;
}

/** The semi-space flag node was started with (command line or NODE_OPTIONS); 0 is V8's default. */
function processSemiSpaceFlag(): string {
  const flags = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  return flags.findLast((f) => /^--max[-_]semi[-_]space[-_]size=\d+$/.test(f)) ?? '--max-semi-space-size=0';
}
