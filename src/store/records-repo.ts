/**
 * Writing records: current row, one version row per change — with the destinations its events are for
 * and its place in the relay's feed — and the change-feed position, all on the caller's transaction, so
 * they commit or vanish together. Same content → unchanged: no version, no event.
 */
import type pg from 'pg';
import { eventsFor, type LifecycleEventType } from '../domain/lifecycle.js';
import {
  contentHashOf, contentOfEnvelope, isPendingSubject, subjectKeyOf, withResolvedUscc,
  type RecordContent, type RecordEnvelope, type RecordStatus,
} from '../domain/record.js';
import { orgCodeOfUscc } from '../domain/uscc.js';
import { joinFeedWriters } from './feed-horizon.js';
import { destinationsThatHad } from './outbox-repo.js';
import { DERIVED_COLUMNS, derivedColumnParams, derivedColumnsOf, derivedUnnests, RECORDS_WITH_CURRENT_ENVELOPE } from './record-columns.js';
import { isMaskedPersonalId, maskedIdentityOf } from '../domain/personal-id.js';
import { withFields } from '../domain/with-fields.js';
import {
  learnPersons, learnSubjects, lockPendingRecords, resolvePersonKeys, resolveUsccs, type KnownPerson, type SubjectFact,
} from './subjects-repo.js';
import { binaryArray } from './binary-array.js';

/** A validated record ready to store: the id and hash are already computed. */
export interface PreparedRecord {
  recordId: string;
  subjectKey: string;
  content: RecordContent;
  contentHash: string;
  fetchedAt?: string;
}

/**
 * Which destinations a change's events are for (src/outbox/outbox.ts decides it from the configuration).
 * They are written with the version; the relay (src/publish/relay.ts) publishes the events from there.
 */
export interface RecordEventRouting {
  /** the destinations whose rules take a record created or changed in content */
  destinationsFor(record: RecordEnvelope): string[];
  /** of the destinations that had a record, those still configured: its status moves are told to them */
  stillConfigured(had: ReadonlySet<string>): string[];
}

export type RecordChangeType = LifecycleEventType;

/** A record locked by this transaction, as read under the lock: where a status move starts. */
export interface LockedRecord {
  current: RecordEnvelope;
  subjectKey: string;
}

/** One event of a status move: the record's version it announces. */
interface StatusEvent {
  envelope: RecordEnvelope;
  subjectKey: string;
  type: RecordChangeType;
}

export interface WriteContext {
  /** who made the change: partner id, connector name, operator */
  actor: string;
  /** the destinations of the change's events */
  outbox: RecordEventRouting;
  now?: Date;
  /** whether the writer may change a stored record of this category and region (a partner's grant); absent = any */
  mayChange?: (stored: { category: string; region: string }) => boolean;
}

/** Thrown (so the transaction rolls back whole) when a batch would change stored records its writer may not change. */
export class ChangeNotAllowed extends Error {
  constructor(readonly recordIds: string[]) {
    super(`the writer may not change ${recordIds.length} stored record(s)`);
  }
}

export type WriteResult = 'created' | 'updated' | 'unchanged';

export interface WriteOutcome {
  recordId: string;
  result: WriteResult;
  version: number;
}

interface CurrentRow {
  record_id: string;
  category: string;
  region: string;
  version: number;
  content_hash: string;
  status: RecordStatus;
  created_at: Date;
}

async function lockCurrent(client: pg.ClientBase, ids: string[]): Promise<Map<string, CurrentRow>> {
  if (!ids.length) return new Map();
  const { rows } = await client.query<CurrentRow>(
    `SELECT record_id, category, region, version, content_hash, status, created_at FROM records
      WHERE record_id = ANY($1::uuid[]) ORDER BY record_id FOR UPDATE`,
    [binaryArray('uuid', ids)],
  );
  return new Map(rows.map((r) => [r.record_id, r]));
}

