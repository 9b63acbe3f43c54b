/** GET /.well-known/jwks.json — the gateway's public response-signing keys (open, no token). */
import type { FastifyInstance } from 'fastify';
import type { GatewayKeys } from '../auth/gateway-keys.js';

export async function registerJwksRoutes(app: FastifyInstance, keys: GatewayKeys): Promise<void> {
  app.get('/.well-known/jwks.json', { schema: { summary: 'Gateway response-signing keys / 网关应答签名公钥 (JWKS)' } }, async (_request, reply) =>
    reply.header('cache-control', 'public, max-age=300').type('application/jwk-set+json').send(keys.jwks()),
  );
}
