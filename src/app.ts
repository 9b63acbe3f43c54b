/**
 * Builds the fastify application from an AppContext, as three scopes over shared plugins:
 *
 *   plugins (whole application)   json-body (strict JSON, route schemas), problems (security headers,
 *                                 problem+json errors and not-found, request metrics), openapi-docs
 *   public                        /healthz, /readyz, /metrics, /.well-known/jwks.json, /docs
 *   /v1 (src/routes/v1.ts)        the partner API, behind partner authentication registered there only
 *   /console (routes/console.ts)  the operator console, behind its own session and CSRF hooks
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { answerRefusedBeforeRouting, openAuthRuntime, type AuthRuntime } from './auth/partner-auth.js';
import type { AppContext } from './context.js';
import { GatewayError } from './errors.js';
import { asyncapiDocs } from './http/plugins/asyncapi-docs.js';
import { jsonBody } from './http/plugins/json-body.js';
import { openapiDocs } from './http/plugins/openapi-docs.js';
import { problems } from './http/plugins/problems.js';
import { sendProblem } from './http/problem.js';
import { setSecurityHeaders } from './http/security-headers.js';
import { registerConsoleRoutes } from './routes/console.js';
import { registerHealthRoutes } from './routes/health.js';
import { registerJwksRoutes } from './routes/jwks.js';
import { partnerApi } from './routes/v1.js';

export const VERSION = '0.1.0';

/** longest path parameter the router takes (a record id is 36 characters, a schema name under 100) */
const MAX_PARAM_LENGTH = 200;

function routerRefusal(err: Error & { code?: string }): GatewayError {
  if (err.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    return new GatewayError('GW_URL_TOO_LONG', { zh: `路径参数超过 ${MAX_PARAM_LENGTH} 个字符`, en: `a path parameter is longer than ${MAX_PARAM_LENGTH} characters` });
  }
  return new GatewayError('GW_REQUEST_INVALID', {
    zh: '请求路径不是合法的百分号编码 UTF-8', en: 'the request path is not valid percent-encoded UTF-8',
    errors: [{ pointer: '/path', rule: 'url.encoding', zh: '路径中的百分号编码无法解码', en: 'a percent-escape in the path cannot be decoded' }],
  });
}

function createServer(ctx: AppContext, auth: AuthRuntime | null): FastifyInstance {
  return Fastify({
    loggerInstance: ctx.log as FastifyBaseLogger,
    bodyLimit: ctx.config.server.bodyLimitBytes,
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: true,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // The router's own refusals (a path that is not valid percent-encoded UTF-8, a parameter over the
    // length limit) come before any scope or hook: they answer like every other refusal, problem+json
    // with the security headers, and a /v1 one signed and audited as the /v1 scope would have.
    frameworkErrors: (err, request, reply) => {
      void setSecurityHeaders(request.raw, reply.raw).then(() => {
        const refusal = routerRefusal(err);
        const isV1 = request.url === '/v1' || request.url.startsWith('/v1/');
        if (auth && isV1) return answerRefusedBeforeRouting(auth, request, reply, refusal);
        sendProblem(request, reply, refusal);
        return undefined;
      }).catch((e: unknown) => request.log.error({ err: e }, 'answering a refused request failed'));
    },
  });
}

export async function buildApp(ctx: AppContext): Promise<FastifyInstance> {
  const auth = await openAuthRuntime(ctx);
  const app = createServer(ctx, auth);
  if (auth) {
    app.decorate('partnerAuth', auth);
    app.addHook('onClose', async () => auth.close());
  }
  await app.register(jsonBody);
  await app.register(problems, { bodyLimitBytes: ctx.config.server.bodyLimitBytes, metrics: ctx.metrics });
  await app.register(openapiDocs, { version: VERSION });
  await app.register(asyncapiDocs, { version: VERSION, config: ctx.config });

  await registerHealthRoutes(app, ctx);
  if (auth) await registerJwksRoutes(app, auth.keys);
  await app.register(partnerApi, { prefix: '/v1', ctx, auth });
  await app.register(async (console) => registerConsoleRoutes(console, ctx));
  return app;
}
