/**
 * 异议 (objections):
 *   POST /v1/records/:recordId/objections   file one (scope objections:write; the subject itself or a partner)
 *   POST /v1/objections/:id/decision         upheld → corrected | revoked, rejected → active (scope objections:decide)
 *   GET  /v1/objections/:id                   one objection
 *   GET  /v1/objections?status=&recordId=&overdue=true   e.g. open objections past their deadline
 * The handlers are the shared case routes (./case-routes.ts); what is the objections' own is here.
 */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';
import { OBJECTIONS } from '../lifecycle/objections.js';
import { registerCaseRoutes } from './case-routes.js';
import { decisionBodySchema, filingBodySchema, reasonSchema } from './lifecycle-common.js';

export async function registerObjectionRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  await registerCaseRoutes(app, ctx, {
    kind: OBJECTIONS,
    path: 'objections',
    scopes: { file: 'objections:write', decide: 'objections:decide' },
    summaries: {
      file: 'File an objection / 提出异议（暂停公示和联合惩戒）',
      decide: 'Decide an objection / 异议处理决定',
      one: 'One objection / 异议详情',
      list: 'Objections, e.g. open ones past their deadline / 异议列表（含超期未处理）',
    },
    bodies: {
      file: filingBodySchema(['reason'], { reason: { ...reasonSchema } }),
      // An upheld objection says what becomes of the record; a rejected one has no outcome.
      decide: decisionBodySchema(['upheld', 'rejected'], {
        properties: { outcome: { enum: ['corrected', 'revoked'] } },
        rules: {
          if: { properties: { decision: { const: 'upheld' } } },
          then: { required: ['outcome'] },
          else: { not: { required: ['outcome'] } },
        },
      }),
    },
  });
}
