/**
 * What every answer of the application gets: security headers, one problem+json error path (every
 * error, thrown or refused, becomes a GatewayError with its stable code and bilingual message),
 * problem+json for routes that do not exist, and the request metrics.
 */
import fp from 'fastify-plugin';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { GatewayError } from '../../errors.js';
import type { Metrics } from '../../metrics.js';
import { asGatewayError, sendProblem } from '../problem.js';
import { setSecurityHeaders } from '../security-headers.js';

export interface ProblemsOptions {
  bodyLimitBytes: number;
  metrics: Pick<Metrics, 'httpRequests' | 'httpDuration'>;
}

/**
 * fastify closes the connection after refusing a body as too large, without reading it. A client still
 * uploading then gets a TCP reset, and may lose the 413 with it. A body whose declared length is at
 * most four times the limit is read to its end and discarded instead (Node does that for a kept-alive
 * connection), so the client reads its answer; a longer or undeclared one still closes at once.
 */
function keepReadingOversizedBody(request: FastifyRequest, reply: FastifyReply, bodyLimit: number): void {
  const declared = Number(request.headers['content-length']);
  if (Number.isInteger(declared) && declared <= 4 * bodyLimit) reply.removeHeader('connection');
}

/** The not-found answer, for the root and for scopes with handlers of their own (src/routes/v1.ts). */
export function routeNotFound(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const path = request.url.split('?')[0];
  return sendProblem(request, reply, new GatewayError('GW_ROUTE_NOT_FOUND', {
    zh: `没有接口 ${request.method} ${path}`,
    en: `no endpoint ${request.method} ${path}`,
  }));
}

export const problems = fp<ProblemsOptions>(async (app, { bodyLimitBytes, metrics }) => {
  app.setErrorHandler((err, request, reply) => {
    const gwErr = asGatewayError(err as Error);
    if (gwErr.status >= 500) request.log.error({ err }, 'request failed');
    if (gwErr.code === 'GW_BODY_TOO_LARGE') keepReadingOversizedBody(request, reply, bodyLimitBytes);
    return sendProblem(request, reply, gwErr);
  });
  app.setNotFoundHandler(routeNotFound);

  app.addHook('onRequest', async (request, reply) => setSecurityHeaders(request.raw, reply.raw));

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.httpRequests.inc({ route, method: request.method, status: String(reply.statusCode) });
    metrics.httpDuration.observe({ route, method: request.method }, reply.elapsedTime / 1000);
  });
}, { name: 'problems', fastify: '5.x' });
