/**
 * 信用修复 (credit repair):
 *   POST /v1/records/:recordId/repairs   request one (scope objections:write; a credit commitment reference
 *                                         is required; refused with the date before earliestRepairAt)
 *   POST /v1/repairs/:id/decision         granted → repaired (retracted everywhere), rejected → active
 *                                         (scope repairs:decide)
 *   GET  /v1/repairs/:id                  one request
 *   GET  /v1/repairs?status=&recordId=&overdue=true
 * The handlers are the shared case routes (./case-routes.ts); what is the repairs' own is here.
 */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';
import { REPAIRS } from '../lifecycle/repairs.js';
import { registerCaseRoutes } from './case-routes.js';
import { decisionBodySchema, filingBodySchema } from './lifecycle-common.js';

export async function registerRepairRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  await registerCaseRoutes(app, ctx, {
    kind: REPAIRS,
    path: 'repairs',
    // Partners request repairs under the scope they file objections with.
    scopes: { file: 'objections:write', decide: 'repairs:decide' },
    summaries: {
      file: 'Request credit repair / 申请信用修复',
      decide: 'Decide a repair request / 信用修复决定',
      one: 'One repair request / 信用修复申请详情',
      list: 'Repair requests, e.g. pending past their deadline / 信用修复申请列表',
    },
    bodies: {
      // The commitment is required; the reason is optional here, unlike an objection's.
      file: filingBodySchema(['commitmentRef'], {
        commitmentRef: { type: 'string', minLength: 1, maxLength: 500, description: 'reference to the signed credit commitment (信用承诺书)' },
        reason: { type: 'string', maxLength: 2000 },
      }),
      decide: decisionBodySchema(['granted', 'rejected']),
    },
  });
}
