/**
 * A MariaDB server for the tests and benchmarks of exchange-database sources (前置库): the one at
 * TEST_MARIADB_URL, else the machine's on 127.0.0.1:3306 (root, no password), else a private server of
 * the machine's MariaDB binaries (`mariadb-install-db`, `mariadbd`, from Debian's mariadb-server) with
 * its data under data/test-mariadb, on its own port and socket, stopped again by the caller. Like
 * the embedded PostgreSQL: a private server left running by a killed run is reused.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import mysql from 'mysql2/promise';
import { REPO_ROOT } from '../config/load.js';

export interface LocalMariaDb {
  /** mysql://root@host:port/ — an account that may create and drop databases */
  url: string;
  /** set when this call started the server */
  stop?: () => Promise<void>;
}

const MACHINE_URL = 'mysql://root@127.0.0.1:3306/';
const PRIVATE_PORT = 33_307;
const DATA_DIR = resolve(REPO_ROOT, 'data/test-mariadb');

export async function mariaDbAnswers(url: string): Promise<boolean> {
  try {
    const conn = await mysql.createConnection({ uri: url, connectTimeout: 3000 });
    await conn.query('SELECT 1');
    await conn.end();
    return true;
  } catch {
    return false;
  }
}

function binary(...names: string[]): string | null {
  for (const name of names) {
    for (const dir of ['/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin']) {
      if (existsSync(`${dir}/${name}`)) return `${dir}/${name}`;
    }
  }
  return null;
}

export async function findOrStartMariaDb(): Promise<LocalMariaDb> {
  const given = process.env.TEST_MARIADB_URL;
  if (given) return { url: given };
  if (await mariaDbAnswers(MACHINE_URL)) return { url: MACHINE_URL };
  return startPrivateMariaDb();
}

/** The private server: data under data/test-mariadb, 127.0.0.1:33307, root without a password. */
export async function startPrivateMariaDb(): Promise<LocalMariaDb> {
  const url = `mysql://root@127.0.0.1:${PRIVATE_PORT}/`;
  if (await mariaDbAnswers(url)) return { url };
  const server = binary('mariadbd', 'mysqld');
  const install = binary('mariadb-install-db', 'mysql_install_db');
  if (!server || !install) throw new Error('no MariaDB on 127.0.0.1:3306 and no mariadbd to start one (install mariadb-server, or set TEST_MARIADB_URL)');
  const asRoot = process.getuid?.() === 0 ? ['--user=root'] : [];
  if (!existsSync(resolve(DATA_DIR, 'mysql'))) {
    mkdirSync(DATA_DIR, { recursive: true });
    const done = spawnSync(install, ['--no-defaults', `--datadir=${DATA_DIR}`, '--auth-root-authentication-method=normal', '--skip-test-db', ...asRoot], { encoding: 'utf8' });
    if (done.status !== 0) throw new Error(`mariadb-install-db failed:\n${done.stdout}${done.stderr}`);
  }
  const pidFile = resolve(DATA_DIR, 'server.pid');
  const proc = spawn(server, [
    '--no-defaults', `--datadir=${DATA_DIR}`, `--port=${PRIVATE_PORT}`, '--bind-address=127.0.0.1',
    `--socket=${resolve(DATA_DIR, 'server.sock')}`, `--pid-file=${pidFile}`, '--skip-log-bin', ...asRoot,
  ], { stdio: 'ignore', detached: true });
  proc.unref();
  const deadline = Date.now() + 60_000;
  while (!(await mariaDbAnswers(url))) {
    if (proc.exitCode !== null) throw new Error(`mariadbd exited (${proc.exitCode}) while starting; see ${DATA_DIR}/*.err`);
    if (Date.now() > deadline) throw new Error('mariadbd did not answer within 60 s');
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    stop: async () => {
      const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) : proc.pid;
      if (pid) process.kill(pid, 'SIGTERM');
      for (let waited = 0; waited < 30_000 && (await mariaDbAnswers(url)); waited += 200) await new Promise((r) => setTimeout(r, 200));
    },
  };
}
