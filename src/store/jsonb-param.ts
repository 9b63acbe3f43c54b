/**
 * A large jsonb parameter (a batch's envelopes) sent as bytes instead of as a JavaScript string.
 *
 * Why: V8's JSON.stringify returns a long text as a chain of pieces. pg measures every text parameter
 * before it sends it, which makes V8 copy the chain into one flat string, and that copy stays on the
 * JavaScript heap — held by the query's values — until the statement ends: for a batch of 500
 * envelopes about 1.5 MB (two bytes a character once a name is in Chinese), four batches in flight.
 * Every young-generation collection meanwhile found it alive and promoted it to the old generation
 * (bench:ingest, 40,000 records, --trace-gc-nvp: 106 MB promoted by the main thread's scavenges,
 * 33 MB as bytes). As bytes it lives outside the heap.
 *
 * pg sends a Buffer parameter in PostgreSQL's binary format; jsonb's binary form is a version byte
 * (1) followed by the JSON text (jsonb_recv). The statement's `$n::jsonb` stays as it was.
 */
const JSONB_BINARY_VERSION = 1;

export function jsonbParam(value: readonly unknown[] | Record<string, unknown>): Buffer {
  const text = JSON.stringify(value);
  const bytes = Buffer.allocUnsafe(1 + Buffer.byteLength(text));
  bytes[0] = JSONB_BINARY_VERSION;
  bytes.write(text, 1);
  return bytes;
}
