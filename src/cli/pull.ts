/**
 * npm run pull -- <name>: runs one configured connector once from the command line (even when it is
 * disabled for scheduling), waits for its events to reach the broker, and prints the run. Uses the
 * same config as the gateway (config/default.yaml, CONFIG_FILE, env); listens on no fixed port and
 * schedules nothing. Exit code 0 when the run succeeded, 1 otherwise, 2 on a usage error.
 */
import { loadConfig } from '../config/load.js';
import { waitForOutboxDrained } from '../outbox/outbox.js';
import { startGateway } from '../server.js';

async function main(): Promise<number> {
  const name = process.argv[2];
  const base = loadConfig();
  if (!name || !base.connectors.instances[name]) {
    process.stderr.write(`usage: npm run pull -- <name>; configured: ${Object.keys(base.connectors.instances).join(', ')}\n`);
    return 2;
  }
  const instances = Object.fromEntries(Object.entries(base.connectors.instances).map(([n, i]) => [n, { ...i, schedule: null }]));
  const config = { ...base, server: { ...base.server, port: 0 }, connectors: { ...base.connectors, instances } };
  const gw = await startGateway(config);
  try {
    const started = await gw.ctx.connectors!.start(name, 'cli', { allowDisabled: true });
    if (!started.started) {
      process.stderr.write(`pull: ${name} not started: ${started.reason}\n`);
      return 1;
    }
    const run = await started.done;
    const backlog = await waitForOutboxDrained(gw.ctx.pool, 120_000);
    process.stdout.write(`${JSON.stringify({ ...run, outboxBacklog: backlog }, null, 2)}\n`);
    return run.state === 'succeeded' ? 0 : 1;
  } finally {
    await gw.close();
  }
}

main().then((code) => process.exit(code), (err) => {
  process.stderr.write(`pull: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
