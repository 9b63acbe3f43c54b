/**
 * How the test platforms poll (the file drop's directory, the exchange tables): `poll` every `everyMs`,
 * never two at once, a failure kept in `errors` and the poll tried again at the next tick.
 */
export class PollLoop {
  readonly errors: string[] = [];
  private timer: NodeJS.Timeout | null = null;
  private busy: Promise<void> | null = null;

  constructor(private readonly poll: () => Promise<void>, private readonly everyMs: number) {}

  start(): void {
    this.timer = setInterval(() => {
      this.busy ??= this.poll()
        .catch((err: unknown) => void this.errors.push((err as Error).message))
        .finally(() => (this.busy = null));
    }, this.everyMs);
  }

  /** Stops the timer and waits for the poll in hand. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.busy;
  }
}
