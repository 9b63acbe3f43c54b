/**
 * 政府采购: two paged JSON lists under the base URL — `/serious-dishonesty` then `/purchaser-defaults`,
 * each `?page=N&size=M` answering `{ "total": n, "rows": [...] }`. One pass reads both lists.
 * Rows carry the list they came from (`_list`) so the mapping knows which format it reads.
 */
import { isRow, listingContinues } from '../../src/connectors/mapping-helpers.js';
import type { ConnectorSource, FetchEnv, PageCursor, SourcePage } from '../../src/connectors/types.js';
import { mapProcurementRow, type ProcurementList } from './mapping.js';

const LISTS: Array<{ list: ProcurementList; path: string }> = [
  { list: 'serious', path: 'serious-dishonesty' },
  { list: 'defaults', path: 'purchaser-defaults' },
];

interface TaggedRow { list: ProcurementList; row: unknown }

export const procurement: ConnectorSource = {
  type: 'procurement',
  system: 'ccgp',
  completeListing: () => true,
  firstCursor: () => ({ list: 'serious', page: 1 }),
  async fetchPage({ http, config }: FetchEnv, cursor: PageCursor): Promise<SourcePage> {
    const index = Math.max(0, LISTS.findIndex((l) => l.list === cursor.list));
    const { list, path } = LISTS[index]!;
    const page = Number(cursor.page ?? 1);
    const url = new URL(`${config.baseUrl.replace(/\/$/, '')}/${path}`);
    url.searchParams.set('page', String(page));
    url.searchParams.set('size', String(config.pageSize));
    const { body } = await http.getJson(url.toString());
    if (!isRow(body) || !Array.isArray(body.rows)) throw new Error(`${url}: page has no "rows" array`);
    const rows: TaggedRow[] = body.rows.map((row) => ({ list, row }));
    const more = listingContinues({ url: String(url), page, pageSize: config.pageSize, received: rows.length, total: body.total });
    const following = LISTS[index + 1];
    const next = more ? { list, page: page + 1 } : following ? { list: following.list, page: 1 } : null;
    return { url: url.toString(), rows, next };
  },
  mapRow: (tagged, env) => {
    const { list, row } = tagged as TaggedRow;
    return mapProcurementRow(list, row, env);
  },
};
