/** pino JSON logs; personal identity numbers anywhere in a log line are masked before it is written. */
import pino, { type Logger } from 'pino';
import { redactPersonalIds } from './domain/personal-id.js';

function redactDeep(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return value.length >= 18 ? redactPersonalIds(value) : value;
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return { type: value.name, message: redactPersonalIds(value.message), stack: value.stack && redactPersonalIds(value.stack) };
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = redactDeep(v, depth + 1);
  return out;
}

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'credit-gateway' },
      formatters: { log: (obj) => redactDeep(obj) as Record<string, unknown> },
      hooks: {
        logMethod(args, method) {
          method.apply(this, args.map((a) => (typeof a === 'string' ? redactPersonalIds(a) : a)) as Parameters<typeof method>);
        },
      },
    },
    destination,
  );
}
