/**
 * Group commit's trigger: returns a function that, however often it is called during one event-loop
 * turn, runs `flush` once at the end of that turn — so the requests that reached a writer in the
 * same turn share one batch.
 */
export function oncePerTurn(flush: () => void): () => void {
  let pending = false;
  return () => {
    if (pending) return;
    pending = true;
    setImmediate(() => {
      pending = false;
      flush();
    });
  };
}
