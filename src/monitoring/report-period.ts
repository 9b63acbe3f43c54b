/**
 * Reporting periods: "2026Q3" (quarter), "2026-07" (month) or "2026" (year), in China Standard Time
 * (UTC+8, no daylight saving). A period is [start, end): `end` is the first instant after it. Pure.
 */

export interface ReportPeriod {
  id: string;
  kind: 'quarter' | 'month' | 'year';
  /** first instant of the period (00:00 UTC+8 of its first day) */
  start: Date;
  /** first instant after the period */
  end: Date;
  /** first day, YYYY-MM-DD */
  startDate: string;
  /** first day after the period, YYYY-MM-DD */
  endDate: string;
}

const CST_OFFSET_MS = 8 * 3_600_000;
const PERIOD_PATTERN = /^(\d{4})(?:Q([1-4])|-(0[1-9]|1[0-2]))?$/;

function cstMidnight(year: number, monthIndex: number): Date {
  return new Date(Date.UTC(year, monthIndex, 1) - CST_OFFSET_MS);
}

/** The calendar day (YYYY-MM-DD) in UTC+8 of an instant. */
export function cstDate(at: Date): string {
  return new Date(at.getTime() + CST_OFFSET_MS).toISOString().slice(0, 10);
}

/** Parses a period id; null when it is not one of the three forms (or the year is outside 2000–2099). */
export function parsePeriod(id: string): ReportPeriod | null {
  const m = PERIOD_PATTERN.exec(id);
  if (!m) return null;
  const year = Number(m[1]);
  if (year < 2000 || year > 2099) return null;
  let kind: ReportPeriod['kind'];
  let firstMonth: number;
  let months: number;
  if (m[2]) {
    kind = 'quarter';
    firstMonth = (Number(m[2]) - 1) * 3;
    months = 3;
  } else if (m[3]) {
    kind = 'month';
    firstMonth = Number(m[3]) - 1;
    months = 1;
  } else {
    kind = 'year';
    firstMonth = 0;
    months = 12;
  }
  const start = cstMidnight(year, firstMonth);
  const end = cstMidnight(year, firstMonth + months);
  return { id, kind, start, end, startDate: cstDate(start), endDate: cstDate(end) };
}

/** The quarter (e.g. "2026Q4") containing an instant, in UTC+8. */
export function quarterOf(at: Date): string {
  const day = cstDate(at);
  return `${day.slice(0, 4)}Q${Math.floor((Number(day.slice(5, 7)) - 1) / 3) + 1}`;
}

/**
 * The instant whose state a report on the period describes: the period's end, or `now` while the
 * period is still running. Null for a period that has not started.
 */
export function stateInstantOf(period: ReportPeriod, now: Date): Date | null {
  if (now < period.start) return null;
  return now < period.end ? now : period.end;
}
