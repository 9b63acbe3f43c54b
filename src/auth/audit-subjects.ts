/**
 * The subjects (USCCs) a /v1 request touched, for its audit row: from the path (:uscc), the query
 * (?uscc=), and a pushed body (records[].subject.uscc, uscc, subjects[]). Routes that learn of other
 * subjects while answering add them with touchSubjects().
 */
import type { FastifyRequest } from 'fastify';
import { normalizeIdentifier } from '../domain/uscc.js';

const USCC_SHAPE = /^[0-9A-HJ-NP-RTUW-Y]{2}\d{6}[0-9A-HJ-NP-RTUW-Y]{10}$/;
const MAX_SUBJECTS = 1000;

export function subjectsOf(request: FastifyRequest, extra: Iterable<string>): string[] {
  const found = new Set<string>();
  const add = (v: unknown) => {
    if (typeof v !== 'string' || v.length > 64 || found.size >= MAX_SUBJECTS) return;
    const code = normalizeIdentifier(safeDecode(v));
    if (USCC_SHAPE.test(code)) found.add(code);
  };
  add((request.params as Record<string, unknown> | undefined)?.uscc);
  add((request.query as Record<string, unknown> | undefined)?.uscc);
  const body = request.body as Record<string, unknown> | undefined;
  if (body && typeof body === 'object') {
    add(body.uscc);
    for (const list of [body.records, body.subjects]) {
      if (!Array.isArray(list)) continue;
      for (const item of list) add(typeof item === 'string' ? item : (item as { subject?: { uscc?: unknown }; uscc?: unknown } | null)?.subject?.uscc ?? (item as { uscc?: unknown } | null)?.uscc);
    }
  }
  for (const v of extra) add(v);
  return [...found].sort();
}

function safeDecode(v: string): string {
  try {
    return decodeURIComponent(v);
  } catch {
    return v;
  }
}
