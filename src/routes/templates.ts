/**
 * GET /v1/templates/:category?format=xlsx|csv — the category's 填报模板 (Excel or CSV), generated from
 * its JSON Schema (src/templates/). XLSX is the default.
 */
import type { FastifyInstance } from 'fastify';
import { CATEGORY_IDS, isCategoryId } from '../domain/catalogue.js';
import { GatewayError } from '../errors.js';
import { templateCsv } from '../templates/csv.js';
import { categoryTemplate, type CategoryTemplate } from '../templates/template.js';
import { templateXlsx } from '../templates/xlsx.js';

export const TEMPLATE_FORMATS = ['xlsx', 'csv'] as const;
export type TemplateFormat = (typeof TEMPLATE_FORMATS)[number];

export const TEMPLATE_MEDIA_TYPES: Record<TemplateFormat, string> = {
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  csv: 'text/csv; charset=utf-8',
};

/** RFC 8187 ext-value: UTF-8, percent-encoded beyond attr-char. */
function extValue(text: string): string {
  return encodeURIComponent(text).replace(/['()*!]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** `attachment` with an ASCII fallback name and the Chinese one (`filename*`). */
export function templateDisposition(template: CategoryTemplate, format: TemplateFormat): string {
  const ascii = `${template.category}-template.${format}`;
  return `attachment; filename="${ascii}"; filename*=UTF-8''${extValue(`${template.nameZh}-填报模板.${format}`)}`;
}

export async function registerTemplateRoutes(app: FastifyInstance): Promise<void> {
  app.get<{ Params: { category: string }; Querystring: { format: TemplateFormat } }>('/templates/:category', {
    config: { scope: ['records:read', 'records:write'] },
    schema: {
      summary: 'Category template for departments (Excel or CSV) / 类别填报模板',
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: { format: { enum: [...TEMPLATE_FORMATS], default: 'xlsx', description: 'xlsx (default) or csv' } },
      },
    },
  }, async (request, reply) => {
    const { category } = request.params;
    if (!isCategoryId(category)) {
      throw new GatewayError('GW_SCHEMA_NOT_FOUND', {
        zh: `没有名为“${category}”的类别；可用：${CATEGORY_IDS.join('、')}`,
        en: `no category named "${category}"; available: ${CATEGORY_IDS.join(', ')}`,
      });
    }
    const template = categoryTemplate(category);
    const format = request.query.format;
    const body = format === 'csv' ? templateCsv(template) : await templateXlsx(template);
    return reply.type(TEMPLATE_MEDIA_TYPES[format]).header('content-disposition', templateDisposition(template, format)).send(body);
  });
}