function envelopeOf(p: PreparedRecord, status: RecordStatus, version: number, createdAt: string, updatedAt: string): RecordEnvelope {
  const source = p.fetchedAt ? withFields(p.content.source, { fetchedAt: p.fetchedAt }) : p.content.source;
  // not a spread: see withFields
  return Object.assign({ recordId: p.recordId }, p.content, { source, status, version, contentHash: p.contentHash, createdAt, updatedAt });
}

/**
 * Stores a batch of prepared records (distinct record ids) and returns one outcome per item, in order.
 *
 * The subject registry at write time: a pending organisation's record takes the USCC the registry
 * knows for its organisation code or name (so a source that sends it again without one finds it
 * unchanged); every subject with a USCC in the batch is learned — before the first write to `records`
 * joins the change feed's writers (joinFeedWriters), so a feed reader's horizon, which waits for those
 * writers, does not wait for the registry's rows too — and after the write, records waiting for one of
 * those codes or names are completed as a new version and published (actor `subject-registry`).
 */
export async function writeRecords(client: pg.ClientBase, items: PreparedRecord[], ctx: WriteContext): Promise<WriteOutcome[]> {
  // persons named by a full number are learned first, so a masked number in the same batch finds them
  await learnPersons(client, items.flatMap(knownPersonOf));
  const resolved = await withKnownPersonKeys(client, await withRegistryUsccs(client, items));
  const learned = resolved.flatMap(({ content: { subject: s } }) => (s.uscc ? [{ uscc: s.uscc, name: s.name, region: s.region }] : []));
  await learnSubjects(client, learned, 'record');
  const outcomes = await writeResolved(client, resolved, ctx);
  await completeRecordsWaitingFor(client, learned, ctx.outbox, ctx.now);
  return outcomes;
}

/**
 * Teaches the registry these subjects and completes the pending records that waited for one of their
 * organisation codes or names (new versions, published). Also what a registration import does.
 */
export async function learnSubjectsAndComplete(
  client: pg.ClientBase, facts: SubjectFact[], learnedFrom: 'record' | 'import', outbox: RecordEventRouting, now?: Date,
): Promise<number> {
  await learnSubjects(client, facts, learnedFrom);
  return completeRecordsWaitingFor(client, facts, outbox, now);
}

/** Completes the pending records that waited for one of these subjects' organisation codes or names. */
async function completeRecordsWaitingFor(client: pg.ClientBase, facts: SubjectFact[], outbox: RecordEventRouting, now?: Date): Promise<number> {
  if (!facts.length) return 0;
  return completePendingRecords(client, facts.map((f) => orgCodeOfUscc(f.uscc)), facts.flatMap((f) => [f.name, ...(f.formerNames ?? [])]), {
    actor: SUBJECT_REGISTRY_ACTOR, outbox, ...(now ? { now } : {}),
  });
}

/** The items, pending organisations completed with the USCC the registry knows for them. */
async function withRegistryUsccs(client: pg.ClientBase, items: PreparedRecord[]): Promise<PreparedRecord[]> {
  const waiting = items.filter((p) => isPendingSubject(p.content.subject));
  if (!waiting.length) return items;
  const orgCodes = waiting.flatMap((p) => (p.content.subject.orgCode ? [p.content.subject.orgCode] : []));
  const { byOrgCode, byName } = await resolveUsccs(client, orgCodes, waiting.map((p) => p.content.subject.name));
  if (!byOrgCode.size && !byName.size) return items;
  return items.map((p) => {
    if (!isPendingSubject(p.content.subject)) return p;
    const uscc = (p.content.subject.orgCode && byOrgCode.get(p.content.subject.orgCode)) ?? byName.get(p.content.subject.name);
    return uscc ? preparedWithUscc(p, uscc) : p;
  });
}

/**
 * Persons named by a masked identity number take the subject key of the one known person (named by a
 * full number) with the same visible characters and name, so a number the gateway published masked and
 * a partner sends back is the same person; no match, or several, leaves the key of the masked number.
 */
