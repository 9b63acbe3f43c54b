/**
 * A gateway in its own OS process, for tests that kill it with SIGKILL or check its graceful
 * shutdown: from the TypeScript sources (`node --import tsx/esm src/server.ts`), through the
 * development entry point (src/dev/start.ts: embedded PostgreSQL), or as built (`node dist/server.js`).
 * Config comes from a temporary YAML file plus env vars.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { REPO_ROOT } from '../config/load.js';
import { scratchDir } from './scratch-dir.js';

export interface ChildGateway {
  url: string;
  proc: ChildProcess;
  output: () => string;
  /** resolves with the exit code (or signal name) */
  exited: Promise<number | string>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

export function writeConfigFile(config: Record<string, unknown>): string {
  const dir = scratchDir('gw-config-');
  const file = join(dir, 'config.yaml');
  writeFileSync(file, stringify(config));
  return file;
}

/** How the child is started: see the file's opening comment. */
export type GatewayEntry = 'source' | 'dev' | 'dist';

const ENTRY_ARGS: Record<GatewayEntry, string[]> = {
  source: ['--import', 'tsx/esm', 'src/server.ts'],
  dev: ['--import', 'tsx/esm', 'src/dev/start.ts'],
  dist: ['dist/server.js'],
};

export interface SpawnOptions {
  /** null: the child runs its embedded PostgreSQL (config store.embedded; entry 'dev') */
  databaseUrl: string | null;
  /** default 'source', or 'dev' when databaseUrl is null */
  entry?: GatewayEntry;
  brokers: string[];
  configFile: string;
  port?: number;
  /** extra node flags, after GATEWAY_NODE_ARGS (e.g. --cpu-prof when profiling a benchmark); a later flag wins */
  nodeArgs?: string[];
  /** extra environment variables for the child */
  env?: Record<string, string>;
}

export async function spawnGateway(opts: SpawnOptions): Promise<ChildGateway> {
  const port = opts.port ?? (await freePort());
  let out = '';
  const nodeArgs = [...(process.env.GATEWAY_NODE_ARGS ?? '').split(' ').filter(Boolean), ...(opts.nodeArgs ?? [])];
  // the same runtime as `npm start` and the Dockerfile: MALLOC_ARENA_MAX here, the V8 flags below (README, "Node.js runtime")
  const env: NodeJS.ProcessEnv = {
    MALLOC_ARENA_MAX: '2',
    ...process.env,
    ...opts.env,
    DATABASE_URL: opts.databaseUrl ?? undefined,
    KAFKA_BROKERS: opts.brokers.join(','),
    PORT: String(port),
    HOST: '127.0.0.1',
    CONFIG_FILE: opts.configFile,
  };
  if (opts.databaseUrl === null) delete env.DATABASE_URL;
  const entry = opts.entry ?? (opts.databaseUrl === null ? 'dev' : 'source');
  const proc = spawn(process.execPath, ['--max-semi-space-size=64', '--heap-growing-percent=50', '--no-allocation-site-pretenuring', '--no-memory-reducer', ...nodeArgs, ...ENTRY_ARGS[entry]], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | string>((resolve) => proc.on('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`gateway exited during start-up:\n${out}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`gateway did not start within 60 s:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { url, proc, output: () => out, exited };
}
