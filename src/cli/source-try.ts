/**
 * npm run source:try -- <instance | connector/variant> [--pages N] [--file saved-response | --rows saved-rows.json] [--base-url URL]
 *
 * Reads a source like a run does and writes nothing (no database, no Kafka): one JSON line per
 * source record (page, source key, outcome stored / pending / quarantined / skipped, the rules, the
 * mapped record with personal identity numbers masked), then the summary line
 * `rows: N stored: N pending: N quarantined: N skipped: N`. With --file, a saved answer of the source
 * is read instead of fetching. With --rows, a JSON file of bare source rows — an array of row objects,
 * or one row object (a detail answer) — is mapped as a page's rows are, without the answer's envelope
 * (rows kept by a crawler, a detail page): nothing of the envelope, paging or total is checked. Exit 0
 * when every page was read, 1 when the pass broke off or the rows file holds no rows (the error says
 * why), 2 on a usage error.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/load.js';
import type { ConnectorInstanceConfig } from '../config/types.js';
import { decodeBody, charsetFromHtmlMeta } from '../connectors/charset.js';
import { declarativeSource } from '../connectors/declarative/declarative-source.js';
import { jsonAt, readPage } from '../connectors/declarative/read-page.js';
import type { SourceSpec } from '../connectors/declarative/spec.js';
import { sourceSpecs } from '../connectors/declarative/load-specs.js';
import { specOf } from '../connectors/registry.js';
import { SourceHttpClient } from '../connectors/http-client.js';
import { tryRows, trySummary, type TriedRow } from '../connectors/try-source.js';
import type { PageCursor } from '../connectors/types.js';
import { redactPersonalIds } from '../domain/personal-id.js';
import { RecordPreparer } from '../ingest/prepare.js';
import { RecordValidator } from '../validation/validator.js';

function usage(message: string): number {
  process.stderr.write(`source:try: ${message}\nusage: npm run source:try -- <instance | connector/variant> [--pages N] [--file saved-response | --rows saved-rows.json] [--base-url URL]\n`);
  return 2;
}

/**
 * The rows of a --rows file: a JSON array of row objects, or one row object. A whole answer of the
 * source (its rows array where the source file says, below the answer's top) is refused: read it with --file.
 */
function bareRows(file: string, spec: SourceSpec): unknown[] {
  const text = readFileSync(file, 'utf8');
  let value: unknown;
  try {
    value = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    throw new Error(`${file} is not JSON: ${(err as Error).message}`);
  }
  const rowsPaths = spec.response.format !== 'json' || spec.rows.path === undefined ? [] : typeof spec.rows.path === 'string' ? [spec.rows.path] : [...spec.rows.path];
  const answerPath = rowsPaths.find((p) => p !== '.' && Array.isArray(jsonAt(value, p)));
  if (answerPath !== undefined) throw new Error(`${file} is a whole answer of the source (its rows at "${answerPath}"), not bare rows: read it with --file`);
  const rows = Array.isArray(value) ? value : [value];
  const isRow = (r: unknown) => typeof r === 'object' && r !== null && !Array.isArray(r);
  if (!rows.length || !rows.every(isRow)) throw new Error(`${file} holds no bare rows (an array of row objects, or one row object)`);
  return rows;
}

function printLine(t: TriedRow): void {
  const line = {
    page: t.page,
    sourceKey: t.sourceKey,
    outcome: t.outcome,
    ...(t.rules.length ? { rules: t.rules, errors: t.errors.map((e) => ({ pointer: e.pointer, rule: e.rule, zh: e.zh, en: e.en })) } : {}),
    ...(t.issues.length ? { issues: t.issues } : {}),
    record: t.record,
  };
  process.stdout.write(`${redactPersonalIds(JSON.stringify(line))}\n`);
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { pages: { type: 'string' }, file: { type: 'string' }, rows: { type: 'string' }, 'base-url': { type: 'string' } },
  });
  if (values.file !== undefined && values.rows !== undefined) return usage('give --file (a saved answer) or --rows (saved bare rows), not both');
  const target = positionals[0];
  if (!target) return usage('name a configured instance or a source file (connector/variant)');
  const config = loadConfig();
  let name: string;
  let inst: ConnectorInstanceConfig;
  if (config.connectors.instances[target]) {
    name = target;
    inst = config.connectors.instances[target]!;
  } else if (sourceSpecs().has(target)) {
    name = target.replace('/', '-');
    inst = { source: target, enabled: false, schedule: null, baseUrl: values['base-url'] ?? 'http://127.0.0.1/', auth: { type: 'none' } };
  } else {
    return usage(`"${target}" is neither a configured instance (${Object.keys(config.connectors.instances).join(', ')}) nor a source file (${[...sourceSpecs().keys()].join(', ')})`);
  }
  if (inst.exchangeDb) return usage(`"${target}" reads an exchange database: source:try reads HTTP sources only (run it with npm run pull; its quarantine and verdicts show each row)`);
  if (values['base-url']) inst = { ...inst, baseUrl: values['base-url'] };
  const spec = specOf(name, inst);
  const source = declarativeSource(inst.source ?? name, spec);
  const preparer = new RecordPreparer(new RecordValidator(), config.publicationPeriods);
  const env = (pageUrl: string) => ({ system: inst.system ?? spec.system, fetchedAt: new Date().toISOString(), pageUrl, config: inst });
  const maxPages = values.pages === undefined ? Infinity : Number(values.pages);
  if (!(maxPages >= 1)) return usage('--pages must be a number of pages, 1 or more');

  let bare: unknown[] | undefined;
  if (values.rows !== undefined) {
    try {
      bare = bareRows(values.rows, spec);
    } catch (err) {
      process.stderr.write(`source:try: --rows: ${(err as Error).message}\n`);
      return 1;
    }
  }

  const tried: TriedRow[] = [];
  let rowCount = 0;
  const take = (rows: unknown[], page: number, url: string) => {
    rowCount += rows.length;
    for (const t of tryRows(source, rows, page, preparer, env(url))) {
      tried.push(t);
      printLine(t);
    }
  };
  try {
    if (bare) {
      take(bare, 1, values.rows!);
    } else if (values.file) {
      const bytes = readFileSync(values.file);
      const charset = spec.response.charset ?? (spec.response.format === 'html' ? charsetFromHtmlMeta(bytes) : undefined);
      const reading = readPage(spec, decodeBody(bytes, charset).text, inst.baseUrl ?? '');
      take(reading.rows, 1, values.file);
    } else {
      const d = config.connectors.defaults;
      const http = new SourceHttpClient({ ...d, ...inst.http, auth: inst.auth, ...(inst.encoding ?? source.charset ? { encoding: inst.encoding ?? source.charset } : {}) });
      try {
        let cursor: PageCursor | null = source.firstCursor(inst);
        for (let page = 1; cursor && page <= maxPages; page++) {
          const fetched = await source.fetchPage({ http, config: inst }, cursor);
          take(fetched.rows, page, fetched.url);
          cursor = fetched.next;
        }
      } finally {
        await http.close();
      }
    }
  } catch (err) {
    process.stdout.write(`${trySummary(rowCount, tried)}\n`);
    process.stderr.write(`source:try: the pass broke off: ${(err as Error).message}\n`);
    return 1;
  }
  process.stdout.write(`${trySummary(rowCount, tried)}\n`);
  return 0;
}

main().then((code) => { process.exitCode = code; }, (err) => {
  process.stderr.write(`source:try: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
