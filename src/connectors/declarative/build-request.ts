/**
 * The request for one page, as a source file's `request` and `paging` sections say: GET with query
 * parameters, or POST with a form or a JSON body, the paging parameters where the file puts them. Pure.
 */
import type { SourceRequest } from '../http-client.js';
import type { PageCursor } from '../types.js';
import { pagingParams } from './paging.js';
import type { SourceSpec } from './spec.js';

type Scalars = Record<string, string | number | boolean>;

function withQuery(base: string, params: Scalars): string {
  const url = new URL(base);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, String(v));
  return url.toString();
}

function formBody(fields: Scalars): string {
  return new URLSearchParams(Object.entries(fields).map(([k, v]): [string, string] => [k, String(v)])).toString();
}

export function buildRequest(spec: SourceSpec, baseUrl: string, cursor: PageCursor, pageSize: number | undefined): SourceRequest {
  const { request, paging } = spec;
  const { params, url: linked } = pagingParams(paging, cursor, pageSize);
  const where = paging.in;
  if (linked !== undefined) return { method: 'GET', url: linked, headers: { ...request.headers } };
  const query: Scalars = { ...request.query, ...(where === 'query' ? params : {}) };
  const url = withQuery(baseUrl, query);
  if (request.method === 'GET') return { method: 'GET', url, headers: { ...request.headers } };
  if (request.body === 'json') {
    const body = JSON.stringify({ ...request.json, ...(where === 'json' ? params : {}) });
    return { method: 'POST', url, headers: { 'content-type': 'application/json; charset=utf-8', ...request.headers }, body };
  }
  const form: Scalars = { ...request.form, ...(where === 'form' ? params : {}) };
  return { method: 'POST', url, headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8', ...request.headers }, body: formBody(form) };
}