async function withKnownPersonKeys(client: pg.ClientBase, items: PreparedRecord[]): Promise<PreparedRecord[]> {
  const maskedIdOf = (p: PreparedRecord): string | null => {
    const { kind, idNumber } = p.content.subject;
    return kind === 'person' && idNumber && isMaskedPersonalId(idNumber) ? maskedIdentityOf(idNumber) : null;
  };
  const wanted = items.flatMap((p) => {
    const maskedId = maskedIdOf(p);
    return maskedId ? [{ maskedId, name: p.content.subject.name }] : [];
  });
  if (!wanted.length) return items;
  const keys = await resolvePersonKeys(client, wanted);
  if (!keys.size) return items;
  return items.map((p) => {
    const key = keys.get(`${maskedIdOf(p)}\u0000${p.content.subject.name}`);
    return key ? { ...p, subjectKey: key } : p;
  });
}

/** The person an item names by a full identity number, for the masked numbers to find later. */
function knownPersonOf(p: PreparedRecord): KnownPerson[] {
  const { kind, idNumber, name } = p.content.subject;
  if (kind !== 'person' || !idNumber || isMaskedPersonalId(idNumber)) return [];
  const maskedId = maskedIdentityOf(idNumber);
  return maskedId ? [{ maskedId, name, subjectKey: p.subjectKey }] : [];
}

function preparedWithUscc(p: PreparedRecord, uscc: string): PreparedRecord {
  const content = withResolvedUscc(p.content, uscc);
  return { ...p, content, contentHash: contentHashOf(content), subjectKey: subjectKeyOf(content.subject) };
}

/** Records that waited for one of these organisation codes or names, completed now that the registry knows them; how many. */
async function completePendingRecords(client: pg.ClientBase, orgCodes: string[], names: string[], ctx: WriteContext): Promise<number> {
  const waiting = await lockPendingRecords(client, orgCodes, names);
  if (!waiting.length) return 0;
  const prepared = waiting.map(({ envelope }) => {
    const content = contentOfEnvelope(envelope);
    return { recordId: envelope.recordId, subjectKey: subjectKeyOf(content.subject), content, contentHash: contentHashOf(content) };
  });
  const completed = await withRegistryUsccs(client, prepared);
  const changed = completed.filter((p) => !isPendingSubject(p.content.subject));
  if (changed.length) await writeResolved(client, changed, ctx);
  return changed.length;
}

export const SUBJECT_REGISTRY_ACTOR = 'subject-registry';

async function writeResolved(client: pg.ClientBase, items: PreparedRecord[], ctx: WriteContext): Promise<WriteOutcome[]> {
  const now = (ctx.now ?? new Date()).toISOString();
  const outcomes = new Map<string, WriteOutcome>();
  const created: RecordEnvelope[] = [];
  const updated: RecordEnvelope[] = [];
  const byId = new Map(items.map((p) => [p.recordId, p]));

  let pending = items;
  // Two rounds at most: a record inserted concurrently by another transaction is handled as an update.
  for (let round = 0; round < 2 && pending.length; round++) {
    const current = await lockCurrent(client, pending.map((p) => p.recordId));
    const notAllowed = ctx.mayChange ? [...current.values()].filter((row) => !ctx.mayChange!(row)) : [];
    if (notAllowed.length) throw new ChangeNotAllowed(notAllowed.map((row) => row.record_id));
    const fresh: RecordEnvelope[] = [];
    for (const p of pending) {
      const row = current.get(p.recordId);
      if (!row) {
        fresh.push(envelopeOf(p, 'active', 1, now, now));
      } else if (row.content_hash === p.contentHash) {
        outcomes.set(p.recordId, { recordId: p.recordId, result: 'unchanged', version: row.version });
      } else {
        // new content keeps the status; a removed or corrected record then moves back to active (below)
        const env = envelopeOf(p, row.status, row.version + 1, row.created_at.toISOString(), now);
        updated.push(env);
        outcomes.set(p.recordId, { recordId: p.recordId, result: 'updated', version: env.version });
      }
    }
    // The first write joins the change feed's writers (feed-horizon.ts); rows locked above were locked before.
    if (round === 0 && (fresh.length || updated.length)) await joinFeedWriters(client);
    const inserted = await insertRecords(client, fresh, byId, ctx);
    for (const env of fresh) {
      if (inserted.has(env.recordId)) {
        created.push(env);
        outcomes.set(env.recordId, { recordId: env.recordId, result: 'created', version: 1 });
      }
    }
    pending = fresh.filter((env) => !inserted.has(env.recordId)).map((env) => byId.get(env.recordId)!);
  }
  if (pending.length) throw new Error(`could not settle concurrent writes for ${pending.length} records`);

  await updateRecords(client, updated, byId, ctx);
  for (const [status, reason] of Object.entries(BROUGHT_BACK_BY_NEW_CONTENT)) {
    const back = updated.filter((e) => e.status === status).map((env) => ({ current: env, subjectKey: byId.get(env.recordId)!.subjectKey }));
    for (const last of await writeStatusMoves(client, back, 'active', { ...ctx, reason })) {
      outcomes.set(last.recordId, { recordId: last.recordId, result: 'updated', version: last.version });
    }
  }
  return items.map((p) => outcomes.get(p.recordId)!);
}

