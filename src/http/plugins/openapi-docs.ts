/**
 * The OpenAPI document (built from the routes as they are registered: src/http/openapi.ts, and
 * completed when the application is ready) and its browsable form under /docs. Registered before any
 * route. The document only describes the routes: it never changes how they validate or serialise.
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import fp from 'fastify-plugin';
import { addRoute, createOpenApiDocument, finishOpenApiDocument } from '../openapi.js';

export const openapiDocs = fp<{ version: string }>(async (app, { version }) => {
  const openapi = createOpenApiDocument(version);
  app.addHook('onRoute', (route) => addRoute(openapi, route));
  app.addHook('onReady', async () => finishOpenApiDocument(openapi));
  await app.register(swagger, { mode: 'static', specification: { document: openapi as never } });
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    // the UI's own policy (hashes of its inline scripts), but never framed, and no upgrade to https
    // that a plain-HTTP development gateway could not answer
    staticCSP: true,
    transformStaticCSP: (csp) => csp.replace("frame-ancestors 'self'", "frame-ancestors 'none'").replace(/\s*upgrade-insecure-requests;?/, ''),
  });
}, { name: 'openapi-docs', fastify: '5.x' });
