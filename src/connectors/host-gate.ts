/**
 * Politeness towards one source host: at most `concurrency` requests in flight and at most
 * `ratePerSecond` request starts per second (a token bucket holding one second's worth of tokens).
 */
export class HostGate {
  private inFlight = 0;
  private readonly waiting: Array<() => void> = [];
  private tokens: number;
  private refilledAt: number;
  /** the highest number of requests that were in flight at once (observable in tests) */
  peakInFlight = 0;

  constructor(
    private readonly concurrency: number,
    private readonly ratePerSecond: number,
    private readonly now: () => number = Date.now,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {
    this.tokens = Math.max(1, ratePerSecond);
    this.refilledAt = now();
  }

  /** Runs fn once a concurrency slot and a rate token are free. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    await this.acquireSlot();
    try {
      await this.takeToken();
      return await fn();
    } finally {
      this.releaseSlot();
    }
  }

  private async acquireSlot(): Promise<void> {
    if (this.inFlight < this.concurrency) {
      this.inFlight++;
    } else {
      // the releasing request hands its slot over directly, so inFlight never exceeds the cap
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    this.peakInFlight = Math.max(this.peakInFlight, this.inFlight);
  }

  private releaseSlot(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.inFlight--;
  }

  private async takeToken(): Promise<void> {
    for (;;) {
      const t = this.now();
      const capacity = Math.max(1, this.ratePerSecond);
      this.tokens = Math.min(capacity, this.tokens + ((t - this.refilledAt) / 1000) * this.ratePerSecond);
      this.refilledAt = t;
      if (this.tokens >= 1) {
        this.tokens -= 1;
        return;
      }
      await this.sleep(Math.ceil(((1 - this.tokens) / this.ratePerSecond) * 1000));
    }
  }
}
