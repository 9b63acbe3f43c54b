// The relay thread's entry point: TypeScript is loaded through tsx in this thread too, whether the
// process was started by the tsx CLI, with `--import tsx/esm`, or by a test runner.
import { register } from 'tsx/esm/api';

register();
await import('./relay-worker.ts');