/**
 * A source that lists a removed record again with new content, or sends the correction of a corrected
 * one, brings it back (lifecycle actions relist / republish): the new content is version N
 * (record.upserted), the return to active N + 1 (record.status_changed). Other states keep their lifecycle.
 */
const BROUGHT_BACK_BY_NEW_CONTENT: Partial<Record<RecordStatus, string>> = {
  removed: 'listed again by the source with new content',
  corrected: 'corrected content sent by the source',
};

/**
 * A version's events (src/store/migrations/025): the destinations they are for, a position in the
 * relay's feed, and their Kafka key — none of them when it has no destination. `destinations` is the
 * SQL of the names, space-separated (destination names have no spaces: src/config/schema.ts). The
 * position comes from the change feed's sequence: the writer holds the change-feed lock by then.
 */
const FEED_COLUMNS = 'feed_seq, destinations, message_key';
function feedValues(destinations: string, key: string): string {
  return `CASE WHEN ${destinations} <> '' THEN nextval('records_change_seq') END, string_to_array(NULLIF(${destinations}, ''), ' '),
          CASE WHEN ${destinations} <> '' THEN ${key} END`;
}

/** Inserts new records and their first version (which holds the envelope) in one statement; returns the ids actually inserted. */
async function insertRecords(client: pg.ClientBase, envs: RecordEnvelope[], byId: Map<string, PreparedRecord>, ctx: WriteContext): Promise<Set<string>> {
  if (!envs.length) return new Set();
  const { rows } = await client.query<{ record_id: string }>(
    `WITH input AS (
       SELECT * FROM ROWS FROM (unnest($1::uuid[]), unnest($2::text[]), unnest($3::text[]), unnest($4::text[]), unnest($5::text[]), unnest($6::text[]),
                                unnest($7::json[]), unnest($10::bool[]), unnest($11::text[]), ${derivedUnnests(12)})
         AS r(id, category, subject_key, uscc, region, hash, envelope, pending, destinations, ${DERIVED_COLUMNS})),
     inserted AS (
       INSERT INTO records (record_id, category, subject_key, uscc, region, status, version, content_hash, created_at, updated_at, change_seq, pending,
                            ${DERIVED_COLUMNS})
       SELECT r.id, r.category, r.subject_key, r.uscc, r.region, 'active', 1, r.hash, $8, $8, nextval('records_change_seq'), r.pending,
              ${derivedColumnsOf('r')}
         FROM input r
       ON CONFLICT (record_id) DO NOTHING
       RETURNING record_id, content_hash, created_at)
     INSERT INTO record_versions (record_id, version, change_kind, status, content_hash, envelope, actor, reason, recorded_at, ${FEED_COLUMNS})
     SELECT i.record_id, 1, 'created', 'active', i.content_hash, r.envelope, $9, NULL, i.created_at, ${feedValues('r.destinations', 'r.subject_key')}
       FROM inserted i JOIN input r ON r.id = i.record_id
     RETURNING record_id`,
    [
      binaryArray('uuid', envs.map((e) => e.recordId)),
      binaryArray('text', envs.map((e) => e.category)),
      binaryArray('text', envs.map((e) => byId.get(e.recordId)!.subjectKey)),
      binaryArray('text', envs.map((e) => e.subject.uscc)),
      binaryArray('text', envs.map((e) => e.subject.region)),
      binaryArray('text', envs.map((e) => e.contentHash)),
      binaryArray('json', envs),
      envs[0]!.createdAt,
      ctx.actor,
      binaryArray('bool', envs.map((e) => isPendingSubject(e.subject))),
      binaryArray('text', envs.map((e) => ctx.outbox.destinationsFor(e).join(' '))),
      ...derivedColumnParams(envs),
    ],
  );
  return new Set(rows.map((r) => r.record_id));
}

