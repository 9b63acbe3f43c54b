/**
 * GET /v1/subjects/:uscc — the credit profile of one subject (信用核查).
 * GET /v1/subjects?name=&match=exact|fuzzy — subjects of the registry by name (current or former).
 */
import type { FastifyInstance } from 'fastify';
import { mayReadPii, type AppContext } from '../context.js';
import { maskEnvelope } from '../domain/record.js';
import { chinaDayOf } from '../domain/publication-periods.js';
import { checkUscc } from '../domain/uscc.js';
import { GatewayError } from '../errors.js';
import { subjectRecords } from '../store/records-read.js';
import { findSubjectsByName } from '../store/subjects-repo.js';
import { touchSubjects } from '../auth/partner-auth.js';

const PROFILE_LIMIT = 500;

export async function registerSubjectRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  app.get<{ Querystring: { name: string; match: 'exact' | 'fuzzy'; limit: number } }>(
    '/subjects',
    {
      config: { scope: 'subjects:read', purposeRequired: true },
      schema: {
        summary: 'Subjects by name / 按名称查找主体（精确或模糊）',
        querystring: {
          type: 'object',
          additionalProperties: false,
          required: ['name'],
          properties: {
            name: { type: 'string', minLength: 2, maxLength: 200 },
            match: { enum: ['exact', 'fuzzy'], default: 'exact' },
            limit: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
          },
        },
      },
    },
    async (request) => {
      const { name, match, limit } = request.query;
      const subjects = await findSubjectsByName(ctx.pool, name.normalize('NFKC').trim(), match, limit);
      touchSubjects(request, subjects.map((s) => s.uscc));
      return { match, subjects };
    },
  );

  app.get<{ Params: { uscc: string } }>(
    '/subjects/:uscc',
    { config: { scope: 'subjects:read', purposeRequired: true }, schema: { summary: 'Credit profile of one subject / 主体信用档案' } },
    async (request) => {
      const check = checkUscc(request.params.uscc); // fastify has already percent-decoded the parameter
      if (!check.ok) {
        throw new GatewayError('GW_USCC_INVALID', {
          zh: check.errors.map((e) => e.zh).join('；'),
          en: check.errors.map((e) => e.en).join('; '),
          errors: check.errors.map((e) => ({ pointer: '/path/uscc', rule: e.rule, zh: e.zh, en: e.en })),
        });
      }
      const records = await subjectRecords(ctx.pool, check.code, PROFILE_LIMIT + 1, chinaDayOf(new Date()));
      const shown = records.slice(0, PROFILE_LIMIT);
      const byCategory: Record<string, number> = {};
      const byPolarity: Record<string, number> = { negative: 0, positive: 0, neutral: 0 };
      for (const r of shown) {
        byCategory[r.category] = (byCategory[r.category] ?? 0) + 1;
        byPolarity[r.polarity] = (byPolarity[r.polarity] ?? 0) + 1;
      }
      const profile = {
        uscc: check.code,
        name: shown[0]?.subject.name ?? null,
        kind: check.kind ?? null,
        kindZh: check.kindZh ?? null,
        region: check.region ?? null,
        warnings: check.warnings,
        counts: { total: shown.length, byCategory, byPolarity },
        truncated: records.length > PROFILE_LIMIT,
        records: shown,
      };
      return mayReadPii(request.principal) ? profile : maskEnvelope(profile);
    },
  );
}
