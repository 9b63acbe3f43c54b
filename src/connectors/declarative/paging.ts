/**
 * Where a pass through a listing is, and where it goes next (pure). The cursor is plain JSON, stored
 * with every committed page: the page number, offset, token or link to ask for next, and how many rows
 * the pass has read before it — so a pass resumed after a crash still knows its count.
 *
 * No silent partial pass: a pager that cannot be followed, a listing that ends before the total it
 * states, a source that caps the page size below ours, or one that answers the same rows twice fails
 * the run (PassError). Removal never runs after such a pass, because the pass never ends.
 */
import type { PageCursor } from '../types.js';
import type { PageReading } from './read-page.js';
import type { PagingSpec } from './spec.js';

/** The pass cannot be read to its end as the source file describes. */
export class PassError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PassError';
  }
}

export function firstCursor(paging: PagingSpec): PageCursor {
  const at: PageCursor = { seen: 0 };
  if (paging.kind === 'page' || paging.kind === 'link') at.page = paging.start;
  if (paging.kind === 'offset') at.offset = paging.start;
  return at;
}

/** The paging parameters of the request for `cursor` (and the URL to fetch instead of the base, for link paging). */
export function pagingParams(paging: PagingSpec, cursor: PageCursor, pageSize: number | undefined): { params: Record<string, string | number>; url?: string } {
  const params: Record<string, string | number> = {};
  if (paging.sizeParam !== undefined && pageSize !== undefined) params[paging.sizeParam] = pageSize;
  if (typeof cursor.url === 'string') return { params, url: cursor.url };
  if (paging.param !== undefined) {
    const value = paging.kind === 'offset' ? cursor.offset : paging.kind === 'cursor' ? cursor.token : cursor.page;
    if (value !== undefined && value !== null) params[paging.param] = value;
  }
  return { params };
}

/** A short digest of a page's rows: two pages in a row with the same one mean the source repeats itself. */
export type Fingerprint = string;

export function nextCursor(paging: PagingSpec, cursor: PageCursor, reading: PageReading, pageSize: number | undefined, fingerprint: Fingerprint): PageCursor | null {
  const received = reading.rows.length;
  const seen = Number(cursor.seen ?? 0) + received;
  const page = Number(cursor.page ?? 0);
  const where = paging.kind === 'offset' ? `offset ${String(cursor.offset)}` : paging.kind === 'cursor' ? 'the page after the last token' : `page ${page}`;
  if (received > 0 && cursor.last === fingerprint) {
    throw new PassError(`the source answered ${where} with the same ${received} rows as the page before: it does not page on as the source file says`);
  }
  const total = paging.total?.binding ? reading.total : undefined;
  const ofPages = paging.total?.of === 'pages';
  const stated = (n: number) => `${n} ${ofPages ? 'pages' : 'rows'}`;
  const shortOfTotal = () => new PassError(`the listing ended at ${where} after ${seen} rows, short of the ${stated(total!)} it states`);

  let more: boolean;
  if (paging.kind === 'none') more = false;
  else if (total !== undefined && !ofPages) {
    if (seen >= total) more = false;
    else if (received === 0) throw shortOfTotal();
    else if (paging.kind !== 'cursor' && pageSize !== undefined && received < pageSize) {
      const why = Number(cursor.seen ?? 0) === 0
        ? `the source caps its page size — set pageSize to at most ${received}`
        : 'the listing broke off before its end';
      throw new PassError(`${where} held ${received} rows where ${pageSize} were asked, before the end of the ${stated(total)}: ${why}`);
    } else more = true;
  } else if (total !== undefined && ofPages) {
    const pagesRead = paging.kind === 'page' || paging.kind === 'link' ? page - paging.start + 1 : Math.ceil(seen / Math.max(1, pageSize ?? received));
    if (pagesRead >= total) more = false;
    else if (received === 0) throw shortOfTotal();
    else more = true;
  } else more = received > 0;

  if (!more) return null;
  const next: PageCursor = { seen, last: fingerprint };
  switch (paging.kind) {
    case 'page':
      return { ...next, page: page + 1 };
    case 'offset':
      return { ...next, offset: Number(cursor.offset ?? 0) + received };
    case 'cursor':
      if (!reading.nextToken) {
        if (total !== undefined) throw shortOfTotal();
        return null;
      }
      return { ...next, token: reading.nextToken };
    case 'link': {
      const link = reading.nextLink;
      if (!link) {
        if (total !== undefined) throw shortOfTotal();
        return null;
      }
      if ('unfollowable' in link) {
        throw new PassError(`the next-page link at ${where} cannot be followed (${link.unfollowable}); the source file's paging.next.javascript must say how to read its page number`);
      }
      return 'url' in link ? { ...next, page: page + 1, url: link.url } : { ...next, page: link.page };
    }
    default:
      return null;
  }
}
