/**
 * The OpenAPI document (built from the routes as they are registered: src/http/openapi.ts) and its
 * browsable form under /docs. Registered before any route.
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import fp from 'fastify-plugin';
import { addRoute, createOpenApiDocument } from '../openapi.js';

export const openapiDocs = fp<{ version: string }>(async (app, { version }) => {
  const openapi = createOpenApiDocument(version);
  app.addHook('onRoute', (route) => addRoute(openapi, route));
  await app.register(swagger, { mode: 'static', specification: { document: openapi as never } });
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    // the UI's own policy (hashes of its inline scripts), but never framed, and no upgrade to https
    // that a plain-HTTP development gateway could not answer
    staticCSP: true,
    transformStaticCSP: (csp) => csp.replace("frame-ancestors 'self'", "frame-ancestors 'none'").replace(/\s*upgrade-insecure-requests;?/, ''),
  });
}, { name: 'openapi-docs', fastify: '5.x' });
