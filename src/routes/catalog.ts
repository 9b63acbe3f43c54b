/** GET /v1/catalog and GET /v1/schemas/:name — the data catalogue and its JSON Schemas. */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';
import { CATEGORIES } from '../domain/catalogue.js';
import { GatewayError } from '../errors.js';

export async function registerCatalogRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  app.get('/catalog', { config: { scope: ['records:read', 'records:write'] }, schema: { summary: 'Data catalogue / 数据目录' } }, async () => ({
    categories: CATEGORIES.map((c) => ({ ...c, schemaUrl: `/v1/schemas/${c.schema}` })),
    schemas: ctx.validator.schemaNames().map((name) => ({ name, url: `/v1/schemas/${name}` })),
  }));

  app.get<{ Params: { '*': string } }>('/schemas/*', { config: { scope: ['records:read', 'records:write'] }, schema: { summary: 'One JSON Schema / 数据规范' } }, async (request, reply) => {
    const name = request.params['*'].replace(/\.schema\.json$|\.json$/, '');
    const schema = ctx.validator.schema(name);
    if (!schema) {
      throw new GatewayError('GW_SCHEMA_NOT_FOUND', {
        zh: `没有名为“${name}”的数据规范；可用：${ctx.validator.schemaNames().join('、')}`,
        en: `no schema named "${name}"; available: ${ctx.validator.schemaNames().join(', ')}`,
      });
    }
    return reply.type('application/schema+json; charset=utf-8').send(schema);
  });
}
