/** 公共资源交易 不良行为记录: HTML list pages `?page=N`, following the 下一页 link until there is none. */
import { withQuery } from '../../src/connectors/mapping-helpers.js';
import type { ConnectorSource, FetchEnv, PageCursor, SourcePage } from '../../src/connectors/types.js';
import { mapBiddingRow } from './mapping.js';
import { parseListPage } from './parse.js';

export const bidding: ConnectorSource = {
  type: 'bidding',
  system: 'ggzy.bad-records',
  completeListing: () => true,
  firstCursor: () => ({ page: 1 }),
  async fetchPage({ http, config }: FetchEnv, cursor: PageCursor): Promise<SourcePage> {
    const page = Number(cursor.page ?? 1);
    const url = withQuery(config.baseUrl, { page });
    const fetched = await http.getText(url, 'text/html');
    const parsed = parseListPage(fetched.text, url);
    const nextPage = parsed.nextUrl ? Number(new URL(parsed.nextUrl).searchParams.get('page')) : NaN;
    return { url, rows: parsed.rows, next: parsed.rows.length && nextPage > page ? { page: nextPage } : null };
  },
  mapRow: mapBiddingRow,
};
