/**
 * A connector source made from a source file: each page is asked for (build-request.ts), read
 * (read-page.ts), paged on (paging.ts) and its rows mapped (map-row.ts, or the file's hook).
 */
import { hash } from 'node:crypto';
import type { ConnectorSource, FetchEnv, MapEnv, MapResult, PageCursor, SourcePage } from '../types.js';
import { buildRequest } from './build-request.js';
import { HOOKS } from './hooks.js';
import { knownFields, mapSourceRow } from './map-row.js';
import { firstCursor, nextCursor } from './paging.js';
import { readPage } from './read-page.js';
import type { SourceRow } from './read-value.js';
import type { SourceSpec } from './spec.js';

/** The page size asked for: the instance's, else the one the file gives. */
export function pageSizeOf(spec: SourceSpec, instancePageSize: number | undefined): number | undefined {
  return instancePageSize ?? spec.paging.pageSize;
}

/**
 * What tells a page from the page before: its row count and its first and last rows (a source that
 * ignores the page asked for sends the same rows again). Hashing every row cost more than reading them.
 */
function fingerprintOf(rows: unknown[]): string {
  return hash('sha256', `${rows.length}\n${JSON.stringify(rows[0] ?? null)}\n${JSON.stringify(rows.at(-1) ?? null)}`, 'hex').slice(0, 16);
}

export function declarativeSource(id: string, spec: SourceSpec): ConnectorSource & { mapRow(row: unknown, env: MapEnv): MapResult[] } {
  const known = knownFields(spec);
  const hook = spec.hook === undefined ? undefined : HOOKS[spec.hook];
  return {
    id,
    title: spec.title,
    system: spec.system,
    ...(spec.response.charset ? { charset: spec.response.charset } : {}),
    completeListing: () => spec.listing === 'complete',
    firstCursor: () => firstCursor(spec.paging),
    async fetchPage({ http, config }: FetchEnv, cursor: PageCursor): Promise<SourcePage> {
      const pageSize = pageSizeOf(spec, config.pageSize);
      if (!config.baseUrl) throw new Error(`${id}: an HTTP source needs the instance's baseUrl`);
      const request = buildRequest(spec, config.baseUrl, cursor, pageSize);
      const fetched = await http.fetchText(request);
      const reading = readPage(spec, fetched.text, request.url);
      const fingerprint = fingerprintOf(reading.rows);
      return { url: request.url, rows: reading.rows, next: nextCursor(spec.paging, cursor, reading, pageSize, fingerprint) };
    },
    mapRow(row: unknown, env: MapEnv) {
      const mapOne = (r: SourceRow) => mapSourceRow(spec, r, env, known);
      if (!hook || typeof row !== 'object' || row === null || Array.isArray(row)) return mapOne(row as SourceRow);
      return hook(row as SourceRow, mapOne);
    },
  };
}
