/** POST /v1/records (batch ingest), GET /v1/records/:recordId, GET /v1/records (change feed). */
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { assertOwnsSources, assertWithinGrant } from '../auth/grants.js';
import { grantCovers } from '../domain/grant.js';
import { actorOf, mayReadPii, type AppContext, type Principal } from '../context.js';
import { maskEnvelope } from '../domain/record.js';
import { GatewayError } from '../errors.js';
import { ingestBatch, type ItemResult } from '../ingest/ingest-batch.js';
import { findAnswer, saveAnswer } from '../store/idempotency.js';
import { deliveriesOfRecord } from '../store/deliveries-repo.js';
import { changeFeed, getRecordWithVersions, type FeedFilter } from '../store/records-read.js';
import { decodeCursor, encodeCursor } from './cursor.js';

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;
const RECORD_STATUSES = ['active', 'objected', 'corrected', 'revoked', 'repair_requested', 'repaired', 'expired', 'removed'];

/** Raised inside the ingest transaction when a concurrent request stored an answer for the same key first. */
class IdempotencyRace extends Error {}

export function summarize(results: ItemResult[]) {
  const summary = { created: 0, updated: 0, unchanged: 0, rejected: 0 };
  for (const r of results) summary[r.status]++;
  return summary;
}

export async function registerRecordRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  registerBatchIngest(app, ctx);
  registerRecordById(app, ctx);
  registerChangeFeed(app, ctx);
}

/** POST /v1/records: a batch of records, each stored or rejected on its own. */
function registerBatchIngest(app: FastifyInstance, ctx: AppContext): void {
  app.post(
    '/records',
    {
      config: { scope: 'records:write', textCheckedPerItem: true },
      schema: {
        summary: 'Push a batch of records / 推送一批信用记录',
        body: { type: 'object' },
      },
    },
    async (request, reply) => ingestRequest(ctx, request, reply),
  );
}

/**
 * Ingests a pushed batch. With an Idempotency-Key, the answer is stored in the batch's own transaction,
 * and a request repeating the key gets that answer again (if its body is the same) instead of a second
 * ingest.
 */
async function ingestRequest(ctx: AppContext, request: FastifyRequest, reply: FastifyReply) {
  const body = request.body as { records?: unknown } | undefined;
  const items = parseBatch(body, ctx.config.server.maxBatchSize);
  const { principal } = request;
  assertOwnsSources(principal, items);
  assertWithinGrant(principal, items);
  const partner = actorOf(principal);
  const key = request.headers['idempotency-key'];
  const bodyHash = `sha256:${createHash('sha256').update(request.rawBody ?? '').digest('hex')}`;

  if (key !== undefined) {
    if (typeof key !== 'string' || !IDEMPOTENCY_KEY.test(key)) throw new GatewayError('GW_IDEMPOTENCY_KEY_INVALID', {
      zh: 'Idempotency-Key 须为 1 到 200 个可见 ASCII 字符', en: 'Idempotency-Key must be 1 to 200 visible ASCII characters',
    });
    const earlier = await findAnswer(ctx.pool, partner, key);
    if (earlier) return replay(reply, key, earlier, bodyHash);
  }

  let results: ItemResult[];
  try {
    results = await ingestSavingAnswer(ctx, items, principal, { partner, key: key as string | undefined, bodyHash });
  } catch (err) {
    if (!(err instanceof IdempotencyRace)) throw err;
    const earlier = await findAnswer(ctx.pool, partner, key as string);
    return replay(reply, key as string, earlier!, bodyHash);
  }
  for (const r of results) ctx.metrics.records.inc({ result: r.status, origin: 'push' });
  request.log.info({ partner, ...summarize(results) }, 'batch ingested');
  return reply.code(200).send(answerOf(results));
}

/**
 * The batch in one transaction, with its answer under the idempotency key if there is one. Throws
 * IdempotencyRace, rolling the batch back, when a concurrent request stored an answer for the key first.
 */
function ingestSavingAnswer(
  ctx: AppContext,
  items: unknown[],
  principal: Principal | null,
  idempotency: { partner: string; key: string | undefined; bodyHash: string },
): Promise<ItemResult[]> {
  const { partner, key, bodyHash } = idempotency;
  return ingestBatch({ pool: ctx.pool, preparer: ctx.preparer, outbox: ctx.outbox }, items, {
    actor: partner,
    mayChange: principal ? (stored) => grantCovers(principal, stored.category, stored.region) : undefined,
    alsoInTransaction: async (client, res) => {
      if (key === undefined) return;
      const answer = { statusCode: 200, response: answerOf(res), bodyHash };
      if (!(await saveAnswer(client, partner, key, answer))) throw new IdempotencyRace();
    },
  });
}

