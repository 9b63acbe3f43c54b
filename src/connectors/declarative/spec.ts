/**
 * A source variant, described by a file instead of code (connectors/<connector>/<variant>.source.yaml,
 * or inline in an instance's config): how to ask for a page, how to read the answer, where the rows
 * are, how the pager goes on, and how a row becomes a record. The JSON Schema below is the one source
 * of truth; the TypeScript types are derived from it. README "Connectors" explains each part.
 */
import type { FromSchema } from 'json-schema-to-ts';

const name = { type: 'string', minLength: 1, maxLength: 200 } as const;
const names = { oneOf: [name, { type: 'array', minItems: 1, maxItems: 20, items: name }] } as const;
const scalars = { type: 'object', additionalProperties: { type: ['string', 'number', 'boolean'] } } as const;

/**
 * How one value of the record is read from a source row: a field name (its text), or an object.
 * `from` names the source field (or several: the first that is not empty); `parse` says how its text
 * is read; `map` turns source codes into record values (an unknown code quarantines the row).
 */
export const valueSpecSchema = {
  oneOf: [
    name,
    {
      type: 'object',
      additionalProperties: false,
      properties: {
        from: names,
        /** a constant instead of a source field */
        value: { type: ['string', 'number', 'boolean'] },
        /** a constant chosen by the subject's kind */
        byKind: { type: 'object', additionalProperties: false, properties: { person: { type: 'string' }, organisation: { type: 'string' } } },
        /** source fields joined: "{caseCode}|{cardNum}" */
        template: { type: 'string', minLength: 1, maxLength: 500 },
        /** code: an identifier normalised as the subject's are (NFKC, no spaces or hyphens, upper case) */
        parse: { enum: ['text', 'code', 'date', 'dateFrom', 'dateUntil', 'amount', 'number', 'integer', 'list', 'province', 'banEnd'] },
        /** amount: the unit the source field declares (e.g. its heading says 万元), and the unit the record keeps */
        unit: { enum: ['元', '万元', '亿元'] },
        into: { enum: ['元', '万元'] },
        /** the text's part this regular expression's one group captures (no match: absent) */
        match: { type: 'string', minLength: 3, maxLength: 200 },
        /** list: the separator between items (default ; and ；) */
        separator: { type: 'string', minLength: 1, maxLength: 5 },
        /** banEnd: the field holding the decision day the ban runs from */
        since: name,
        map: scalars,
        /** the value when the source field is empty (else the record field is left out) */
        default: { type: ['string', 'number', 'boolean'] },
        required: { type: 'boolean' },
        /** only for subjects of this kind */
        when: { enum: ['person', 'organisation'] },
        /** a code that stands in for "unknown" (00000000000000000X) drops the field with a warning */
        placeholders: { enum: ['warn'] },
      },
    },
  ],
} as const;

