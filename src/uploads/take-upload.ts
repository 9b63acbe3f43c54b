/**
 * Taking a file: checked whole (inspect.ts), then kept with who sent it and under which grant, queued,
 * and the worker woken. Shared by POST /v1/uploads (a partner) and the console's upload page (an
 * operator, on a department's behalf).
 */
import { createHash, randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';
import type { CategoryId } from '../domain/catalogue.js';
import { GatewayError } from '../errors.js';
import { getUpload, getUploadFile, insertUpload, type UploadGrant, type UploadProgress } from '../store/uploads-repo.js';
import { feedbackFile } from './feedback-file.js';
import { XLSX_TYPE, formatOf, inspectUpload, type StoredLayout } from './inspect.js';

export interface UploadRequest {
  bytes: unknown;
  contentType: string | undefined;
  category: CategoryId;
  sourceSystem: string;
  /** who sends it: a partner id, or operator:<username> */
  actor: string;
  grant: UploadGrant | null;
  fileName: string | null;
}

export async function takeUpload(ctx: AppContext, req: UploadRequest): Promise<UploadProgress> {
  const type = formatOf(req.contentType);
  if (!type || !Buffer.isBuffer(req.bytes)) throw new GatewayError('GW_UPLOAD_TYPE_UNSUPPORTED');
  const bytes = req.bytes;
  if (bytes.length === 0) throw new GatewayError('GW_BODY_EMPTY');
  const inspected = await inspectUpload(bytes, type, req.category, ctx.config.uploads);
  const id = randomUUID();
  await insertUpload(ctx.pool, {
    id, partner: req.actor, category: req.category, sourceSystem: req.sourceSystem, grant: req.grant,
    format: inspected.format, encoding: inspected.encoding, fileName: req.fileName, bytes,
    sha256: createHash('sha256').update(bytes).digest('hex'), layout: inspected.layout, rowsTotal: inspected.rowsTotal,
  });
  ctx.uploads.wake();
  ctx.log.info({ upload: id, category: req.category, format: inspected.format, rows: inspected.rowsTotal, actor: req.actor }, 'upload taken');
  return (await getUpload(ctx.pool, id, null))!;
}

/** `attachment` with an ASCII name and the department's own (RFC 8187). */
function feedbackDisposition(id: string, name: string, format: string): string {
  const ext = encodeURIComponent(name).replace(/['()*!]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="upload-${id}-feedback.${format}"; filename*=UTF-8''${ext}`;
}

/** The feedback file of a finished upload, with its content type and disposition (409 while it runs). */
export async function uploadFeedback(ctx: AppContext, upload: UploadProgress): Promise<{ body: Buffer; type: string; disposition: string }> {
  if (upload.state === 'queued' || upload.state === 'running') {
    throw new GatewayError('GW_UPLOAD_NOT_FINISHED', { zh: `上传 ${upload.id} 仍在处理（${upload.state}）`, en: `upload ${upload.id} is still ${upload.state}` });
  }
  const file = (await getUploadFile(ctx.pool, upload.id))!;
  const body = await feedbackFile(ctx.pool, upload, { bytes: file.bytes, layout: file.layout as StoredLayout });
  const type = upload.format === 'xlsx' ? XLSX_TYPE : `text/csv; charset=${upload.encoding ?? 'utf-8'}`;
  const base = (upload.fileName ?? `upload-${upload.id}`).replace(/\.(xlsx|csv)$/i, '');
  return { body, type, disposition: feedbackDisposition(upload.id, `${base}-回执.${upload.format}`, upload.format) };
}

/** The content-type parser of an upload route's own scope: the body as raw bytes (kept for the digest check). */
export function addUploadParsers(scope: FastifyInstance, maxBytes: number): void {
  // every content type is read as bytes here (so a JSON, PDF or multipart body is refused with
  // GW_UPLOAD_TYPE_UNSUPPORTED by takeUpload, not parsed); this scope only
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: maxBytes }, (request, body, done) => {
    request.rawBody = body as Buffer;
    done(null, body);
  });
}
