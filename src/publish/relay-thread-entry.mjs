// The relay thread's entry point when the gateway runs from its TypeScript sources (the compiled build
// starts relay-worker.js directly): tsx is loaded in this thread too, whether the
// process was started by the tsx CLI, with `--import tsx/esm`, or by a test runner.
import { register } from 'tsx/esm/api';

register();
await import('./relay-worker.ts');
