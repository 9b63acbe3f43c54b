/**
 * File uploads (issue 18): POST /v1/uploads takes a department's file as the raw body — XLSX
 * (application/vnd.openxmlformats-officedocument.spreadsheetml.sheet) or CSV (text/csv, UTF-8 or
 * GB18030) — for the category named by `?category=`, under `?sourceSystem=` (default: the partner's
 * one source system). The file is checked whole (src/uploads/inspect.ts) and refused with nothing
 * stored, or kept and answered 202 at once; the background worker reads it. GET /v1/uploads/:id is its
 * progress, GET /v1/uploads/:id/feedback the department's file with the result of each row, and
 * GET /v1/uploads the partner's own uploads, newest first, a page at a time.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext, Principal } from '../context.js';
import { actorOf } from '../context.js';
import { CATEGORY_IDS, isCategoryId, type CategoryId } from '../domain/catalogue.js';
import { GatewayError } from '../errors.js';
import { getUpload, UPLOAD_STATES, uploadsBefore, type UploadProgress, type UploadState } from '../store/uploads-repo.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { addUploadParsers, takeUpload, uploadFeedback } from '../uploads/take-upload.js';

const SOURCE_SYSTEM = '^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$';

export function uploadAnswer(p: UploadProgress, prefix = '/v1') {
  const { partner: _partner, lastRow: _lastRow, ...rest } = p;
  return { ...rest, links: { self: `${prefix}/uploads/${p.id}`, feedback: `${prefix}/uploads/${p.id}/feedback` } };
}

/** The source system rows are stored under: the one asked for (it must be the partner's), else the partner's only one. */
function sourceSystemOf(principal: Principal | null, asked: string | undefined, category: string): string {
  if (!principal) return asked ?? `upload.${category}`;
  const own = [...principal.sourceSystems];
  const system = asked ?? (own.length === 1 ? own[0] : undefined);
  if (!system) {
    throw new GatewayError('GW_REQUEST_INVALID', {
      zh: `合作方登记了 ${own.length} 个来源系统，请用 ?sourceSystem= 指明本文件的来源系统`,
      en: `the partner has ${own.length} source systems registered; name this file's with ?sourceSystem=`,
      errors: [{ pointer: '/query/sourceSystem', rule: 'required', zh: '缺少 sourceSystem', en: 'sourceSystem is missing' }],
    });
  }
  if (!principal.sourceSystems.has(system)) {
    throw new GatewayError('GW_AUTH_SOURCE_NOT_OWNED', {
      errors: [{ pointer: '/query/sourceSystem', rule: 'auth.source_not_owned', zh: `来源系统“${system}”未登记给本合作方`, en: `source system "${system}" is not registered to this partner` }],
    });
  }
  return system;
}

function assertCategory(principal: Principal | null, category: string): void {
  if (!isCategoryId(category)) {
    throw new GatewayError('GW_SCHEMA_NOT_FOUND', {
      zh: `没有名为“${category}”的类别；可用：${CATEGORY_IDS.join('、')}`, en: `no category named "${category}"; available: ${CATEGORY_IDS.join(', ')}`,
    });
  }
  if (principal?.categories && !principal.categories.includes(category)) {
    throw new GatewayError('GW_AUTH_GRANT_MISSING', {
      errors: [{ pointer: '/query/category', rule: 'auth.category_not_granted', zh: `合作方无权写入类别“${category}”`, en: `the partner may not write category "${category}"` }],
    });
  }
}

export function fileNameOf(request: FastifyRequest, asked: string | undefined): string | null {
  const name = asked ?? /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(String(request.headers['content-disposition'] ?? ''))?.[1];
  if (!name) return null;
  try {
    return decodeURIComponent(name).slice(0, 200);
  } catch {
    return name.slice(0, 200);
  }
}

