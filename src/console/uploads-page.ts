/**
 * The console's upload page (/console/uploads): an operator uploads a department's filled template or
 * 双公示 file on its behalf, follows the progress and downloads the feedback file. The page and its
 * script are served with the console's headers; its API (/console/api/uploads…) sits in the console's
 * operator scope (session and CSRF checked there) and takes the file the way POST /v1/uploads does
 * (src/uploads/take-upload.ts), as operator:<username>, with no grant limits.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';
import { CATEGORIES, isCategoryId } from '../domain/catalogue.js';
import { GatewayError } from '../errors.js';
import { getUpload, listUploads } from '../store/uploads-repo.js';
import { addUploadParsers, takeUpload, uploadFeedback } from '../uploads/take-upload.js';

const ASSETS = join(dirname(fileURLToPath(import.meta.url)), 'assets');

const PAGE_HEADERS = {
  'content-security-policy': "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'cache-control': 'no-store',
};

/** GET /console/uploads and its script. */
export function registerUploadPage(app: FastifyInstance): void {
  const html = readFileSync(join(ASSETS, 'uploads.html'), 'utf8');
  const js = readFileSync(join(ASSETS, 'uploads.js'), 'utf8');
  app.get('/console/uploads', { schema: { hide: true } }, async (_request, reply) => reply.headers(PAGE_HEADERS).type('text/html; charset=utf-8').send(html));
  app.get('/console/uploads.js', { schema: { hide: true } }, async (_request, reply) => reply.headers(PAGE_HEADERS).type('text/javascript; charset=utf-8').send(js));
}

const uploadAnswer = ({ partner, lastRow: _lastRow, ...rest }: Awaited<ReturnType<typeof listUploads>>[number]) => ({ ...rest, actor: partner });

/** The upload API, registered in the console's operator scope. */
export function registerUploadApi(operator: FastifyInstance, ctx: AppContext): void {
  const limits = ctx.config.uploads;
  operator.get('/console/api/uploads', { schema: { hide: true } }, async () => ({
    categories: CATEGORIES.map((c) => ({ id: c.id, nameZh: c.nameZh })),
    maxBytes: limits.maxBytes,
    maxRows: limits.maxRows,
    uploads: (await listUploads(ctx.pool, 20)).map(uploadAnswer),
  }));
  operator.get<{ Params: { id: string } }>('/console/api/uploads/:id', {
    schema: { hide: true, params: { type: 'object', required: ['id'], properties: { id: { type: 'string', format: 'uuid' } } } },
  }, async (request) => {
    const upload = await getUpload(ctx.pool, request.params.id, null);
    if (!upload) throw new GatewayError('GW_UPLOAD_NOT_FOUND');
    return uploadAnswer(upload);
  });
  operator.get<{ Params: { id: string } }>('/console/api/uploads/:id/feedback', {
    schema: { hide: true, params: { type: 'object', required: ['id'], properties: { id: { type: 'string', format: 'uuid' } } } },
  }, async (request, reply) => {
    const upload = await getUpload(ctx.pool, request.params.id, null);
    if (!upload) throw new GatewayError('GW_UPLOAD_NOT_FOUND');
    const { body, type, disposition } = await uploadFeedback(ctx, upload);
    return reply.type(type).header('content-disposition', disposition).send(body);
  });
  void operator.register(async (scope) => {
    addUploadParsers(scope, limits.maxBytes);
    scope.post<{ Querystring: { category: string; sourceSystem: string; fileName?: string } }>('/console/api/uploads', {
      bodyLimit: limits.maxBytes,
      schema: {
        hide: true,
        querystring: {
          type: 'object', additionalProperties: false, required: ['category', 'sourceSystem'],
          properties: {
            category: { type: 'string', maxLength: 63 },
            sourceSystem: { type: 'string', pattern: '^[a-z0-9][a-z0-9._-]{1,63}$' },
            fileName: { type: 'string', maxLength: 200 },
          },
        },
      },
    }, async (request, reply) => {
      const { category, sourceSystem, fileName } = request.query;
      if (!isCategoryId(category)) throw new GatewayError('GW_SCHEMA_NOT_FOUND', { zh: `没有名为“${category}”的类别`, en: `no category named "${category}"` });
      const progress = await takeUpload(ctx, {
        bytes: request.body, contentType: request.headers['content-type'], category, sourceSystem,
        actor: `operator:${request.operator!.username}`, grant: null, fileName: fileName ?? null,
      });
      return reply.code(202).send(uploadAnswer(progress));
    });
  });
}
