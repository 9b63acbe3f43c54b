/**
 * The four routes of a lifecycle case kind (objections, repair requests), registered from its
 * definition: file one against a record, decide one, read one, list them. The kinds differ only in
 * what the definition says (paths, scopes, summaries, request bodies, list statuses); every handler
 * is the same, and runs the case workflow of src/lifecycle/case-workflow.ts.
 */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';
import type { Scope } from '../domain/scopes.js';
import { decideCase, fileCase, listCasesOf, readCase, type CaseDecision, type CaseInput, type CaseKind } from '../lifecycle/case-workflow.js';
import type { LifecycleDeps } from '../lifecycle/deps.js';
import type { CaseBase } from '../store/case-tables.js';
import { callerOf, lifecycleAnswer, lifecycleDeps, listQuerySchema, uuidParam, type ListQuery } from './lifecycle-common.js';

export interface CaseRoutes<K extends string, C extends CaseBase, I extends CaseInput, D extends CaseDecision<C['status']>> {
  kind: CaseKind<K, C, I, D>;
  /** The cases' path segment: POST /records/:recordId/<path>, POST /<path>/:id/decision, GET /<path>/:id, GET /<path>. */
  path: 'objections' | 'repairs';
  /**
   * Who files and who decides. Deciding belongs to the credit authority handling the cases, not to
   * whoever may file one; both may read a case, and only the deciders list them.
   */
  scopes: { file: Scope; decide: Scope };
  /** The OpenAPI summaries of the four routes. */
  summaries: { file: string; decide: string; one: string; list: string };
  /** The request body schemas of filing and deciding. */
  bodies: { file: object; decide: object };
}

/** What each route's registration needs; passed as one object, since every route needs all of it. */
type Parts<K extends string, C extends CaseBase, I extends CaseInput, D extends CaseDecision<C['status']>> = {
  app: FastifyInstance;
  ctx: AppContext;
  deps: LifecycleDeps;
  def: CaseRoutes<K, C, I, D>;
};

function registerFiling<K extends string, C extends CaseBase, I extends CaseInput, D extends CaseDecision<C['status']>>({ app, ctx, deps, def }: Parts<K, C, I, D>): void {
  app.post<{ Params: { recordId: string }; Body: I }>(
    `/records/:recordId/${def.path}`,
    { config: { scope: def.scopes.file }, schema: { summary: def.summaries.file, params: uuidParam('recordId'), body: def.bodies.file } },
    async (request, reply) => {
      const result = await fileCase(def.kind, deps, request.params.recordId, request.body as I, callerOf(request));
      return reply.code(201).send(lifecycleAnswer(ctx, request, result));
    },
  );
}

function registerDecision<K extends string, C extends CaseBase, I extends CaseInput, D extends CaseDecision<C['status']>>({ app, ctx, deps, def }: Parts<K, C, I, D>): void {
  app.post<{ Params: { id: string }; Body: D }>(
    `/${def.path}/:id/decision`,
    { config: { scope: def.scopes.decide }, schema: { summary: def.summaries.decide, params: uuidParam('id'), body: def.bodies.decide } },
    async (request) => {
      const result = await decideCase(def.kind, deps, request.params.id, request.body as D, callerOf(request));
      return lifecycleAnswer(ctx, request, result);
    },
  );
}

function registerReads<K extends string, C extends CaseBase, I extends CaseInput, D extends CaseDecision<C['status']>>({ app, deps, def }: Parts<K, C, I, D>): void {
  app.get<{ Params: { id: string } }>(
    `/${def.path}/:id`,
    { config: { scope: [def.scopes.file, def.scopes.decide] }, schema: { summary: def.summaries.one, params: uuidParam('id') } },
    async (request) => readCase(def.kind, deps, request.params.id, request.principal),
  );
  app.get<{ Querystring: ListQuery }>(
    `/${def.path}`,
    { config: { scope: def.scopes.decide }, schema: { summary: def.summaries.list, querystring: listQuerySchema([...def.kind.table.statuses]) } },
    async (request) => {
      const items = await listCasesOf(def.kind, deps, request.query, request.principal);
      return { items, count: items.length };
    },
  );
}

/** Registers the kind's routes in the order they have always been registered, which is the order the OpenAPI document lists them in. */
export async function registerCaseRoutes<K extends string, C extends CaseBase, I extends CaseInput, D extends CaseDecision<C['status']>>(
  app: FastifyInstance,
  ctx: AppContext,
  def: CaseRoutes<K, C, I, D>,
): Promise<void> {
  const parts = { app, ctx, deps: lifecycleDeps(ctx), def };
  registerFiling(parts);
  registerDecision(parts);
  registerReads(parts);
}
