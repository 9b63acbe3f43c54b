/**
 * A paged JSON list described entirely in config: rows at `mapping.itemsPath`, paging by page
 * number, by offset, or by an opaque next-page token. A short (or empty) page ends page/offset paging.
 */
import type { HttpJsonMappingConfig } from '../../src/config/types.js';
import { atPath, withQuery } from '../../src/connectors/mapping-helpers.js';
import type { ConnectorSource, FetchEnv, PageCursor, SourcePage } from '../../src/connectors/types.js';
import { mapHttpJsonRow } from './mapping.js';

function mappingOf(config: { mapping?: HttpJsonMappingConfig }): HttpJsonMappingConfig {
  if (!config.mapping) throw new Error('an http-json connector needs a `mapping` section');
  return config.mapping;
}

export const httpJson: ConnectorSource = {
  type: 'http-json',
  system: 'http-json',
  completeListing: (config) => mappingOf(config).complete,
  firstCursor: (config): PageCursor => {
    const { paging } = mappingOf(config);
    const cursor: PageCursor = paging.style === 'page' ? { page: paging.firstPage } : paging.style === 'offset' ? { offset: 0 } : { token: null };
    return cursor;
  },
  async fetchPage({ http, config }: FetchEnv, cursor: PageCursor): Promise<SourcePage> {
    const mapping = mappingOf(config);
    const { paging } = mapping;
    const size = config.pageSize;
    let url: string;
    if (paging.style === 'page') url = withQuery(config.baseUrl, { [paging.pageParam]: cursor.page, [paging.sizeParam]: size });
    else if (paging.style === 'offset') url = withQuery(config.baseUrl, { [paging.offsetParam]: cursor.offset, [paging.limitParam]: size });
    else url = withQuery(config.baseUrl, { [paging.cursorParam]: cursor.token, [paging.sizeParam]: size });
    const { body } = await http.getJson(url);
    const rows = atPath(body, mapping.itemsPath);
    if (!Array.isArray(rows)) throw new Error(`${url}: no rows array at "${mapping.itemsPath}"`);
    let next: PageCursor | null = null;
    if (paging.style === 'cursor') {
      const token = atPath(body, paging.nextCursorPath);
      if (typeof token === 'string' && token !== '' && rows.length > 0) next = { token };
    } else if (rows.length > 0) {
      // Only an empty page ends the listing: a source may cap the page size below ours, and ending
      // early on a short page would mark the unread rest of a complete listing as removed.
      next = paging.style === 'page' ? { page: Number(cursor.page) + 1 } : { offset: Number(cursor.offset) + rows.length };
    }
    return { url, rows, next };
  },
  mapRow: mapHttpJsonRow,
};
