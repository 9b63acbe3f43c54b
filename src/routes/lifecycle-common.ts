/**
 * Pieces shared by the objection and repair routes (./case-routes.ts and each kind's file): request
 * body schemas, list queries, the services' deps and caller, and the masked answer.
 */
import type { FastifyRequest } from 'fastify';
import { touchSubjects } from '../auth/partner-auth.js';
import { actorOf, mayReadPii, type AppContext } from '../context.js';
import { maskEnvelope, type RecordEnvelope } from '../domain/record.js';
import type { Caller, LifecycleDeps } from '../lifecycle/deps.js';

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

/** The free text of a decision, and of an objection, is required and bounded. Spread it: each schema gets its own copy. */
export const reasonSchema = { type: 'string', minLength: 1, maxLength: 2000 } as const;

/** A filing body: the kind's own members, then the evidence every case may carry (none by default). */
export function filingBodySchema(required: string[], properties: Record<string, object>) {
  return {
    type: 'object',
    additionalProperties: false,
    required,
    properties: { ...properties, evidence: { ...evidenceSchema, default: [] } },
  };
}

/**
 * A decision body: the decision, the kind's own members, the reason; and the kind's own rules across
 * members (JSON Schema if/then/else). The members keep the order the API has always listed them in.
 */
export function decisionBodySchema(decisions: string[], own: { properties?: Record<string, object>; rules?: Record<string, object> } = {}) {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['decision', 'reason'],
    properties: { decision: { enum: decisions }, ...own.properties, reason: { ...reasonSchema } },
    ...own.rules,
  };
}

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
  return { pool: ctx.pool, config: ctx.config, outbox: ctx.outbox };
}

/** Who is acting: the partner's id for the version history, and the partner (if any) for the case file. */
export function callerOf(request: FastifyRequest): Caller {
  const { principal } = request;
  return { actor: actorOf(principal), partnerId: principal?.partnerId ?? null, grant: principal };
}

/**
 * After a lifecycle change: the subject goes into the audit row, and the answer is masked unless the
 * caller may read personal data.
 */
export function lifecycleAnswer<T extends { record: RecordEnvelope }>(ctx: AppContext, request: FastifyRequest, result: T): T {
  if (result.record.subject.uscc) touchSubjects(request, [result.record.subject.uscc]);
  return mayReadPii(request.principal) ? result : maskEnvelope(result);
}
