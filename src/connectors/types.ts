/**
 * What a connector (connectors/<name>/index.ts) gives the framework: how to page through its source
 * and how to map one source row to a RecordInput. The framework does the rest (HTTP politeness,
 * validation, storage, cursors, quarantine, removal, run history).
 */
import type { ConnectorInstanceConfig } from '../config/types.js';
import type { RecordInput } from '../domain/record.js';
import type { FieldError } from '../errors.js';
import type { SourceHttpClient } from './http-client.js';

/** Where the next fetch starts; connector-specific plain JSON, stored in connector_state.cursor. */
export type PageCursor = Record<string, string | number | null>;

export interface SourcePage {
  /** the page's URL (kept as the records' source URL unless a row has its own) */
  url: string;
  rows: unknown[];
  /** where the following page starts; null when this was the last page of the pass */
  next: PageCursor | null;
  /** on the last page: what the pass learned, handed to nextPassCursor (e.g. the latest date seen) */
  after?: PageCursor;
}

/** Something about the source the mapping does not know: never defaulted, always recorded. */
export interface SourceIssue {
  /** value_warning: a value kept or dropped with a warning (field = the source field, value = the rule) */
  kind: 'unknown_field' | 'unknown_code' | 'value_warning';
  field: string;
  value?: string;
}

export type MapResult =
  | { ok: true; key: string; input: RecordInput; issues: SourceIssue[] }
  /** key is given when the row's natural key could still be read (the row then still counts as listed) */
  | { ok: false; key?: string; errors: FieldError[]; issues: SourceIssue[] };

/** The source marks the row deleted (a deletion flag): its record, if there is one, is withdrawn. */
export interface WithdrawnRow {
  ok: true;
  withdrawn: true;
  key: string;
  issues: SourceIssue[];
}

/** What a source's mapRow gives for one record of a row. */
export type RowResult = MapResult | WithdrawnRow;

export interface MapEnv {
  /** record.source.system for this connector instance */
  system: string;
  /** when the page was fetched (RFC 3339) */
  fetchedAt: string;
  pageUrl: string;
  config: ConnectorInstanceConfig;
}

export interface FetchEnv {
  http: SourceHttpClient;
  config: ConnectorInstanceConfig;
}

export interface ConnectorSource {
  /** the source file's id (`<connector>/<variant>`), or the instance's name for an inline one */
  id: string;
  title: string;
  /** default record.source.system */
  system: string;
  /** the character set the source uses whatever it declares (an instance's `encoding` overrides it) */
  charset?: string;
  /** true when each pass lists every current row, so rows missing from passes can be marked removed */
  completeListing(config: ConnectorInstanceConfig): boolean;
  /** where a brand-new connector starts */
  firstCursor(config: ConnectorInstanceConfig): PageCursor;
  /** where the pass after a finished one starts, given the last page's `after` (default: firstCursor) */
  nextPassCursor?(config: ConnectorInstanceConfig, after: PageCursor): PageCursor;
  fetchPage(env: FetchEnv, cursor: PageCursor): Promise<SourcePage>;
  /** One result per record the row yields: usually one; none when the row is out of scope (filtered). */
  mapRow(row: unknown, env: MapEnv): RowResult[];
  /**
   * Rows of this source can be marked deleted and later undeleted: a row mapped to unchanged content
   * whose record is `removed` brings it back (relist) even outside a complete listing.
   */
  relistsUnchanged?: boolean;
  /** Tells the source each row's verdict, before the page commits (exchange databases write it back). */
  writeVerdicts?(config: ConnectorInstanceConfig, verdicts: RowVerdict[]): Promise<void>;
  /** Ends what a run opened (connections), however the run ends. */
  endRun?(): Promise<void>;
}

/** What became of one source row: accepted (stored, unchanged, withdrawn or skipped), or rejected with its errors. */
export interface RowVerdict {
  row: unknown;
  accepted: boolean;
  errors: FieldError[];
}
