/** 失信被执行人 list: paged JSON, `?page=N&pageSize=M`, the page tells the total. */
import { atPath, isRow, listingContinues, withQuery } from '../../src/connectors/mapping-helpers.js';
import type { ConnectorSource, FetchEnv, PageCursor, SourcePage } from '../../src/connectors/types.js';
import { mapDishonestRow } from './mapping.js';

export const courtDishonest: ConnectorSource = {
  type: 'court-dishonest',
  system: 'zxgk.court',
  completeListing: () => true,
  firstCursor: () => ({ page: 1 }),
  async fetchPage({ http, config }: FetchEnv, cursor: PageCursor): Promise<SourcePage> {
    const page = Number(cursor.page ?? 1);
    const url = withQuery(config.baseUrl, { page, pageSize: config.pageSize });
    const { body } = await http.getJson(url);
    const rows = atPath(body, 'result');
    if (!isRow(body) || !Array.isArray(rows)) throw new Error(`${url}: page has no "result" array`);
    const more = listingContinues({ url: String(url), page, pageSize: config.pageSize, received: rows.length, total: body.total });
    return { url, rows, next: more ? { page: page + 1 } : null };
  },
  mapRow: mapDishonestRow,
};