/** Records whose content changed: the current row takes the new content's columns, and the new version (with its envelope) is added. */
async function updateRecords(client: pg.ClientBase, envs: RecordEnvelope[], byId: Map<string, PreparedRecord>, ctx: WriteContext): Promise<void> {
  if (!envs.length) return;
  await client.query(
    `WITH input AS (
       SELECT * FROM ROWS FROM (unnest($1::uuid[]), unnest($2::text[]), unnest($3::text[]), unnest($4::text[]), unnest($5::text[]),
                                unnest($6::text[]), unnest($7::int[]), unnest($8::text[]), unnest($9::json[]), unnest($10::text[]),
                                unnest($11::bool[]), unnest($13::text[]), ${derivedUnnests(14)})
         AS r(id, category, subject_key, uscc, region, status, version, hash, envelope, updated_at, pending, destinations, ${DERIVED_COLUMNS})),
     updated AS (
       UPDATE records AS t
          SET category = r.category, subject_key = r.subject_key, uscc = r.uscc, region = r.region, status = r.status,
              version = r.version, content_hash = r.hash, updated_at = r.updated_at::timestamptz,
              change_seq = nextval('records_change_seq'), pending = r.pending,
              (${DERIVED_COLUMNS}) = ROW(${derivedColumnsOf('r')})
         FROM input r
        WHERE t.record_id = r.id)
     INSERT INTO record_versions (record_id, version, change_kind, status, content_hash, envelope, actor, reason, recorded_at, ${FEED_COLUMNS})
     SELECT r.id, r.version, 'updated', r.status, r.hash, r.envelope, $12, NULL, r.updated_at::timestamptz, ${feedValues('r.destinations', 'r.subject_key')}
       FROM input r`,
    [
      binaryArray('uuid', envs.map((e) => e.recordId)),
      binaryArray('text', envs.map((e) => e.category)),
      binaryArray('text', envs.map((e) => byId.get(e.recordId)!.subjectKey)),
      binaryArray('text', envs.map((e) => e.subject.uscc)),
      binaryArray('text', envs.map((e) => e.subject.region)),
      binaryArray('text', envs.map((e) => e.status)),
      binaryArray('int4', envs.map((e) => e.version)),
      binaryArray('text', envs.map((e) => e.contentHash)),
      binaryArray('json', envs),
      binaryArray('text', envs.map((e) => e.updatedAt)),
      binaryArray('bool', envs.map((e) => isPendingSubject(e.subject))),
      ctx.actor,
      binaryArray('text', envs.map((e) => ctx.outbox.destinationsFor(e).join(' '))),
      ...derivedColumnParams(envs),
    ],
  );
}

