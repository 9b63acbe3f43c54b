/**
 * How long a console sign-in must wait after failures (pure). The first `freeAttempts` failures cost
 * nothing; after that each attempt must wait `firstDelaySeconds` (1 s by default) after the last
 * failure, doubling with each further failure, at most `maxDelaySeconds`.
 */
export interface SignInThrottleConfig {
  windowMinutes: number;
  freeAttempts: number;
  firstDelaySeconds: number;
  maxDelaySeconds: number;
  lockoutAlertAfter: number;
}

/** The delay owed after `failures` failures (0 while they are within the free attempts). */
export function delayAfterFailures(failures: number, cfg: SignInThrottleConfig): number {
  if (failures < cfg.freeAttempts) return 0;
  const doublings = failures - cfg.freeAttempts;
  return doublings >= 30 ? cfg.maxDelaySeconds : Math.min(cfg.maxDelaySeconds, cfg.firstDelaySeconds * 2 ** doublings);
}

/** Whole seconds still to wait before another attempt on a counter, 0 when one may be made now. */
export function secondsToWait(counter: { failures: number; lastFailure: Date | null }, now: Date, cfg: SignInThrottleConfig): number {
  const delay = delayAfterFailures(counter.failures, cfg);
  if (delay === 0 || !counter.lastFailure) return 0;
  const remainingMs = counter.lastFailure.getTime() + delay * 1000 - now.getTime();
  return remainingMs > 0 ? Math.ceil(remainingMs / 1000) : 0;
}