/** The answer stored under the key, sent again; a different body under the same key is refused. */
function replay(reply: FastifyReply, key: string, earlier: { bodyHash: string; statusCode: number; response: unknown }, hash: string) {
  if (earlier.bodyHash !== hash) {
    throw new GatewayError('GW_IDEMPOTENCY_KEY_REUSED', {
      zh: `幂等键“${key}”已用于另一个请求体`,
      en: `Idempotency-Key "${key}" was first used with a different request body`,
    });
  }
  return reply.code(earlier.statusCode).header('idempotent-replayed', 'true').send(earlier.response);
}

/** GET /v1/records/:recordId: one record with its versions. */
function registerRecordById(app: FastifyInstance, ctx: AppContext): void {
  app.get<{ Params: { recordId: string } }>(
    '/records/:recordId',
    {
      config: { scope: 'records:read' },
      schema: {
        summary: 'One record with its history / 单条记录及其历史版本',
        params: {
          type: 'object',
          required: ['recordId'],
          properties: { recordId: { type: 'string', format: 'uuid' } },
        },
      },
    },
    async (request) => {
      // a record outside the partner's grant is answered as if it did not exist
      const found = await getRecordWithVersions(ctx.pool, request.params.recordId, request.principal);
      if (!found) {
        throw new GatewayError('GW_RECORD_NOT_FOUND', {
          zh: `记录 ${request.params.recordId} 不存在`,
          en: `record ${request.params.recordId} does not exist`,
        });
      }
      const answer = mayReadPii(request.principal) ? found : maskEnvelope(found);
      // per destination, the latest event delivered to its platform and the platform's answer (issue 17)
      return { ...answer, deliveries: await deliveriesOfRecord(ctx.pool, request.params.recordId) };
    },
  );
}

/** GET /v1/records: the change feed, page by page after a cursor valid only with the filters it was issued for. */
function registerChangeFeed(app: FastifyInstance, ctx: AppContext): void {
  app.get<{ Querystring: FeedFilter & { cursor?: string; limit: number } }>(
    '/records',
    {
      config: { scope: 'records:read' },
      schema: {
        summary: 'Change feed / 变更订阅（游标分页）',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            uscc: { type: 'string', format: 'uscc' },
            category: { type: 'string', pattern: '^[a-z][a-z0-9_]{0,62}$' },
            status: { enum: RECORD_STATUSES },
            updatedAfter: { type: 'string', format: 'date-time' },
            pending: { type: 'boolean', description: 'true: only organisations still waiting for the subject registry to resolve their USCC' },
            cursor: { type: 'string', maxLength: 500 },
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
          },
        },
      },
    },
    async (request) => {
      const { cursor, limit, ...filter } = request.query;
      const afterSeq = cursor ? decodeCursor(cursor, filter) : 0;
      const rows = await changeFeed(ctx.pool, filter, request.principal, afterSeq, limit + 1);
      const page = rows.slice(0, limit);
      const lastSeq = page.length ? page[page.length - 1]!.seq : afterSeq;
      const items = page.map((r) => r.envelope);
      return {
        items: mayReadPii(request.principal) ? items : maskEnvelope(items),
        nextCursor: encodeCursor(lastSeq, filter),
        hasMore: rows.length > limit,
      };
    },
  );
}

function parseBatch(body: { records?: unknown } | undefined, max: number): unknown[] {
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new GatewayError('GW_REQUEST_INVALID', {
      zh: '请求体须为对象 {"records": [...]}',
      en: 'the body must be an object {"records": [...]}',
      errors: [{ pointer: '', rule: 'type', zh: '类型应为对象', en: 'must be of type object' }],
    });
  }
  const unknown = Object.keys(body).filter((k) => k !== 'records');
  if (!('records' in body) || !Array.isArray(body.records) || unknown.length) {
    throw new GatewayError('GW_REQUEST_INVALID', {
      zh: '请求体须为 {"records": [...]}，且不含其他字段',
      en: 'the body must be {"records": [...]} with no other fields',
      errors: !Array.isArray(body.records)
        ? [{ pointer: '/records', rule: 'type', zh: 'records 须为数组', en: 'records must be an array' }]
        : unknown.map((k) => ({ pointer: `/${k}`, rule: 'additionalProperties', zh: `不允许的字段“${k}”`, en: `field "${k}" is not allowed` })),
    });
  }
  const items = body.records;
  if (items.length === 0) throw new GatewayError('GW_BATCH_EMPTY', { zh: 'records 数组为空', en: 'the records array is empty' });
  if (items.length > max) {
    throw new GatewayError('GW_BATCH_TOO_LARGE', {
      zh: `一批最多 ${max} 条记录，本批 ${items.length} 条`,
      en: `at most ${max} records per batch; this batch has ${items.length}`,
    });
  }
  return items;
}

function answerOf(results: ItemResult[]) {
  return { summary: summarize(results), results };
}