export const sourceSpecSchema = {
  $id: 'urn:credit-gateway:source-spec',
  type: 'object',
  additionalProperties: false,
  required: ['title', 'category', 'system', 'listing', 'request', 'paging', 'response', 'rows', 'record'],
  properties: {
    title: { type: 'string', minLength: 1, maxLength: 300 },
    /** record category the rows become */
    category: { type: 'string', pattern: '^[a-z][a-z0-9_]{0,62}$' },
    /** record.source.system (an instance may override it) */
    system: { type: 'string', pattern: '^[a-z0-9][a-z0-9._-]{1,63}$' },
    /** complete: each pass lists every current row, so rows missing from passes become `removed`; incremental: no removals */
    listing: { enum: ['complete', 'incremental'] },
    request: {
      type: 'object',
      additionalProperties: false,
      properties: {
        method: { enum: ['GET', 'POST'], default: 'GET' },
        /** the body of a POST: form fields, or a JSON object */
        body: { enum: ['none', 'form', 'json'], default: 'none' },
        query: { ...scalars, default: {} },
        form: { ...scalars, default: {} },
        json: { type: 'object', default: {} },
        headers: { type: 'object', additionalProperties: { type: 'string' }, default: {} },
      },
      default: {},
    },
    paging: {
      type: 'object',
      additionalProperties: false,
      required: ['kind'],
      properties: {
        /** page: a page number; offset: a row offset; cursor: a token from the page; link: the page's next link (HTML); none: one page */
        kind: { enum: ['page', 'offset', 'cursor', 'link', 'none'] },
        /** where the paging parameters go */
        in: { enum: ['query', 'form', 'json'], default: 'query' },
        param: name,
        start: { type: 'integer', minimum: 0, default: 1 },
        sizeParam: name,
        /** rows per page the source gives (an instance's pageSize overrides it) */
        pageSize: { type: 'integer', minimum: 1, maximum: 10000 },
        /** the stated total of the listing, read from each page */
        total: {
          type: 'object',
          additionalProperties: false,
          required: ['of'],
          properties: {
            path: name,
            /** HTML: the element whose text holds the number, or a regular expression over the page text with one group */
            selector: name,
            regex: name,
            of: { enum: ['rows', 'pages'] },
            /** false when the stated figure is not a count (a rounded hit count): the pass is not held to it */
            binding: { type: 'boolean', default: true },
          },
        },
        /** cursor paging: where the next token is in the page */
        cursorPath: name,
        /** link paging: the next-page link, and how a javascript: link names its page (a regular expression with one group) */
        next: {
          type: 'object',
          additionalProperties: false,
          required: ['selector'],
          properties: { selector: name, javascript: name },
        },
      },
    },
    response: {
      type: 'object',
      additionalProperties: false,
      required: ['format'],
      properties: {
        format: { enum: ['json', 'html', 'xml'] },
        /** strip a JSONP callback wrapper when there is one */
        jsonp: { type: 'boolean', default: false },
        /** the body is a JSON string that holds the JSON (double-encoded) */
        jsonString: { type: 'boolean', default: false },
        /** force a character set instead of the declared one */
        charset: { type: 'string', pattern: '^[A-Za-z0-9_-]{2,40}$' },
      },
    },
    rows: {
      type: 'object',
      additionalProperties: false,
      properties: {
        /** JSON: dotted path to the rows array (numbers index arrays: data.0.result; "." the answer itself); several: the first present */
        path: names,
        /** XML: the elements that are rows (each child element a field) */
        element: name,
        /** JSON: a page where this path holds an empty array has no rows (the source's way to say "no more") */
        emptyWhen: name,
        /** JSON: leading elements that are not rows (a header element) */
        skip: { type: 'integer', minimum: 0, maximum: 10, default: 0 },
        /** HTML: the table, by selector, or as the innermost table whose heading row has all these headings */
        table: name,
        headings: { type: 'array', minItems: 1, maxItems: 30, items: name },
        /** HTML: which rows are data rows (default: every row after the heading row that has cells) */
        row: name,
        /** HTML: a cell's value is its title attribute when it has one (long texts cut short on the page) */
        titleFirst: { type: 'boolean', default: true },
      },
    },
    record: {
      type: 'object',
      additionalProperties: false,
      required: ['key', 'subject', 'decidedAt', 'data'],
      properties: {
        /** the row's natural key: source fields, joined by | */
        key: { type: 'array', minItems: 1, maxItems: 10, items: valueSpecSchema },
        subject: {
          type: 'object',
          additionalProperties: false,
          required: ['name'],
          properties: {
            name: valueSpecSchema,
            /** person or organisation (map the source's codes onto these) */
            kind: valueSpecSchema,
            /** a USCC, a 组织机构代码 (GB 11714) or a (masked) identity number, whichever it is */
            code: valueSpecSchema,
            /** the subject's region when its code does not tell it: a GB/T 2260 code, or a province's name (parse: province) */
            region: valueSpecSchema,
          },
        },
        severity: valueSpecSchema,
        decidedAt: valueSpecSchema,
        /** the first day of publication when the source says one (else the decision day) */
        publishFrom: valueSpecSchema,
        publishUntil: valueSpecSchema,
        data: { type: 'object', additionalProperties: valueSpecSchema },
      },
    },
    /** source fields knowingly not kept (any other field not mapped is recorded as an unknown-field issue) */
    ignore: { type: 'array', items: name, default: [] },
    /** a row the source marks as not to be taken: this field equal to one of the values */
    skipWhen: { type: 'object', additionalProperties: { type: 'array', items: { type: ['string', 'number'] } } },
    /**
     * rows of another list that the source's query may answer with (a row holding every field in
     * `has`): never read as this list's, quarantined with rule source.other_list saying which list it
     * is (`list`) and why no record is made of it (`why`, in Chinese and English)
     */
    otherLists: {
      type: 'array',
      maxItems: 10,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['has', 'list', 'why'],
        properties: {
          has: { type: 'array', minItems: 1, maxItems: 20, items: name },
          list: name,
          why: { type: 'object', additionalProperties: false, required: ['zh', 'en'], properties: { zh: { type: 'string', minLength: 1, maxLength: 500 }, en: { type: 'string', minLength: 1, maxLength: 500 } } },
        },
      },
    },
    /** a code hook (src/connectors/declarative/hooks.ts) for what a file cannot say */
    hook: { type: 'string', pattern: '^[a-z][a-z0-9-]{0,62}$' },
  },
} as const;

/**
 * An exchange-database table (connectors/<connector>/<variant>.table.yaml, src/connectors/exchange-db/):
 * only how a row becomes a record — the same `record`, `ignore` and `skipWhen` as a source file; the
 * table, its paging and connection are the instance's `exchangeDb`.
 */
export const tableSpecSchema = {
  $id: 'urn:credit-gateway:table-spec',
  type: 'object',
  additionalProperties: false,
  required: ['title', 'category', 'system', 'record'],
  properties: {
    title: sourceSpecSchema.properties.title,
    category: sourceSpecSchema.properties.category,
    system: sourceSpecSchema.properties.system,
    record: sourceSpecSchema.properties.record,
    ignore: sourceSpecSchema.properties.ignore,
    skipWhen: sourceSpecSchema.properties.skipWhen,
  },
} as const;

export type SourceSpec = FromSchema<typeof sourceSpecSchema>;
export type TableSpec = FromSchema<typeof tableSpecSchema>;
/** What the row mapping (map-row.ts) reads of a source file or a table file. */
export type MappingSpec = Pick<SourceSpec, 'category' | 'record' | 'ignore' | 'skipWhen' | 'otherLists'>;
export type ValueSpec = FromSchema<typeof valueSpecSchema>;
export type PagingSpec = SourceSpec['paging'];
export type RowsSpec = SourceSpec['rows'];
