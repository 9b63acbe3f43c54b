/** GET /v1/connectors, GET /v1/connectors/:name/runs, POST /v1/connectors/:name/runs — connector (and upload) status and runs. */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';
import { GatewayError } from '../errors.js';
import { connectorStatuses } from '../connectors/status.js';
import { listRuns } from '../store/connectors-repo.js';
import { uploadsStatus } from '../uploads/status.js';

import type { Scope } from '../domain/scopes.js';

/** reading the connectors' state: operators (connectors:admin) and monitoring */
const READ_SCOPES: Scope[] = ['connectors:admin', 'monitoring:read'];

const nameParams = {
  type: 'object',
  required: ['name'],
  properties: { name: { type: 'string', pattern: '^[a-z][a-z0-9-]{0,62}$' } },
} as const;

export async function registerConnectorRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const service = () => {
    if (!ctx.connectors) throw new GatewayError('GW_INTERNAL', { zh: '采集器未启用', en: 'connectors are not running in this process' });
    return ctx.connectors;
  };
  const known = (name: string) => {
    const inst = service().instance(name);
    if (!inst) {
      throw new GatewayError('GW_CONNECTOR_NOT_FOUND', {
        zh: `没有名为“${name}”的采集器；已配置：${service().names().join('、')}`,
        en: `no connector named "${name}"; configured: ${service().names().join(', ')}`,
      });
    }
    return inst;
  };

  app.get('/connectors', { config: { scope: READ_SCOPES }, schema: { summary: 'Connectors and file uploads, and their state / 采集器与文件上传状态' } }, async () => ({
    connectors: await connectorStatuses(ctx.pool, service()),
    uploads: await uploadsStatus(ctx.pool),
  }));

  app.get<{ Params: { name: string }; Querystring: { limit: number } }>('/connectors/:name/runs', {
    config: { scope: READ_SCOPES },
    schema: {
      summary: 'Run history of a connector / 采集器运行记录',
      params: nameParams,
      querystring: { type: 'object', properties: { limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 } } },
    },
  }, async (request) => {
    known(request.params.name);
    return { runs: await listRuns(ctx.pool, request.params.name, request.query.limit) };
  });

  app.post<{ Params: { name: string } }>('/connectors/:name/runs', {
    config: { scope: 'connectors:admin' },
    schema: { summary: 'Start a connector run now / 立即运行采集器', params: nameParams },
  }, async (request, reply) => {
    const { name } = request.params;
    known(name);
    const result = await service().start(name, 'api');
    if (result.started) {
      result.done.catch((err: unknown) => ctx.log.error({ err, connector: name }, 'connector run crashed'));
      return reply.code(202).header('location', `/v1/connectors/${name}/runs`).send({ runId: result.runId, state: 'running' });
    }
    if (result.reason === 'disabled') {
      throw new GatewayError('GW_CONNECTOR_DISABLED', { zh: `采集器“${name}”未启用`, en: `connector "${name}" is disabled` });
    }
    throw new GatewayError('GW_CONNECTOR_BUSY', {
      zh: `采集器“${name}”正在${result.reason === 'running_here' ? '本进程' : '另一网关进程'}中运行`,
      en: `connector "${name}" is already running ${result.reason === 'running_here' ? 'in this process' : 'in another gateway process'}`,
    });
  });
}
