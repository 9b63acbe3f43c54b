/** Pieces shared by the objection and repair routes: evidence references, list queries, service deps. */
import type { AppContext } from '../context.js';
import type { LifecycleDeps } from '../lifecycle/deps.js';

/** References to evidence held elsewhere (document numbers, file ids, URLs), never the documents. */
export const evidenceSchema = {
  type: 'array',
  maxItems: 50,
  items: {
    type: 'object',
    additionalProperties: false,
    required: ['ref'],
    properties: {
      ref: { type: 'string', minLength: 1, maxLength: 500 },
      description: { type: 'string', maxLength: 1000 },
    },
  },
} as const;

/** Path parameters schema: one uuid named `name`. */
export const uuidParam = (name: string) => ({
  type: 'object',
  required: [name],
  properties: { [name]: { type: 'string', format: 'uuid' } },
});

export interface ListQuery {
  status?: string;
  recordId?: string;
  overdue?: boolean;
  limit: number;
}

export function listQuerySchema(statuses: string[]) {
  return {
    type: 'object',
    additionalProperties: false,
    properties: {
      status: { enum: statuses },
      recordId: { type: 'string', format: 'uuid' },
      overdue: { type: 'boolean', description: 'only open items past their deadline' },
      limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
    },
  };
}

export function lifecycleDeps(ctx: AppContext): LifecycleDeps {
  return { pool: ctx.pool, config: ctx.config };
}
