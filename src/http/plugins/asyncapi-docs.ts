/**
 * The AsyncAPI 3.0 document of the Kafka topics the gateway publishes to, at GET /docs/asyncapi.json
 * (public, like /docs/json): built once from the configuration (destinations, alerts topic) and the
 * schema files as they are on disk when the gateway starts (src/outbox/asyncapi.ts).
 */
import fp from 'fastify-plugin';
import type { Config } from '../../config/load.js';
import { buildAsyncApiDocument } from '../../outbox/asyncapi.js';
import { loadSchemaFiles } from '../../validation/schema-files.js';

export const ASYNCAPI_PATH = '/docs/asyncapi.json';

export const asyncapiDocs = fp<{ version: string; config: Pick<Config, 'destinations' | 'monitoring'> }>(async (app, { version, config }) => {
  const body = JSON.stringify(buildAsyncApiDocument({ version, config, schemaFiles: loadSchemaFiles() }));
  app.get(ASYNCAPI_PATH, { schema: { hide: true } }, async (_request, reply) => reply.type('application/json; charset=utf-8').send(body));
}, { name: 'asyncapi-docs', fastify: '5.x' });
