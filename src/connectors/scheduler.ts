/** node-cron schedules for the enabled connectors that have one, in the configured time zone (Asia/Shanghai). */
import cron, { type ScheduledTask } from 'node-cron';

export class ConnectorScheduler {
  private readonly tasks = new Map<string, ScheduledTask>();

  constructor(private readonly timeZone: string, private readonly fire: (name: string) => void) {}

  add(name: string, expression: string): void {
    if (!cron.validate(expression)) throw new Error(`connector ${name}: invalid cron expression "${expression}"`);
    // the runner refuses overlapping runs itself; noOverlap just avoids queueing a pointless attempt
    const task = cron.schedule(expression, () => this.fire(name), { timezone: this.timeZone, name: `connector:${name}`, noOverlap: true });
    this.tasks.set(name, task);
  }

  nextRun(name: string): Date | null {
    return this.tasks.get(name)?.getNextRun() ?? null;
  }

  async stop(): Promise<void> {
    await Promise.all([...this.tasks.values()].map(async (t) => { await t.stop(); await t.destroy(); }));
    this.tasks.clear();
  }
}
