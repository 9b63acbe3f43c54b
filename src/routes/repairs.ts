/**
 * 信用修复 (credit repair):
 *   POST /v1/records/:recordId/repairs   request one (scope objections:write; a credit commitment reference
 *                                         is required; refused with the date before earliestRepairAt)
 *   POST /v1/repairs/:id/decision         granted → repaired (retracted everywhere), rejected → active
 *                                         (scope repairs:decide)
 *   GET  /v1/repairs/:id                  one request
 *   GET  /v1/repairs?status=&recordId=&overdue=true
 */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';
import { decideRepair, repairNotFound, requestRepair, type RepairDecision, type RepairInput } from '../lifecycle/repairs.js';
import { getRepair, listRepairs } from '../store/lifecycle-repo.js';
import { callerOf, evidenceSchema, lifecycleAnswer, lifecycleDeps, listQuerySchema, uuidParam, type ListQuery } from './lifecycle-common.js';

/** Granting repair belongs to the credit authority, not to the subject or partner asking for it. */
export async function registerRepairRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const deps = lifecycleDeps(ctx);

  app.post<{ Params: { recordId: string }; Body: RepairInput }>(
    '/records/:recordId/repairs',
    {
      config: { scope: 'objections:write' },
      schema: {
        summary: 'Request credit repair / 申请信用修复',
        params: uuidParam('recordId'),
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['commitmentRef'],
          properties: {
            commitmentRef: { type: 'string', minLength: 1, maxLength: 500, description: 'reference to the signed credit commitment (信用承诺书)' },
            reason: { type: 'string', maxLength: 2000 },
            evidence: { ...evidenceSchema, default: [] },
          },
        },
      },
    },
    async (request, reply) => {
      const result = await requestRepair(deps, request.params.recordId, request.body, callerOf(request));
      return reply.code(201).send(lifecycleAnswer(ctx, request, result));
    },
  );

  app.post<{ Params: { id: string }; Body: RepairDecision }>(
    '/repairs/:id/decision',
    {
      config: { scope: 'repairs:decide' },
      schema: {
        summary: 'Decide a repair request / 信用修复决定',
        params: uuidParam('id'),
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['decision', 'reason'],
          properties: {
            decision: { enum: ['granted', 'rejected'] },
            reason: { type: 'string', minLength: 1, maxLength: 2000 },
          },
        },
      },
    },
    async (request) => {
      const result = await decideRepair(deps, request.params.id, request.body, callerOf(request));
      return lifecycleAnswer(ctx, request, result);
    },
  );

  app.get<{ Params: { id: string } }>(
    '/repairs/:id',
    {
      config: { scope: ['objections:write', 'repairs:decide'] },
      schema: { summary: 'One repair request / 信用修复申请详情', params: uuidParam('id') },
    },
    async (request) => {
      const found = await getRepair(ctx.pool, request.params.id, new Date(), request.principal);
      if (!found) throw repairNotFound(request.params.id);
      return found;
    },
  );

  app.get<{ Querystring: ListQuery }>(
    '/repairs',
    {
      config: { scope: 'repairs:decide' },
      schema: { summary: 'Repair requests, e.g. pending past their deadline / 信用修复申请列表', querystring: listQuerySchema(['requested', 'granted', 'rejected', 'lapsed']) },
    },
    async (request) => {
      const items = await listRepairs(ctx.pool, request.query, request.principal, new Date());
      return { items, count: items.length };
    },
  );
}