interface VersionRow {
  envelope: RecordEnvelope;
  changeKind: 'created' | 'updated' | 'status_changed' | 'retracted';
  actor: string;
  reason: string | null;
  /** the destinations of its events, and their key */
  destinations: readonly string[];
  messageKey: string;
}

async function insertVersions(client: pg.ClientBase, rows: VersionRow[]): Promise<void> {
  if (!rows.length) return;
  await client.query(
    `INSERT INTO record_versions (record_id, version, change_kind, status, content_hash, envelope, actor, reason, recorded_at, ${FEED_COLUMNS})
     SELECT r.id, r.version, r.kind, r.status, r.hash, r.envelope, r.actor, r.reason, r.at::timestamptz, ${feedValues('r.destinations', 'r.message_key')}
       FROM ROWS FROM (unnest($1::uuid[]), unnest($2::int[]), unnest($3::text[]), unnest($4::text[]), unnest($5::text[]),
                       unnest($6::json[]), unnest($7::text[]), unnest($8::text[]), unnest($9::text[]), unnest($10::text[]),
                       unnest($11::text[]))
         AS r(id, version, kind, status, hash, envelope, actor, reason, at, destinations, message_key)`,
    [
      binaryArray('uuid', rows.map((r) => r.envelope.recordId)),
      binaryArray('int4', rows.map((r) => r.envelope.version)),
      binaryArray('text', rows.map((r) => r.changeKind)),
      binaryArray('text', rows.map((r) => r.envelope.status)),
      binaryArray('text', rows.map((r) => r.envelope.contentHash)),
      binaryArray('json', rows.map((r) => r.envelope)),
      binaryArray('text', rows.map((r) => r.actor)),
      binaryArray('text', rows.map((r) => r.reason)),
      binaryArray('text', rows.map((r) => r.envelope.updatedAt)),
      binaryArray('text', rows.map((r) => r.destinations.join(' '))),
      binaryArray('text', rows.map((r) => r.messageKey)),
    ],
  );
}

/**
 * Moves one record (locked here, lockRecordsToMove) to a new status and queues the move's events to every destination
 * that had received the record: `record.status_changed`, and `record.retracted` when the record must
 * no longer be shown (eventsFor). Used by the lifecycle (objections, repairs) and by connectors
 * (removal, relisting).
 */
export async function writeStatusChange(
  client: pg.ClientBase,
  recordId: string,
  status: RecordStatus,
  ctx: WriteContext & { reason: string | null },
): Promise<RecordEnvelope> {
  const [locked] = await lockRecordsToMove(client, [recordId]);
  if (!locked) throw new Error(`record ${recordId} not found`);
  const [moved] = await writeStatusMoves(client, [locked], status, ctx);
  return moved!;
}

/**
 * Moves records the caller has locked in this transaction (their current envelopes, as read under
 * the lock) to one new status, in a fixed number of statements whatever their number (the expiry
 * job moves thousands at a time). Each move is written as versions, one per event, so every event of
 * a record has a strictly higher version than the one before: N+1 `status_changed`
 * (record.status_changed), and for a retraction N+2 `retracted` (record.retracted); the current row
 * ends at the last of them; a move's own `reason` is written instead of the context's. Returns the
 * records' new envelopes, in the order given (each record once).
 */
