/**
 * 裁判文书 metadata: incremental by publication date. `?fbrqFrom=YYYY-MM-DD&pageNum=N&pageSize=M`
 * lists documents published on or after that day, oldest first; the next pass starts from the
 * latest publication day seen (re-reading that day is harmless: unchanged rows make no events).
 */
import { atPath, isRow, isoDate, withQuery } from '../../src/connectors/mapping-helpers.js';
import type { ConnectorSource, FetchEnv, PageCursor, SourcePage } from '../../src/connectors/types.js';
import { mapJudgmentRow } from './mapping.js';

const EPOCH = '2000-01-01';

export const courtJudgments: ConnectorSource = {
  type: 'court-judgments',
  system: 'wenshu.court',
  completeListing: () => false,
  firstCursor: () => ({ since: EPOCH, page: 1, latest: null }),
  nextPassCursor: (_config, last) => ({ since: (last.latest as string | null) ?? (last.since as string), page: 1, latest: null }),
  async fetchPage({ http, config }: FetchEnv, cursor: PageCursor): Promise<SourcePage> {
    const page = Number(cursor.page ?? 1);
    const since = String(cursor.since ?? EPOCH);
    const url = withQuery(config.baseUrl, { fbrqFrom: since, pageNum: page, pageSize: config.pageSize });
    const { body } = await http.getJson(url);
    const rows = atPath(body, 'data.list');
    const total = Number(atPath(body, 'data.totalCount'));
    if (!isRow(body) || !Array.isArray(rows)) throw new Error(`${url}: page has no "data.list" array`);
    let latest = (cursor.latest as string | null) ?? null;
    for (const r of rows) {
      const d = isRow(r) ? isoDate(r.fbrq) : undefined;
      if (d && (!latest || d > latest)) latest = d;
    }
    const more = rows.length > 0 && (Number.isFinite(total) ? page * config.pageSize < total : rows.length === config.pageSize);
    return more ? { url, rows, next: { since, page: page + 1, latest } } : { url, rows, next: null, after: { since, page, latest } };
  },
  mapRow: mapJudgmentRow,
};
