/**
 * A worker thread's heap, sized apart from the main thread's: V8 sizes a thread's heap from the
 * process's flags when the thread starts (`--max-semi-space-size` even overrides a Worker's
 * resourceLimits), so a thread gets sizes of its own by setting those flags for its start only.
 */
import { setFlagsFromString } from 'node:v8';
import type { Worker } from 'node:worker_threads';

export interface ThreadHeap {
  /** the young generation's semi-spaces, MiB */
  semiSpaceMb: number;
  /**
   * the old generation's initial size, MiB: V8 starts no full GC before the old generation reaches it,
   * and never sets the next start below it (0: V8's own, from what survived the last full GC)
   */
  initialOldSpaceMb: number;
}

/**
 * Starts a worker whose heap has the sizes of `heap`. V8 reads the flags when the thread creates its
 * heap, after `new Worker` has returned; they are set back to the process's own values once the thread
 * is online (or has failed to start), so only this thread's heap sees them. The main thread's heap,
 * created at start-up, never reads them again.
 */
export function withThreadHeap(heap: ThreadHeap, start: () => Worker): Worker {
  setFlagsFromString(`--max-semi-space-size=${heap.semiSpaceMb}`);
  setFlagsFromString(`--initial-old-space-size=${heap.initialOldSpaceMb}`);
  const worker = start();
  const restore = () => {
    setFlagsFromString(processFlag('max-semi-space-size'));
    setFlagsFromString(processFlag('initial-old-space-size'));
  };
  worker.once('online', restore).once('error', restore).once('exit', restore);
  return worker;
}

/** The flag `name` as node was started with it (command line or NODE_OPTIONS); 0, V8's default, when it was not. */
function processFlag(name: string): string {
  const flags = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  const pattern = new RegExp(`^--${name.replaceAll('-', '[-_]')}=\\d+$`);
  return flags.findLast((f) => pattern.test(f)) ?? `--${name}=0`;
}
