/**
 * GET /v1/reports/integrity?period=2026Q3&level=city[&region=32][&format=csv] — the 政务诚信
 * monitoring report with its ranking, as JSON, or as CSV (Accept: text/csv or format=csv).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import { GatewayError } from '../errors.js';
import { reportCsvFilename, reportToCsv } from '../monitoring/report-csv.js';
import { parsePeriod } from '../monitoring/report-period.js';
import { REPORT_LEVELS, buildIntegrityReport, type ReportLevel } from '../monitoring/report.js';

interface ReportQuery {
  period: string;
  level: ReportLevel;
  region?: string;
  format?: 'json' | 'csv';
}

function wantsCsv(request: FastifyRequest<{ Querystring: ReportQuery }>): boolean {
  if (request.query.format) return request.query.format === 'csv';
  const accept = request.headers.accept ?? '';
  return /\btext\/csv\b/i.test(accept) && !/\bapplication\/json\b/i.test(accept.split(',')[0] ?? '');
}

export async function registerReportRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  app.get<{ Querystring: ReportQuery }>(
    '/reports/integrity',
    {
      // monitoring reads need their own scope, monitoring:read (src/domain/scopes.ts)
      config: { scope: 'monitoring:read' },
      schema: {
        summary: 'Government integrity monitoring report and ranking / 政务诚信监测报告与排名',
        querystring: {
          type: 'object',
          additionalProperties: false,
          required: ['period'],
          properties: {
            period: { type: 'string', maxLength: 10, description: '2026Q3, 2026-07 or 2026' },
            level: { enum: [...REPORT_LEVELS], default: 'city' },
            region: { type: 'string', pattern: '^[0-9]{2,6}$', description: 'GB/T 2260 prefix, e.g. 32 for 江苏' },
            format: { enum: ['json', 'csv'] },
          },
        },
      },
    },
    async (request, reply) => {
      const period = parsePeriod(request.query.period);
      if (!period) {
        throw new GatewayError('GW_REPORT_PERIOD_INVALID', {
          errors: [{ pointer: '/query/period', rule: 'pattern', zh: '应为 2026Q3、2026-07 或 2026 形式', en: 'must look like 2026Q3, 2026-07 or 2026' }],
        });
      }
      const now = new Date();
      if (now < period.start) {
        throw new GatewayError('GW_REPORT_PERIOD_NOT_STARTED', {
          zh: `报告期 ${period.id} 自 ${period.startDate} 开始`,
          en: `period ${period.id} starts on ${period.startDate}`,
        });
      }
      const report = await buildIntegrityReport(ctx.pool, {
        period,
        level: request.query.level,
        regionPrefix: request.query.region,
        weights: ctx.config.monitoring.scoreWeights,
        now,
      });
      if (wantsCsv(request)) {
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="${reportCsvFilename(report)}"`)
          .send(reportToCsv(report));
      }
      return report;
    },
  );
}
