/**
 * The 政务诚信 monitoring report of one period at one level (province, city, county, or subject):
 * indicators per unit, the score (src/domain/integrity-score.ts) and the ranking. The heavy part
 * (records → per-region counts) runs in PostgreSQL (indicators.ts, handling-indicators.ts; the
 * statements are in src/store/indicators-repo.ts); this file rolls the counts up to the requested
 * level, scores and ranks them.
 *
 * Distinct-subject counts (debtorSubjects) are summed over the regions of a unit: a subject's records
 * carry its one region (derived from its USCC), so the sum counts each subject once.
 */
import pg from 'pg';
import type { Queryable } from '../store/db.js';
import { inReportSnapshot, latestSubjectNames, withReportSettings } from '../store/indicators-repo.js';
import type { CategoryId } from '../domain/catalogue.js';
import { integrityScore, penaltyOf, rankByScore, type ScoreWeights } from '../domain/integrity-score.js';
import { REGION_CODE_EDITION, displayName, isRegionCode, knownUnitsAt, rollUp, type RegionLevel } from '../domain/regions.js';
import { handlingIndicators, type HandlingRow } from './handling-indicators.js';
import { indicatorRows, type IndicatorRow } from './indicators.js';
import { stateInstantOf, type ReportPeriod } from './report-period.js';

export type ReportLevel = RegionLevel | 'subject';

export const REPORT_LEVELS: readonly ReportLevel[] = ['province', 'city', 'county', 'subject'];

export interface UnitIndicators {
  code: string;
  name: string;
  activeNegative: {
    total: number;
    bySeverity: { severe: number; general: number; minor: number };
    byCategory: Partial<Record<CategoryId, number>>;
  };
  newInPeriod: { total: number; bySeverity: { severe: number; general: number; minor: number } };
  debtorSubjects: number;
  unresolvedPaymentDefaults: number;
  objections: { handled: number; pastDeadline: number } | null;
  repairs: { handled: number; pastDeadline: number } | null;
  penalty: number;
  score: number;
}

export interface ReportRow extends UnitIndicators {
  rank: number;
}

export interface IntegrityReport {
  period: { id: string; start: string; end: string };
  level: ReportLevel;
  regionPrefix: string | null;
  /** the instant whose state the report describes */
  stateAt: string;
  generatedAt: string;
  regionCodes: string;
  weights: ScoreWeights;
  /** false until the lifecycle tables (objections, repairs) exist */
  handlingAvailable: boolean;
  rows: ReportRow[];
}

export interface ReportRequest {
  period: ReportPeriod;
  level: ReportLevel;
  regionPrefix?: string | undefined;
  weights: ScoreWeights;
  now?: Date;
}

/**
 * Runs the report's queries on one snapshot (REPEATABLE READ, read only), so indicators, handling
 * counts and names agree, with the settings for one large aggregate (no JIT, more work_mem: see
 * src/store/indicators-repo.ts). Given a client, the caller's transaction is used.
 */
function inReportTransaction<T>(db: pg.Pool | pg.ClientBase, fn: (client: Queryable) => Promise<T>): Promise<T> {
  return db instanceof pg.Pool ? inReportSnapshot(db, fn) : withReportSettings(db, fn);
}

function emptyUnit(code: string, name: string, withHandling: boolean): UnitIndicators {
  return {
    code,
    name,
    activeNegative: { total: 0, bySeverity: { severe: 0, general: 0, minor: 0 }, byCategory: {} },
    newInPeriod: { total: 0, bySeverity: { severe: 0, general: 0, minor: 0 } },
    debtorSubjects: 0,
    unresolvedPaymentDefaults: 0,
    objections: withHandling ? { handled: 0, pastDeadline: 0 } : null,
    repairs: withHandling ? { handled: 0, pastDeadline: 0 } : null,
    penalty: 0,
    score: 100,
  };
}

function addIndicators(u: UnitIndicators, r: IndicatorRow): void {
  u.activeNegative.total += r.active;
  u.newInPeriod.total += r.newInPeriod;
  if (r.severity === 'severe' || r.severity === 'general' || r.severity === 'minor') {
    u.activeNegative.bySeverity[r.severity] += r.active;
    u.newInPeriod.bySeverity[r.severity] += r.newInPeriod;
  }
  if (r.active) {
    const cat = r.category as CategoryId;
    u.activeNegative.byCategory[cat] = (u.activeNegative.byCategory[cat] ?? 0) + r.active;
  }
  u.debtorSubjects += r.debtorSubjects;
  u.unresolvedPaymentDefaults += r.unresolvedPaymentDefaults;
}