export async function registerUploadRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const limits = ctx.config.uploads;
  // a scope of their own: the file parsers never apply to another route
  await app.register(async (scope) => {
    addUploadParsers(scope, limits.maxBytes);
    scope.post<{ Querystring: { category: string; sourceSystem?: string; fileName?: string } }>('/uploads', {
      bodyLimit: limits.maxBytes,
      config: { scope: 'records:write' },
      schema: {
        summary: 'Upload a filled template or a 双公示 file / 上传填报文件（XLSX 或 CSV）',
        querystring: {
          type: 'object',
          additionalProperties: false,
          required: ['category'],
          properties: {
            category: { type: 'string', pattern: '^[a-z][a-z0-9_]{0,62}$', description: 'the category the file holds' },
            sourceSystem: { type: 'string', pattern: SOURCE_SYSTEM, description: 'record.source.system of its rows; default: the partner\'s only source system' },
            fileName: { type: 'string', maxLength: 200, description: 'the file\'s name (for the feedback file); else Content-Disposition\'s filename' },
          },
        },
      },
    }, async (request, reply) => {
      const { principal } = request;
      const { category } = request.query;
      assertCategory(principal, category);
      const sourceSystem = sourceSystemOf(principal, request.query.sourceSystem, category);
      const progress = await takeUpload(ctx, {
        bytes: request.body, contentType: request.headers['content-type'], category: category as CategoryId, sourceSystem,
        actor: actorOf(principal), fileName: fileNameOf(request, request.query.fileName),
        grant: principal ? { categories: principal.categories ? [...principal.categories] : null, regions: principal.regions ? [...principal.regions] : null } : null,
      });
      return reply.code(202).header('location', `/v1/uploads/${progress.id}`).send(uploadAnswer(progress));
    });
  });

  const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', format: 'uuid' } } } as const;
  const found = async (request: FastifyRequest<{ Params: { id: string } }>) => {
    const partner = request.principal ? actorOf(request.principal) : null;
    const upload = await getUpload(ctx.pool, request.params.id, partner);
    if (!upload) throw new GatewayError('GW_UPLOAD_NOT_FOUND', { zh: `上传 ${request.params.id} 不存在`, en: `upload ${request.params.id} does not exist` });
    return upload;
  };

  registerUploadList(app, ctx);

  app.get<{ Params: { id: string } }>('/uploads/:id', {
    config: { scope: 'records:write' },
    schema: { summary: 'Progress of an upload / 上传处理进度', params: idParams },
  }, async (request) => uploadAnswer(await found(request)));

  app.get<{ Params: { id: string } }>('/uploads/:id/feedback', {
    config: { scope: 'records:write' },
    schema: { summary: 'Feedback file of an upload / 上传回执文件（逐行结果）', params: idParams },
  }, async (request, reply) => {
    const { body, type, disposition } = await uploadFeedback(ctx, await found(request));
    return reply.type(type).header('content-disposition', disposition).send(body);
  });
}

/** GET /v1/uploads: the partner's own uploads, newest first, a page at a time. */
function registerUploadList(app: FastifyInstance, ctx: AppContext): void {
  app.get<{ Querystring: { state?: UploadState; cursor?: string; limit: number } }>('/uploads', {
    config: { scope: 'records:write' },
    schema: {
      summary: 'The partner\'s own uploads, newest first / 本合作方的上传，最新在前',
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: {
          state: { enum: [...UPLOAD_STATES] },
          cursor: { type: 'string', maxLength: 500 },
          limit: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
        },
      },
    },
  }, async (request) => {
    const { cursor, limit, state } = request.query;
    const filter = { state };
    const beforeSeq = cursor ? decodeCursor(cursor, filter) : 0;
    // a partner sees its own uploads only (with auth off, every upload)
    const partner = request.principal ? actorOf(request.principal) : null;
    const rows = await uploadsBefore(ctx.pool, { partner, state }, beforeSeq, limit + 1);
    const page = rows.slice(0, limit);
    const lastSeq = page.length ? page[page.length - 1]!.seq : beforeSeq;
    return { uploads: page.map(({ seq: _seq, ...u }) => uploadAnswer(u)), nextCursor: page.length ? encodeCursor(lastSeq, filter) : cursor ?? null, hasMore: rows.length > limit };
  });
}
