/**
 * When each step of a /v1 request ended, in milliseconds since the request reached the auth layer:
 * what a slow request's log line shows (auth.slowRequestMs), so its time can be put on a step — the
 * token check (on the thread pool), the handler, the admission (replay and rate check, alongside a
 * GET's handler) and the audit row's commit — rather than guessed.
 */
export interface RequestMarks {
  /** the token's signature and claims checked */
  verified?: number;
  /** the admission committed */
  admitted?: number;
  /** the handler's answer serialised, at the auth layer's last hook */
  answered?: number;
  /** the audit row committed */
  audited?: number;
}

/** Milliseconds since `startedAt` (process.hrtime.bigint()), to 0.1 ms. */
export function msSince(startedAt: bigint): number {
  return Math.round(Number(process.hrtime.bigint() - startedAt) / 1e5) / 10;
}
