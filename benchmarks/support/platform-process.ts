/**
 * bench:deliver's test platforms, each in a process of its own, so the benchmark's peak RSS is the
 * gateway's: a test platform keeps every entry it took (for the tests that look at them), which grew
 * the benchmark's one process with the number of events.
 *
 * Run as a child (platformProcess): argv[2] is the way, argv[3] its options as JSON. It answers
 * 'applied' with how many events it took and 'url' with the service platform's address, and stops on
 * 'stop'.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DatabasePlatform, type DatabasePlatformOptions } from '../../src/dev/database-platform.js';
import { FilePlatform, type FilePlatformOptions } from '../../src/dev/file-platform.js';
import { ServicePlatform, type ServicePlatformOptions } from '../../src/dev/service-platform.js';

type Way = 'file' | 'service' | 'database';
type Request = 'applied' | 'url' | 'stop';

export interface PlatformProcess {
  ask(request: 'applied'): Promise<number>;
  ask(request: 'url'): Promise<string>;
  stop(): Promise<void>;
}

/** Starts the test platform of `way` in a child process; resolves once it runs (tables made, intake listening). */
export async function platformProcess(way: 'file', options: FilePlatformOptions): Promise<PlatformProcess>;
export async function platformProcess(way: 'service', options: ServicePlatformOptions): Promise<PlatformProcess>;
export async function platformProcess(way: 'database', options: DatabasePlatformOptions): Promise<PlatformProcess>;
export async function platformProcess(way: Way, options: object): Promise<PlatformProcess> {
  const child = fork(fileURLToPath(import.meta.url), [way, JSON.stringify(options)], { execArgv: process.execArgv, stdio: 'inherit' });
  const answers: Array<(value: unknown) => void> = [];
  child.on('message', (m: { answer: unknown }) => answers.shift()?.(m.answer));
  const ask = (request: Request) => new Promise<unknown>((resolve, reject) => {
    answers.push(resolve);
    child.send(request, (err) => err && reject(err));
  });
  await waitFor(child, 'message'); // 'ready'
  return {
    ask: ask as PlatformProcess['ask'],
    stop: async () => {
      const exited = waitFor(child, 'exit');
      await ask('stop').catch(() => undefined);
      await exited;
    },
  };
}

function waitFor(child: ChildProcess, event: 'message' | 'exit'): Promise<void> {
  return new Promise((resolve, reject) => {
    child.once(event, () => resolve());
    child.once('error', reject);
  });
}

async function runChild(way: Way, options: unknown): Promise<void> {
  let applied: () => number;
  let url = '';
  let stop: () => Promise<void>;
  if (way === 'file') {
    const platform = new FilePlatform(options as FilePlatformOptions);
    platform.start();
    applied = () => platform.applied.size;
    stop = () => platform.stop();
  } else if (way === 'service') {
    const platform = new ServicePlatform(options as ServicePlatformOptions);
    await platform.start();
    url = platform.url;
    applied = () => platform.applied.size;
    stop = () => platform.stop();
  } else {
    const platform = new DatabasePlatform(options as DatabasePlatformOptions);
    await platform.createTables();
    platform.start();
    applied = () => platform.applied.size;
    stop = () => platform.stop();
  }
  process.on('message', (request: Request) => {
    if (request === 'applied') process.send!({ answer: applied() });
    else if (request === 'url') process.send!({ answer: url });
    else void stop().finally(() => process.send!({ answer: null }, () => process.exit(0)));
  });
  process.send!({ answer: 'ready' });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  runChild(process.argv[2] as Way, JSON.parse(process.argv[3] ?? '{}')).catch((err: unknown) => {
    process.stderr.write(`platform-process: ${(err as Error).stack ?? err}\n`);
    process.exit(1);
  });
}
