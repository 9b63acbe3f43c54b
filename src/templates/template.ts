/**
 * A category's 填报模板: its columns (record-level, then `data`) and example rows, read once from the
 * schema files under schemas/ and cached; what src/templates/xlsx.ts and csv.ts write and what an
 * upload parser reads back (row-mapping.ts).
 */
import { categoryInfo, type CategoryId } from '../domain/catalogue.js';
import { loadSchemaFiles } from '../validation/schema-files.js';
import type { Schema } from '../validation/schema-rules.js';
import { dataColumns } from './data-columns.js';
import { pushItemToRow, type TemplateRow } from './row-mapping.js';
import { recordColumns, resolve, type TemplateColumn, type TemplateSchemas } from './template-columns.js';
import { templateExamples } from './template-examples.js';

export interface CategoryTemplate {
  category: CategoryId;
  nameZh: string;
  columns: readonly TemplateColumn[];
  /** example rows, by column key */
  examples: readonly TemplateRow[];
}

/** The template of a category from its schemas (pure). */
export function buildTemplate(category: CategoryId, schemas: TemplateSchemas): CategoryTemplate {
  const info = categoryInfo(category)!;
  const columns = [...recordColumns(info, schemas), ...dataColumns(schemas.category, (prop) => resolve(prop, schemas.common))];
  const examples = templateExamples(category).map((item) => pushItemToRow(columns, item));
  return { category, nameZh: info.nameZh, columns, examples };
}

const cache = new Map<CategoryId, CategoryTemplate>();

/** The template of a category, from the schema files (read once). */
export function categoryTemplate(category: CategoryId): CategoryTemplate {
  let template = cache.get(category);
  if (!template) {
    const files = new Map(loadSchemaFiles().map((f) => [f.name, f.schema as Schema]));
    const schemas = { recordInput: files.get('record-input')!, common: files.get('common')!, category: files.get(categoryInfo(category)!.schema)! };
    cache.set(category, (template = buildTemplate(category, schemas)));
  }
  return template;
}