export async function writeStatusMoves(
  client: pg.ClientBase,
  moves: ReadonlyArray<LockedRecord & { reason?: string }>,
  status: RecordStatus,
  ctx: WriteContext & { reason: string | null },
): Promise<RecordEnvelope[]> {
  if (!moves.length) return [];
  await joinFeedWriters(client);
  const updatedAt = (ctx.now ?? new Date()).toISOString();
  const moved = moves.map((m) => ({
    reason: m.reason ?? ctx.reason,
    events: eventsFor(status).map((type, i): StatusEvent => ({
      type, subjectKey: m.subjectKey, envelope: { ...m.current, status, version: m.current.version + 1 + i, updatedAt },
    })),
  }));
  const lasts = moved.map((m) => m.events[m.events.length - 1]!.envelope);
  const had = await destinationsThatHad(client, lasts.map((e) => e.recordId));
  await client.query(
    `UPDATE records r SET status = $3, version = m.version, updated_at = $4, change_seq = nextval('records_change_seq')
       FROM unnest($1::uuid[], $2::int[]) AS m(id, version)
      WHERE r.record_id = m.id`,
    [lasts.map((e) => e.recordId), lasts.map((e) => e.version), status, updatedAt],
  );
  await insertVersions(client, moved.flatMap((m) => m.events.map(({ type, envelope, subjectKey }) => ({
    envelope, changeKind: type === 'record.retracted' ? 'retracted' : 'status_changed', actor: ctx.actor, reason: m.reason,
    destinations: ctx.outbox.stillConfigured(had.get(envelope.recordId) ?? new Set()), messageKey: subjectKey,
  }))));
  return lasts;
}

/** Which of these records are `removed` (a connector's relisting asks before it locks any). */
export async function removedAmong(client: pg.ClientBase, recordIds: string[]): Promise<string[]> {
  const { rows } = await client.query<{ record_id: string }>(
    `SELECT record_id FROM records WHERE record_id = ANY($1::uuid[]) AND status = 'removed' ORDER BY record_id`,
    [recordIds],
  );
  return rows.map((r) => r.record_id);
}

/** The record, locked until the transaction ends; null when there is none. */
export async function lockRecordEnvelope(client: pg.ClientBase, recordId: string): Promise<RecordEnvelope | null> {
  const { rows } = await client.query<{ envelope: RecordEnvelope }>(
    `SELECT v.envelope FROM ${RECORDS_WITH_CURRENT_ENVELOPE} WHERE r.record_id = $1 FOR UPDATE OF r`, [recordId],
  );
  return rows[0]?.envelope ?? null;
}

/** These records (those that exist), locked in record id order, as status moves start from them. */
export async function lockRecordsToMove(client: pg.ClientBase, recordIds: readonly string[]): Promise<LockedRecord[]> {
  const { rows } = await client.query<{ envelope: RecordEnvelope; subject_key: string }>(
    `SELECT v.envelope, r.subject_key FROM ${RECORDS_WITH_CURRENT_ENVELOPE} WHERE r.record_id = ANY($1::uuid[]) ORDER BY r.record_id FOR UPDATE OF r`,
    [recordIds],
  );
  return rows.map((r) => ({ current: r.envelope, subjectKey: r.subject_key }));
}

/**
 * The expiry job's batch ($1 today, $2 the limit): the current rows are picked and locked first, by
 * records_expiry_idx in its order (the scan stops at the limit), and only those rows' envelopes are
 * read. Sorting after the join instead made PostgreSQL read and sort every expiring envelope for each
 * batch (migration 018 says what that cost).
 */
export const LOCK_EXPIRING = `WITH expiring AS (
       SELECT record_id, version, publish_until, subject_key FROM records
        WHERE status IN ('active', 'repair_requested') AND publish_until IS NOT NULL AND publish_until < $1
        ORDER BY publish_until, record_id
        LIMIT $2
        FOR UPDATE SKIP LOCKED)
     SELECT v.envelope, e.subject_key FROM expiring e JOIN record_versions v ON v.record_id = e.record_id AND v.version = e.version
      ORDER BY e.publish_until, e.record_id`;

/**
 * Up to `limit` published records whose publication ended before `today`, oldest end first, locked;
 * records another transaction holds are skipped (two expiry runs never take the same record).
 */
export async function lockExpiringRecords(client: pg.ClientBase, today: string, limit: number): Promise<LockedRecord[]> {
  const { rows } = await client.query<{ envelope: RecordEnvelope; subject_key: string }>(LOCK_EXPIRING, [today, limit]);
  return rows.map((r) => ({ current: r.envelope, subjectKey: r.subject_key }));
}
