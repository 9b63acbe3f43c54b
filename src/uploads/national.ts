/**
 * The national 双公示 headings an uploaded file may carry instead of our template's: the data standard's
 * field codes (CF_XDR_MC, XK_WSH …) or their Chinese names (行政相对人名称, 处罚决定日期 …). A file with
 * them is read by the connector mapping already written for those fields (connectors/shuanggongshi:
 * the exchange table's CF_* mapping for 行政处罚, the portal's XK_* mapping for 行政许可), through
 * src/connectors/declarative/map-row.ts like any pulled row. Chinese headings are matched to the codes
 * by the category schema's titles and by the other 双公示 source files' field names (信用天津's
 * 统一社会信用代码, 2016 lower-case xk_*), so a name one of them reads is known here too.
 */
import { categoryInfo, type CategoryId } from '../domain/catalogue.js';
import { knownFields } from '../connectors/declarative/map-row.js';
import { fieldsReadBy } from '../connectors/declarative/read-value.js';
import { sourceSpecs, tableSpecs } from '../connectors/declarative/load-specs.js';
import type { MappingSpec, ValueSpec } from '../connectors/declarative/spec.js';
import { loadSchemaFiles } from '../validation/schema-files.js';
import { chineseTitle } from '../templates/column-rules.js';

/** The mapping that reads each category's national field codes. */
const NATIONAL_SPECS: Partial<Record<CategoryId, string>> = {
  admin_penalty: 'shuanggongshi/qzk-xzcf',
  admin_license: 'shuanggongshi/syscredit-xzxk',
};

export interface NationalMapping {
  specId: string;
  spec: MappingSpec;
  /** every source field the mapping reads */
  known: ReadonlySet<string>;
  /** a normalised heading → the source field it is */
  fieldOf(heading: string): string | undefined;
  /** the fields a file must have: the subject's name, the decision date, the first key part */
  needed: string[];
}

/** Headings compared without width, case or spaces: （） and () alike. */
export function normaliseHeading(text: string): string {
  return text.normalize('NFKC').replace(/\s+/g, '').toUpperCase();
}

/** A value spec that only copies one source field as text or a date (no code mapping, no template). */
function plainField(spec: ValueSpec): string | undefined {
  if (typeof spec === 'string') return spec;
  if (typeof spec.from !== 'string' || spec.map || spec.template || spec.value !== undefined || spec.byKind || spec.match) return undefined;
  return spec.from;
}

const cache = new Map<CategoryId, NationalMapping | null>();

export function nationalMapping(category: CategoryId): NationalMapping | null {
  if (cache.has(category)) return cache.get(category)!;
  const specId = NATIONAL_SPECS[category];
  const spec: MappingSpec | undefined = specId ? tableSpecs().get(specId) ?? sourceSpecs().get(specId) : undefined;
  if (!specId || !spec) {
    cache.set(category, null);
    return null;
  }
  const known = knownFields(spec);
  const aliases = new Map<string, string | null>();
  const alias = (heading: string, field: string) => {
    const key = normaliseHeading(heading);
    const earlier = aliases.get(key);
    // a name two different fields claim is no alias
    aliases.set(key, earlier === undefined || earlier === field ? field : null);
  };
  for (const field of known) alias(field, field);
  const schema = loadSchemaFiles().find((f) => f.name === categoryInfo(category)!.schema)?.schema as { properties?: Record<string, { title?: string }> } | undefined;
  for (const [code, prop] of Object.entries(schema?.properties ?? {})) if (known.has(code)) alias(chineseTitle(prop.title), code);
  // each data field our mapping copies plainly from its own code, as other sources of the category name it
  const ours = new Map(Object.entries(spec.record.data).map(([code, v]) => [code, plainField(v as ValueSpec)]));
  for (const other of sourceSpecs().values()) {
    if (other.category !== category) continue;
    for (const [code, v] of Object.entries(other.record.data)) {
      const theirs = plainField(v as ValueSpec);
      const field = ours.get(code);
      if (theirs && field && !known.has(theirs)) alias(theirs, field);
    }
  }
  const needed = [spec.record.subject.name, spec.record.decidedAt, spec.record.key[0]!].map((v) => fieldsReadBy(v)[0]!);
  const mapping: NationalMapping = {
    specId, spec, known, needed,
    fieldOf: (heading) => aliases.get(normaliseHeading(heading)) ?? undefined,
  };
  cache.set(category, mapping);
  return mapping;
}
