/**
 * Typed wrapper around scripts/kafka.sh: a real single-node KRaft Apache Kafka 3.9 broker whose
 * jars come from Maven Central and which runs on the machine's Java. Used by the development entry
 * point (src/dev/start.ts, when kafka.startLocalBroker is set: no external Kafka configured), by the
 * tests' global setup, the demo and the benchmarks; the gateway's runtime never loads it.
 *
 * The script is idempotent and flock-guarded: starting when a broker already answers on
 * 127.0.0.1:port reuses it (startedByUs = false), and concurrent starts end with one broker.
 * The broker runs detached (its own session) and outlives this process; stopLocalBroker stops it.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface LocalBrokerOptions {
  /** Client (PLAINTEXT) port on 127.0.0.1. Default: $LOCAL_KAFKA_PORT or 19092. */
  port?: number;
  /** KRaft controller port on 127.0.0.1. Default: $LOCAL_KAFKA_CONTROLLER_PORT or 19093. */
  controllerPort?: number;
  /** Data/log directory. Default: $LOCAL_KAFKA_DIR or <repo>/data/kafka. */
  dir?: string;
}

export class LocalBrokerError extends Error {
  constructor(
    message: string,
    readonly exitCode: number | string | null,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(message);
    this.name = 'LocalBrokerError';
  }
}

/** First fetch (Maven Central) + format + a 120 s readiness wait all fit well inside this. */
const START_TIMEOUT_MS = 20 * 60_000;
/** The script waits up to 60 s for SIGTERM, then SIGKILLs; it may also wait for a start's lock. */
const STOP_TIMEOUT_MS = 5 * 60_000;
const STATUS_TIMEOUT_MS = 60_000;

/** Walks up from this module (src/dev or dist/dev) to the directory holding scripts/kafka.sh. */
function findRepoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'scripts', 'kafka.sh'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) {
      throw new Error(`scripts/kafka.sh not found above ${fileURLToPath(import.meta.url)}`);
    }
    dir = parent;
  }
}


function envFor(opts: LocalBrokerOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (opts.port !== undefined) env.LOCAL_KAFKA_PORT = String(opts.port);
  if (opts.controllerPort !== undefined) env.LOCAL_KAFKA_CONTROLLER_PORT = String(opts.controllerPort);
  if (opts.dir !== undefined) env.LOCAL_KAFKA_DIR = resolve(opts.dir);
  return env;
}

function clientPort(opts: LocalBrokerOptions): number {
  if (opts.port !== undefined) return opts.port;
  const fromEnv = Number(process.env.LOCAL_KAFKA_PORT);
  return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : 19092;
}

interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `bash scripts/kafka.sh <command>`; resolves with the exit code, rejects only if bash could not run or timed out. */
function runScript(command: string, opts: LocalBrokerOptions, timeoutMs: number): Promise<RunResult> {
  const root = findRepoRoot();
  return new Promise((resolvePromise, reject) => {
    execFile(
      'bash',
      [join(root, 'scripts', 'kafka.sh'), command],
      { cwd: root, env: envFor(opts), timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (!error) {
          resolvePromise({ code: 0, stdout, stderr });
          return;
        }
        const code = (error as NodeJS.ErrnoException & { code?: unknown }).code;
        if (typeof code === 'number' && !error.killed) {
          resolvePromise({ code, stdout, stderr });
          return;
        }
        const why = error.killed ? `timed out after ${timeoutMs} ms` : error.message;
        reject(
          new LocalBrokerError(
            `bash scripts/kafka.sh ${command} failed: ${why}\n${joinOutput(stdout, stderr)}`,
            typeof code === 'number' || typeof code === 'string' ? code : null,
            stdout,
            stderr,
          ),
        );
      },
    );
  });
}

function joinOutput(stdout: string, stderr: string): string {
  return [stdout.trim() && `--- stdout ---\n${stdout.trim()}`, stderr.trim() && `--- stderr ---\n${stderr.trim()}`]
    .filter(Boolean)
    .join('\n');
}

function fail(command: string, r: RunResult): never {
  throw new LocalBrokerError(
    `bash scripts/kafka.sh ${command} exited with code ${r.code}\n${joinOutput(r.stdout, r.stderr)}`,
    r.code,
    r.stdout,
    r.stderr,
  );
}

/**
 * Ensures a broker answers on 127.0.0.1:port (fetching jars and formatting storage the first time).
 * `startedByUs` is false when an already running broker was reused.
 */
export async function startLocalBroker(
  opts: LocalBrokerOptions = {},
): Promise<{ brokers: string[]; startedByUs: boolean }> {
  const r = await runScript('start', opts, START_TIMEOUT_MS);
  if (r.code !== 0) fail('start', r);
  const startedByUs = !/\breusing\b/.test(r.stdout);
  return { brokers: [`127.0.0.1:${clientPort(opts)}`], startedByUs };
}

/** Stops the broker recorded in the data dir's broker.pid (data is kept). No-op if not running. */
export async function stopLocalBroker(opts: LocalBrokerOptions = {}): Promise<void> {
  const r = await runScript('stop', opts, STOP_TIMEOUT_MS);
  if (r.code !== 0) fail('stop', r);
}

/** True when something answers Kafka requests on 127.0.0.1:port. */
export async function isLocalBrokerRunning(opts: LocalBrokerOptions = {}): Promise<boolean> {
  const r = await runScript('status', opts, STATUS_TIMEOUT_MS);
  if (r.code === 0) return true;
  if (r.code === 1) return false;
  return fail('status', r);
}
