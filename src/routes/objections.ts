/**
 * 异议 (objections):
 *   POST /v1/records/:recordId/objections   file one (scope objections:write; the subject itself or a partner)
 *   POST /v1/objections/:id/decision         upheld → corrected | revoked, rejected → active (scope objections:decide)
 *   GET  /v1/objections/:id                   one objection
 *   GET  /v1/objections?status=&recordId=&overdue=true   e.g. open objections past their deadline
 */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';
import { decideObjection, fileObjection, notFound, type ObjectionDecision, type ObjectionInput } from '../lifecycle/objections.js';
import { getObjection, listObjections } from '../store/lifecycle-repo.js';
import { callerOf, evidenceSchema, lifecycleAnswer, lifecycleDeps, listQuerySchema, uuidParam, type ListQuery } from './lifecycle-common.js';

/** Deciding objections belongs to the credit authority handling them, not to whoever may file one. */
export async function registerObjectionRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const deps = lifecycleDeps(ctx);

  app.post<{ Params: { recordId: string }; Body: ObjectionInput }>(
    '/records/:recordId/objections',
    {
      config: { scope: 'objections:write' },
      schema: {
        summary: 'File an objection / 提出异议（暂停公示和联合惩戒）',
        params: uuidParam('recordId'),
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['reason'],
          properties: {
            reason: { type: 'string', minLength: 1, maxLength: 2000 },
            evidence: { ...evidenceSchema, default: [] },
          },
        },
      },
    },
    async (request, reply) => {
      const result = await fileObjection(deps, request.params.recordId, request.body, callerOf(request));
      return reply.code(201).send(lifecycleAnswer(ctx, request, result));
    },
  );

  app.post<{ Params: { id: string }; Body: ObjectionDecision }>(
    '/objections/:id/decision',
    {
      config: { scope: 'objections:decide' },
      schema: {
        summary: 'Decide an objection / 异议处理决定',
        params: uuidParam('id'),
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['decision', 'reason'],
          properties: {
            decision: { enum: ['upheld', 'rejected'] },
            outcome: { enum: ['corrected', 'revoked'] },
            reason: { type: 'string', minLength: 1, maxLength: 2000 },
          },
          if: { properties: { decision: { const: 'upheld' } } },
          then: { required: ['outcome'] },
          else: { not: { required: ['outcome'] } },
        },
      },
    },
    async (request) => {
      const result = await decideObjection(deps, request.params.id, request.body, callerOf(request));
      return lifecycleAnswer(ctx, request, result);
    },
  );

  app.get<{ Params: { id: string } }>(
    '/objections/:id',
    {
      config: { scope: ['objections:write', 'objections:decide'] },
      schema: { summary: 'One objection / 异议详情', params: uuidParam('id') },
    },
    async (request) => {
      const found = await getObjection(ctx.pool, request.params.id, new Date(), request.principal);
      if (!found) throw notFound(request.params.id);
      return found;
    },
  );

  app.get<{ Querystring: ListQuery }>(
    '/objections',
    {
      config: { scope: 'objections:decide' },
      schema: { summary: 'Objections, e.g. open ones past their deadline / 异议列表（含超期未处理）', querystring: listQuerySchema(['open', 'upheld', 'rejected']) },
    },
    async (request) => {
      const items = await listObjections(ctx.pool, request.query, request.principal, new Date());
      return { items, count: items.length };
    },
  );
}