function addHandling(u: UnitIndicators, h: HandlingRow): void {
  if (!u.objections || !u.repairs) return;
  u.objections.handled += h.objectionsHandled;
  u.objections.pastDeadline += h.objectionsPastDeadline;
  u.repairs.handled += h.repairsHandled;
  u.repairs.pastDeadline += h.repairsPastDeadline;
}

function scoreUnit(u: UnitIndicators, weights: ScoreWeights): void {
  const inputs = {
    activeSevere: u.activeNegative.bySeverity.severe,
    activeGeneral: u.activeNegative.bySeverity.general,
    activeMinor: u.activeNegative.bySeverity.minor,
    debtorSubjects: u.debtorSubjects,
    unresolvedPaymentDefaults: u.unresolvedPaymentDefaults,
    objectionsPastDeadline: u.objections?.pastDeadline ?? 0,
    repairsPastDeadline: u.repairs?.pastDeadline ?? 0,
  };
  u.penalty = penaltyOf(inputs, weights);
  u.score = integrityScore(inputs, weights);
}

/** The unit code a stored region (or USCC) counts under at `level`; null when it is coarser than the level. */
function unitOf(code: string, level: ReportLevel): string | null {
  if (level === 'subject') return code;
  return isRegionCode(code) ? rollUp(code, level) : null;
}

/** Builds the report. `db`: a pool, or a client inside a transaction (the alert detector's). */
export async function buildIntegrityReport(db: pg.Pool | pg.ClientBase, req: ReportRequest): Promise<IntegrityReport> {
  return inReportTransaction(db, async (client) => (await buildOnSnapshot(client, req, [req.level]))[0]!);
}

/** The reports of several region levels from one pass over the records (the alert detector's use). */
export async function buildRegionReports(
  db: pg.Pool | pg.ClientBase,
  req: Omit<ReportRequest, 'level'>,
  levels: readonly RegionLevel[],
): Promise<IntegrityReport[]> {
  return inReportTransaction(db, (client) => buildOnSnapshot(client, { ...req, level: levels[0] ?? 'city' }, levels));
}

async function buildOnSnapshot(db: Queryable, req: ReportRequest, levels: readonly ReportLevel[]): Promise<IntegrityReport[]> {
  const now = req.now ?? new Date();
  const at = stateInstantOf(req.period, now);
  const unitKind = req.level === 'subject' ? 'subject' : 'region';
  const query = { period: req.period, at: at ?? req.period.start, unit: unitKind, regionPrefix: req.regionPrefix } as const;
  const indicators = at ? await indicatorRows(db, query) : [];
  const handling = at ? await handlingIndicators(db, query) : { available: false, rows: [] };
  const reports: IntegrityReport[] = [];
  for (const level of levels) {
    const units = await unitsAt(db, level, req.regionPrefix, indicators, handling);
    for (const u of units.values()) scoreUnit(u, req.weights);
    const ranked = rankByScore([...units.values()], (u) => u.score, (u) => u.code);
    reports.push({
      period: { id: req.period.id, start: req.period.start.toISOString(), end: req.period.end.toISOString() },
      level,
      regionPrefix: req.regionPrefix ?? null,
      stateAt: (at ?? req.period.start).toISOString(),
      generatedAt: now.toISOString(),
      regionCodes: REGION_CODE_EDITION,
      weights: req.weights,
      handlingAvailable: handling.available,
      rows: ranked.map(({ rank, item }) => ({ rank, ...item })),
    });
  }
  return reports;
}

/** The per-region (or per-subject) rows summed into the units of one level. */
async function unitsAt(
  db: Queryable,
  level: ReportLevel,
  regionPrefix: string | undefined,
  indicators: IndicatorRow[],
  handling: { available: boolean; rows: HandlingRow[] },
): Promise<Map<string, UnitIndicators>> {
  const units = new Map<string, UnitIndicators>();
  const unitFor = (code: string) => {
    let u = units.get(code);
    if (!u) units.set(code, (u = emptyUnit(code, level === 'subject' ? code : displayName(code), handling.available)));
    return u;
  };
  // With a region filter, every known unit of that area is listed, also those with nothing against them.
  if (regionPrefix && level !== 'subject') for (const code of knownUnitsAt(level, regionPrefix)) unitFor(code);
  for (const r of indicators) {
    const code = unitOf(r.unit, level);
    if (code) addIndicators(unitFor(code), r);
  }
  for (const h of handling.rows) {
    const code = unitOf(h.unit, level);
    if (code) addHandling(unitFor(code), h);
  }
  if (level === 'subject') {
    const names = await latestSubjectNames(db, [...units.keys()]);
    for (const u of units.values()) u.name = names.get(u.code) ?? u.code;
  }
  return units;
}
