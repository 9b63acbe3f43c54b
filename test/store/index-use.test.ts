/**
 * Every index on the store's tables is there for a query of the code, or for a rule it enforces.
 *
 * A store of 100,000 records (and the rows of the other tables the queries touch) is seeded by SQL and
 * vacuumed and analysed, as autovacuum would leave it in production. Then each entry of ENTRIES calls
 * a real function of src/store on a recording connection: every statement the function sends is first
 * EXPLAINed (FORMAT JSON, no ANALYZE) on the same connection, in the same transaction and with the
 * same parameters and settings, and then run. An entry holds when one of those plans names its index,
 * and when the same code path, run again with that index dropped (inside the entry's transaction),
 * gets plans at least SAVES_AT_LEAST times as dear: an index the planner can do as well without earns
 * nothing for its upkeep. Each entry runs inside BEGIN … ROLLBACK, so its writes (and drops) do not
 * change what the next one is planned on.
 *
 * The last tests list every index of the public schema: each must be justified by an entry, or be a
 * primary key or unique index listed in RULES with the rule it enforces (ARBITERS shows some of them
 * at work as ON CONFLICT arbiters). An index that is neither fails the last test, which names it: it
 * is to be dropped by a migration (017_unused_indexes.sql dropped the three this test first found).
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticUscc } from '../../src/domain/uscc.js';
import { migrate } from '../../src/store/migrate.js';
import { SEED_RECORD_CYCLE, seedRecords } from '../../src/store/seed-records.js';
import { publishedNegativeRecords } from '../../src/store/checks-repo.js';
import { changeFeed, getRecordWithVersions, subjectRecords } from '../../src/store/records-read.js';
import { openObjections, recentRejects, subjectRecordsAnyState, throughput } from '../../src/store/console-read.js';
import { indicatorCounts, latestSubjectNames, withReportSettings } from '../../src/store/indicators-repo.js';
import { findSubjectsByName, learnSubjects, lockPendingRecords, resolvePersonKeys, resolveUsccs } from '../../src/store/subjects-repo.js';
import {
  answersSince, applyFeedback, deliveriesOfRecord, listDeliveries,
  packageRecorded, packagesAround, parkedAfter, recordedEvents,
} from '../../src/store/deliveries-repo.js';
import { getCase, listCases } from '../../src/store/lifecycle-repo.js';
import { OBJECTION_TABLE, REPAIR_TABLE } from '../../src/store/case-tables.js';
import {
  BEGIN_CLAIM, claimUnsent, destinationsThatHad, outboxBacklog, queueRedelivery, readFeed, versionMessageKey,
} from '../../src/store/outbox-repo.js';
import { listAlerts, recordsChangedAfter } from '../../src/store/alerts-repo.js';
import { lockExpiringRecords, lockRecordEnvelope, lockRecordsToMove, removedAmong } from '../../src/store/records-repo.js';
import { claimUpload, earlierRowsOf, getUpload, rowResultsAfter, uploadsBefore } from '../../src/store/uploads-repo.js';
import { finishRun, lastRunState, listedCount, listRuns, markRemoved, missingKeys, overview } from '../../src/store/connectors-repo.js';
import { readAuditPage, writeAuthBatch } from '../../src/store/audit-repo.js';
import { sweepAdmissions } from '../../src/store/admissions-repo.js';
import { findAnswer, purgeExpiredAnswers, saveAnswer } from '../../src/store/idempotency.js';
import { findLiveSession, lockSignInCounters } from '../../src/store/console-repo.js';
import { createTestDatabase } from '../support/env.js';
import { explainingClient, plannedLikeTheGateway } from '../support/plan-nodes.js';

const RECORDS = 100_000;
/** subjects 0 … 24,999 have records; 25,000 … 25,999 are the organisations the pending records wait for */
const SUBJECTS = 25_000;
const REGIONS = ['320583', '320506', '110105', '440305', '510107'];
/** the relay's backlog after a broker outage, claimed and marked sent 2,000 at a time (as in outbox-claim-plan.test.ts) */
const UNSENT = 10_000;

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let pool: pg.Pool;

// ---------------------------------------------------------------------------------------------------
// The data
// ---------------------------------------------------------------------------------------------------

/**
 * Record g (1 … RECORDS) of subject g % SUBJECTS: categories, polarity and severity cycle as in
 * benchmarks/checks.ts; 2 % each objected, repaired, expired, repair_requested; a tenth of the
 * subjects are government organs; 1 % are pending organisations (no USCC: an organisation code and a
 * name the registry does not know yet); created over the last two years; some publication periods over.
 */
const SEED_ROWS = `
SELECT r.id AS record_id, r.category,
       CASE WHEN r.pending THEN 'O:' || substr(s.uscc, 9, 9) ELSE s.uscc END AS subject_key,
       CASE WHEN r.pending THEN NULL ELSE s.uscc END AS uscc,
       s.region, r.status, r.hash AS content_hash,
       jsonb_build_object(
         'recordId', r.id, 'category', r.category, 'polarity', r.polarity,
         'subject', CASE WHEN r.pending
                         THEN jsonb_build_object('orgCode', substr(s.uscc, 9, 9), 'name', s.name, 'kind', 'enterprise', 'region', s.region)
                         ELSE jsonb_build_object('uscc', s.uscc, 'name', s.name, 'region', s.region,
                                                 'kind', CASE WHEN s.n % 10 = 0 THEN 'organ' ELSE 'enterprise' END) END,
         'source', jsonb_build_object('system', 'seed-' || r.category, 'key', 'K' || r.g),
         'decidedAt', r.decided, 'publishFrom', r.decided, 'publishUntil', r.until,
         'status', r.status, 'version', 1, 'contentHash', r.hash, 'createdAt', r.created_at, 'updatedAt', r.created_at,
         'data', jsonb_build_object('caseNumber', 'C' || r.g,
                                    'listType', CASE WHEN r.category = 'procurement_breach' AND r.g % 3 = 0 THEN 'payment_default' END)
       ) || CASE WHEN r.severity IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('severity', r.severity) END AS envelope,
       r.created_at
  FROM (
    SELECT g,
           md5('seed-record-' || g)::uuid AS id,
           ${SEED_RECORD_CYCLE},
           CASE WHEN g % 10 < 2 THEN NULL ELSE to_char(current_date - (g % 700) + 680, 'YYYY-MM-DD') END AS until,
           g % 100 = 7 AS pending,
           now() - (g % 730) * interval '1 day' - (g % 24) * interval '1 hour' AS created_at
      FROM generate_series($1::int, $2::int) AS g
  ) AS r
  JOIN seed_subjects s ON s.n = CASE WHEN r.pending THEN ${SUBJECTS} + r.g % 1000 ELSE r.g % ${SUBJECTS} END`;

/** A name of 4 to 8 Chinese characters drawn from `seedSql` (names as diverse as real ones: trigram searches depend on it). */
const randomName = (seedSql: string) =>
  `(SELECT string_agg(chr(19968 + abs(hashtext(${seedSql} || '/' || i)) % 20902), '' ORDER BY i) FROM generate_series(1, 4 + abs(hashtext(${seedSql})) % 5) i)`;

/** The rows of the other tables, by SQL, in proportions a running gateway would have. */
const SEED_OTHER_TABLES = [
  // pending organisations wait for the registry; 1 % of the records got new content in the last two days
  `UPDATE records SET pending = true WHERE uscc IS NULL`,
  `INSERT INTO record_versions (record_id, version, change_kind, status, content_hash, envelope, actor, reason, recorded_at)
   SELECT v.record_id, 2, 'updated', v.status, 'sha256:upd' || md5(v.record_id::text), v.envelope::jsonb || '{"version": 2}', 'seed', NULL,
          now() - (abs(hashtext(v.record_id::text)) % 2880) * interval '1 minute'
     FROM record_versions v JOIN records r USING (record_id) WHERE r.change_seq % 100 = 3`,
  `UPDATE records r SET version = 2, content_hash = v.content_hash, updated_at = v.recorded_at, change_seq = nextval('records_change_seq')
     FROM record_versions v WHERE v.record_id = r.record_id AND v.version = 2`,
  // the registry: every subject with a USCC, former names for two fifths of them; persons known by full number
  `INSERT INTO subjects (uscc, org_code, name, kind, region, government, learned_from)
   SELECT uscc, substr(uscc, 9, 9), name, CASE WHEN n % 10 = 0 THEN 'organ' ELSE 'enterprise' END, region, n % 10 = 0, 'record'
     FROM seed_subjects WHERE n < ${SUBJECTS}`,
  `INSERT INTO subject_names (uscc, name)
   SELECT uscc, ${randomName("'former' || n")} FROM seed_subjects WHERE n < ${SUBJECTS} AND n % 5 IN (0, 1)`,
  `INSERT INTO person_keys (masked_id, name, subject_key)
   SELECT '3205831990********' || lpad((g % 10000)::text, 4, '0'), '张' || g, 'P:' || md5('person' || g) FROM generate_series(1, 20000) g`,
  // every record version's events to the provincial platform, the national one for two categories (as
  // written since migration 025); the relay's cursor leaves a backlog of the last UNSENT
  `UPDATE record_versions v SET feed_seq = nextval('records_change_seq'), message_key = r.subject_key,
          destinations = CASE WHEN r.category IN ('dishonest_debtor', 'admin_penalty') THEN '{nat,prov}'::text[] ELSE '{prov}' END
     FROM records r WHERE r.record_id = v.record_id`,
  `UPDATE relay_cursor SET feed_seq = (SELECT feed_seq FROM record_versions WHERE feed_seq IS NOT NULL ORDER BY feed_seq DESC OFFSET ${UNSENT} LIMIT 1)`,
  // the same events queued as outbox rows, as a store upgraded from before migration 025 keeps them (and
  // the outbox's own: alerts, re-deliveries); a backlog of the last UNSENT
  `INSERT INTO outbox (event_id, destination, topic, event_type, record_id, record_version, message_key, created_at)
   SELECT md5('seed-event-' || r.record_id || x.d)::uuid, x.d, 'seed.' || x.d || '.v1', 'record.upserted', r.record_id, r.version,
          r.subject_key, r.created_at
     FROM records r CROSS JOIN (VALUES ('prov'), ('nat')) AS x(d)
    WHERE x.d = 'prov' OR r.category IN ('dishonest_debtor', 'admin_penalty')
    ORDER BY r.change_seq, x.d`,
  `INSERT INTO outbox_unsent (id) SELECT id FROM outbox WHERE id > (SELECT max(id) - ${UNSENT} FROM outbox)`,
  // what the platforms answered over the last year: mostly accepted, some delivered and waiting, few rejected or parked
  `INSERT INTO deliveries (record_id, destination, event_id, record_version, event_type, state, reason, field, delivered_at, feedback_at)
   SELECT record_id, destination, event_id, record_version, event_type, state,
          CASE WHEN state IN ('rejected', 'parked') THEN 'seed reason' END, CASE WHEN state = 'rejected' THEN 'subject.name' END,
          created_at + interval '1 second', CASE WHEN state IN ('accepted', 'rejected') THEN now() - (id * 7919 % 525600) * interval '1 minute' END
     FROM (SELECT o.*, CASE WHEN o.id % 200 = 0 THEN 'rejected' WHEN o.id % 200 = 1 THEN 'parked' WHEN o.id % 200 = 2 THEN 'queued'
                            WHEN o.id % 10 = 3 THEN 'delivered' ELSE 'accepted' END AS state
             FROM outbox o WHERE NOT EXISTS (SELECT 1 FROM outbox_unsent u WHERE u.id = o.id)) o
    ORDER BY id`,
  `INSERT INTO delivery_packages (destination, partition, first_offset, last_offset, name, sha256, events)
   SELECT x.d, p, i * 100, i * 100 + 99, x.d || '-' || p || '-' || i || '.zip', md5(x.d || p || i), 100
     FROM (VALUES ('prov'), ('nat')) AS x(d), generate_series(0, 2) p, generate_series(0, 999) i`,
  `INSERT INTO delivery_parked (destination, topic, partition, kafka_offset, event_id, record_id, reason, value_excerpt)
   SELECT 'prov', 'seed.prov.v1', g % 3, g, md5('parked' || g)::uuid::text, md5('seed-record-' || g)::uuid, 'seed reason', '{}'
     FROM generate_series(1, 2000) g`,
  `INSERT INTO delivery_feedback_cursors (destination, answered_at, event_id) VALUES ('prov', '2026-01-01 00:00:00', 'e'), ('nat', NULL, NULL)`,
  // objections and repair requests: 4,000 each, decided, 200 of each still open (filed in the last 20 days)
  `INSERT INTO objections (objection_id, record_id, status, filed_by, filer_role, reason, filed_at, deadline_at, outcome, decided_by, decision_reason, decided_at)
   SELECT md5('seed-objection-' || record_id)::uuid, record_id, st, 'partner-1', 'partner', 'seed', filed, filed + interval '15 days',
          CASE WHEN st = 'upheld' THEN 'corrected' END, CASE WHEN st <> 'open' THEN 'operator' END,
          CASE WHEN st <> 'open' THEN 'seed' END, CASE WHEN st <> 'open' THEN filed + interval '10 days' END
     FROM (SELECT record_id, CASE WHEN change_seq % 500 = 0 THEN 'open' WHEN change_seq % 50 = 0 THEN 'upheld' ELSE 'rejected' END AS st,
                  CASE WHEN change_seq % 500 = 0 THEN now() - (change_seq / 500 % 20) * interval '1 day' ELSE created_at + interval '1 day' END AS filed
             FROM records WHERE change_seq % 25 = 0) c`,
  `INSERT INTO repairs (repair_id, record_id, status, requested_by, commitment_ref, reason, requested_at, deadline_at, decided_by, decision_reason, decided_at)
   SELECT md5('seed-repair-' || record_id)::uuid, record_id, st, 'partner-1', 'CR-' || change_seq, 'seed', filed, filed + interval '15 days',
          CASE WHEN st <> 'requested' THEN 'operator' END, CASE WHEN st <> 'requested' THEN 'seed' END,
          CASE WHEN st <> 'requested' THEN filed + interval '10 days' END
     FROM (SELECT record_id, change_seq,
                  CASE WHEN change_seq % 500 = 1 THEN 'requested' WHEN change_seq % 3 = 0 THEN 'granted' WHEN change_seq % 3 = 1 THEN 'rejected' ELSE 'lapsed' END AS st,
                  CASE WHEN change_seq % 500 = 1 THEN now() - (change_seq / 500 % 20) * interval '1 day' ELSE created_at + interval '1 day' END AS filed
             FROM records WHERE change_seq % 25 = 1) c`,
  // uploads of 30 partners, a few queued or running; the row results of 100 of them
  `INSERT INTO uploads (id, partner, category, source_system, format, file_bytes, file_sha256, layout, state, rows_total, rows_read, last_row,
                        worker, heartbeat_at, created_at, started_at, finished_at)
   SELECT md5('seed-upload-' || g)::uuid, 'partner-' || (g % 30), 'admin_penalty', 'seed-system', 'csv', '\\x00'::bytea, md5(g::text), '{}',
          CASE WHEN g > 2995 THEN 'queued' WHEN g > 2992 THEN 'running' ELSE 'done' END, 1000, 1000, 1001,
          CASE WHEN g BETWEEN 2993 AND 2995 THEN 'worker-1' END, now() - (3000 - g) * interval '10 minutes',
          now() - (3000 - g) * interval '10 minutes', now() - (3000 - g) * interval '10 minutes', now() - (3000 - g) * interval '9 minutes'
     FROM generate_series(1, 3000) g ORDER BY g`,
  `INSERT INTO upload_rows (upload_id, row_no, result, record_id)
   SELECT md5('seed-upload-' || u)::uuid, r + 1, 'created', md5('seed-record-' || ((u - 1) * 1000 + r))::uuid
     FROM generate_series(1, 100) u, generate_series(1, 1000) r`,
  // authentication: the audit log, token ids (5 % expired), rate windows, idempotency keys of the last 25 hours
  `INSERT INTO audit_log (seq, at, partner_id, route, method, path, status, subjects, response_digest, duration_us, client_addr, prev_hash, hash)
   SELECT g, now() - (50000 - g) * interval '10 seconds', 'partner-' || (g % 30), '/v1/checks', 'POST', '/v1/checks', 200, '{}',
          md5('r' || g), 1000, '127.0.0.1', md5('h' || (g - 1)), md5('h' || g)
     FROM generate_series(1, 50000) g`,
  `UPDATE audit_chain_head SET seq = 50000, hash = md5('h50000')`,
  `INSERT INTO auth_jti (partner_id, jti, expires_at)
   SELECT 'partner-' || (g % 30), md5('jti' || g), now() + CASE WHEN g % 20 = 0 THEN -1 ELSE 1 END * (g % 600) * interval '1 second'
     FROM generate_series(1, 50000) g`,
  `INSERT INTO auth_rate_counters (partner_id, window_start, hits)
   SELECT 'partner-' || (g % 30), date_trunc('minute', now()) - (g / 30) * interval '1 minute', 10 FROM generate_series(1, 20000) g`,
  `INSERT INTO idempotency_keys (partner, key, body_hash, status_code, response, created_at)
   SELECT 'partner-' || (g % 30), 'key-' || g, md5('b' || g), 200, '{}', now() - (g % 1500) * interval '1 minute' FROM generate_series(1, 50000) g`,
  // 20 connectors: 4 pulled every few minutes (96 % of the runs), 16 daily; quarantined rows, issues, the source keys of 5 of them
  `INSERT INTO connector_state (connector, cursor, pass) SELECT 'connector-' || c, '{}', 10 FROM generate_series(1, 20) c`,
  `INSERT INTO connector_runs (connector, trigger, state, started_at, finished_at, pulled, rejected, error)
   SELECT 'connector-' || CASE WHEN g % 50 < 48 THEN g % 4 + 1 ELSE 5 + g / 50 % 16 END, 'schedule', CASE WHEN g % 25 = 0 THEN 'failed' ELSE 'succeeded' END,
          now() - (10000 - g) * interval '5 minutes', now() - (10000 - g) * interval '5 minutes' + interval '1 minute',
          100, CASE WHEN g % 7 = 0 THEN 3 ELSE 0 END, CASE WHEN g % 25 = 0 THEN 'seed failure' END
     FROM generate_series(1, 10000) g ORDER BY g`,
  `INSERT INTO connector_quarantine (connector, run_id, source_key, raw, errors)
   SELECT 'connector-' || (g % 20 + 1), g % 10000 + 1, 'K' || g, '{}', '[]' FROM generate_series(1, 20000) g`,
  `INSERT INTO connector_issues (connector, kind, field, value, occurrences)
   SELECT 'connector-' || (g % 20 + 1), 'unknown_code', 'field' || (g % 10), 'v' || g, 1 FROM generate_series(1, 2000) g`,
  `INSERT INTO connector_seen (connector, source_key, record_id, last_seen_pass, removed)
   SELECT 'connector-' || (g % 5 + 1), 'K' || g, md5('seed-record-' || g)::uuid, CASE WHEN g % 100 = 0 THEN 7 ELSE 10 END, g % 100 = 1
     FROM generate_series(1, 100000) g`,
  // the console: sessions of the last 28 hours (each sign-in deletes older ones; half signed out), sign-in counters
  `INSERT INTO console_sessions (id_hash, username, password_fingerprint, csrf_token, created_at, expires_at, ended_at)
   SELECT md5('session' || g), 'operator-' || (g % 10), 'fp', md5('csrf' || g), now() - (5000 - g) * interval '20 seconds',
          now() - (5000 - g) * interval '20 seconds' + interval '8 hours', CASE WHEN g % 2 = 0 THEN now() - (5000 - g) * interval '20 seconds' + interval '1 hour' END
     FROM generate_series(1, 5000) g`,
  `INSERT INTO console_signin_failures (key, failures, window_start) SELECT 'addr:10.0.' || (g / 256) || '.' || (g % 256), 1, now() FROM generate_series(1, 500) g`,
  // alerts: one per severe government record
  `INSERT INTO monitoring_alerts (alert_id, kind, record_id, record_version, uscc, region, details, raised_at)
   SELECT md5('alert' || record_id)::uuid, 'government_severe_record', record_id, version, uscc, region, '{}', created_at
     FROM records WHERE government_subject AND severity = 'severe' ORDER BY change_seq`,
];

async function seed(): Promise<void> {
  await pool.query('CREATE TABLE seed_subjects (n int NOT NULL, uscc text NOT NULL, region text NOT NULL, name text)');
  const ns = Array.from({ length: SUBJECTS + 1000 }, (_, n) => n);
  const regions = ns.map((n) => REGIONS[n % REGIONS.length]!);
  await pool.query('INSERT INTO seed_subjects SELECT * FROM unnest($1::int[], $2::text[], $3::text[])',
    [ns, ns.map((n, i) => syntheticUscc(n, { region: regions[i]! })), regions]);
  await pool.query(`UPDATE seed_subjects SET name = ${randomName("'name' || n")}`);
  await seedRecords(pool, SEED_ROWS, [1, RECORDS]);
  for (const sql of SEED_OTHER_TABLES) await pool.query(sql);
  await pool.query('DROP TABLE seed_subjects');
  await pool.query('VACUUM ANALYZE');
}

// ---------------------------------------------------------------------------------------------------
// Recording what the code sends, and its plans
// ---------------------------------------------------------------------------------------------------

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Conflict Arbiter Indexes'?: string[];
  'Total Cost': number;
  Plans?: PlanNode[];
}

/** One statement a function sent, with the indexes its plan scans (Index Name), its estimated cost and the compact plan. */
interface Explained {
  sql: string;
  indexes: string[];
  arbiters: string[];
  cost: number;
  plan: string;
}

function walk(node: PlanNode, out: Explained, depth = 0): void {
  if (node['Index Name']) out.indexes.push(node['Index Name']);
  out.arbiters.push(...(node['Conflict Arbiter Indexes'] ?? []));
  const on = node['Index Name'] ? ` using ${node['Index Name']}` : '';
  const rel = node['Relation Name'] ? ` on ${node['Relation Name']}` : '';
  out.plan += `${'  '.repeat(depth)}${node['Node Type']}${on}${rel}\n`;
  for (const child of node.Plans ?? []) walk(child, out, depth + 1);
}

/** The client, with `query` recording each statement's plan in `log` before sending it (explainingClient). */
function recording(client: pg.PoolClient, log: Explained[]): pg.PoolClient {
  return explainingClient<PlanNode>(client, (sql, top) => {
    const explained: Explained = { sql, indexes: [], arbiters: [], cost: top['Total Cost'], plan: '' };
    walk(top, explained);
    log.push(explained);
  });
}

/** What an entry runs the code on: one recording connection, seen as a client and as a pool, and the fixtures. */
interface Db {
  /** the recording connection, for functions that take a client or a Queryable */
  client: pg.PoolClient;
  /** the same connection for functions typed to take the pool: they only call query (anything else throws) */
  pool: pg.Pool;
  /** the same connection unrecorded, to look up parameters (ids, codes) in the seeded data */
  raw: pg.PoolClient;
}

function poolView(client: pg.PoolClient): pg.Pool {
  return new Proxy({} as pg.Pool, {
    get: (_target, prop) => {
      if (prop === 'query') return client.query.bind(client);
      if (prop === 'then') return undefined;
      throw new Error(`an entry's pool only runs queries (the function used pool.${String(prop)})`);
    },
  });
}

/** One value of a seeded row, to pass to the code. */
async function one<T = string>(raw: pg.PoolClient, sql: string, params: unknown[] = []): Promise<T> {
  const { rows } = await raw.query<{ v: T }>(sql, params);
  if (!rows.length) throw new Error(`no seeded row for: ${sql}`);
  return rows[0]!.v;
}

async function column<T = string>(raw: pg.PoolClient, sql: string, params: unknown[] = []): Promise<T[]> {
  const { rows } = await raw.query<{ v: T }>(sql, params);
  return rows.map((r) => r.v);
}

/** A current or former name of a registered subject. */
const someName = (raw: pg.PoolClient) => one(raw, 'SELECT name AS v FROM subjects ORDER BY uscc LIMIT 1 OFFSET 1234');
const someFormerName = (raw: pg.PoolClient) => one(raw, 'SELECT name AS v FROM subject_names ORDER BY uscc, name LIMIT 1 OFFSET 123');

const day = (offsetDays: number) => new Date(Date.now() + 8 * 3600_000 + offsetDays * 86_400_000).toISOString().slice(0, 10);

/** The integrity report of a past period (a quarter that ended 30 days ago), by region under 32: its state at the period's end. */
const LAST_PERIOD_REPORT = {
  at: new Date(Date.now() - 30 * 86_400_000), atDay: day(-30), periodStartDay: day(-120), periodEndDay: day(-30), unit: 'region', regionPrefix: '32',
} as const;

const today = () => new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10); // the China day

// ---------------------------------------------------------------------------------------------------
// Which code path uses which index
// ---------------------------------------------------------------------------------------------------

interface Entry {
  index: string;
  /** the code path: the function, the statement, and what calls it */
  by: string;
  /** the transaction the code path runs in (the relay's claim transaction sets planner options) */
  begin?: string;
  run: (db: Db) => Promise<unknown>;
}

/**
 * The claims' batch here. In BEGIN_CLAIM only nested loops join, so without one of its indexes a claim
 * scans a whole table for each row it claims; a relay-sized batch (2,000) would then run for minutes.
 */
const CLAIMED = 200;

const ENTRIES: Entry[] = [
  // records ----------------------------------------------------------------------------------------
  {
    index: 'records_pkey',
    by: 'records-repo lockRecordEnvelope (objections, repairs, re-delivery: the record locked)',
    run: async ({ client, raw }) => lockRecordEnvelope(client, await one(raw, 'SELECT record_id AS v FROM records WHERE uscc IS NOT NULL LIMIT 1')),
  },
  {
    index: 'records_pkey',
    by: 'records-repo lockRecordsToMove (removal sweep: a chunk of missing records locked)',
    run: async ({ client, raw }) => lockRecordsToMove(client, await column(raw, 'SELECT record_id AS v FROM records ORDER BY md5(record_id::text) LIMIT 500')),
  },
  {
    index: 'records_pkey',
    by: 'records-repo removedAmong (connector relisting: which of these records are removed)',
    run: async ({ client, raw }) => removedAmong(client, await column(raw, 'SELECT record_id AS v FROM records ORDER BY md5(record_id::text) LIMIT 100')),
  },
  {
    index: 'records_uscc_idx',
    by: 'console-read subjectRecordsAnyState (GET /console/api/subjects/:uscc: a subject\'s records in every state)',
    run: async ({ client, raw }) => subjectRecordsAnyState(client, await one(raw, 'SELECT uscc AS v FROM subjects ORDER BY uscc LIMIT 1 OFFSET 100'), 50),
  },
  {
    index: 'records_uscc_idx',
    by: 'records-read subjectRecords (GET /v1/subjects/:uscc: the subject\'s published records)',
    run: async ({ pool, raw }) => subjectRecords(pool, await one(raw, 'SELECT uscc AS v FROM subjects ORDER BY uscc LIMIT 1 OFFSET 200'), 100, today()),
  },
  {
    index: 'records_uscc_idx',
    by: 'indicators-repo latestSubjectNames (integrity report, per-subject ranking names)',
    run: async ({ client, raw }) => latestSubjectNames(client, await column(raw, 'SELECT uscc AS v FROM subjects WHERE government ORDER BY uscc LIMIT 50')),
  },
  {
    index: 'records_change_seq_idx',
    by: 'records-read changeFeed (GET /v1/records: the change feed, position order)',
    run: async ({ pool }) => changeFeed(pool, {}, null, 50_000, 100),
  },
  {
    index: 'records_change_seq_idx',
    by: 'alerts-repo recordsChangedAfter (alert detector: records after its cursor)',
    run: async ({ client }) => recordsChangedAfter(client, RECORDS - 500, RECORDS, 1000),
  },
  {
    index: 'records_updated_at_idx',
    by: 'records-read changeFeed with updatedAfter (GET /v1/records?updatedAfter=: the changes of the last hour)',
    run: ({ pool }) => changeFeed(pool, { updatedAfter: new Date(Date.now() - 3600_000).toISOString() }, null, 0, 100),
  },
  {
    index: 'records_checks_idx',
    by: 'checks-repo CHECK_SQL publishedNegativeRecords (POST /v1/checks, 1,000 codes)',
    run: async ({ pool, raw }) => {
      const codes = await column(raw, 'SELECT uscc AS v FROM subjects ORDER BY md5(uscc) LIMIT 800');
      for (let n = 0; n < 200; n++) codes.push(syntheticUscc(1_000_000 + n)); // clean codes
      return publishedNegativeRecords(pool, codes, today());
    },
  },
  {
    index: 'records_expiry_idx',
    by: 'records-repo lockExpiringRecords (expiry job: published records whose period ended)',
    run: async ({ client }) => lockExpiringRecords(client, today(), 500),
  },
  {
    index: 'records_government_negative_idx',
    by: 'indicators-repo indicatorCounts STATE_AT_T (integrity report of a past period, per region, with withReportSettings)',
    run: ({ client }) => withReportSettings(client, (c) => indicatorCounts(c, LAST_PERIOD_REPORT)),
  },
  {
    index: 'records_pending_org_code_idx',
    by: 'subjects-repo lockPendingRecords (writeRecords → learnSubjectsAndComplete: records waiting for these org codes or names)',
    run: async ({ client, raw }) => lockPendingRecords(client,
      await column(raw, 'SELECT org_code AS v FROM records WHERE pending ORDER BY record_id LIMIT 5'),
      await column(raw, 'SELECT name AS v FROM subjects ORDER BY uscc LIMIT 20')),
  },
  {
    index: 'records_pending_name_idx',
    by: 'subjects-repo lockPendingRecords (writeRecords → learnSubjectsAndComplete: records waiting for these org codes or names)',
    run: async ({ client, raw }) => lockPendingRecords(client,
      await column(raw, 'SELECT org_code AS v FROM records WHERE pending ORDER BY record_id LIMIT 5'),
      await column(raw, 'SELECT subject_name AS v FROM records WHERE pending ORDER BY record_id DESC LIMIT 5')),
  },
  // record_versions ---------------------------------------------------------------------------------
  {
    index: 'record_versions_pkey',
    by: 'records-read getRecordWithVersions (GET /v1/records/:recordId: the versions)',
    run: async ({ pool, raw }) => getRecordWithVersions(pool, await one(raw, 'SELECT record_id AS v FROM records WHERE version = 2 LIMIT 1'), null),
  },
  {
    index: 'record_versions_pkey',
    by: 'outbox-repo CLAIM_UNSENT claimUnsent (relay round, in BEGIN_CLAIM: the version a record event renders)',
    begin: BEGIN_CLAIM,
    run: ({ client }) => claimUnsent(client, CLAIMED),
  },
  {
    index: 'record_versions_pkey',
    by: 'outbox-repo destinationsThatHad (record status change: the destinations its versions named)',
    run: async ({ client, raw }) => destinationsThatHad(client, [await one(raw, `SELECT record_id AS v FROM records WHERE category = 'dishonest_debtor' LIMIT 1`)]),
  },
  {
    index: 'record_versions_pkey',
    by: 'outbox-repo versionMessageKey (POST /v1/records/:recordId/deliveries/:destination/redelivery: the key of the version re-delivered)',
    run: async ({ client, raw }) => versionMessageKey(client, await one(raw, 'SELECT record_id AS v FROM records WHERE version = 2 LIMIT 1'), 2),
  },
  {
    index: 'record_versions_feed_idx',
    by: 'outbox-repo READ_FEED readFeed (relay round, in BEGIN_CLAIM: the versions next in the feed, in order)',
    begin: BEGIN_CLAIM,
    run: async ({ client, raw }) => readFeed(client, await one<number>(raw, 'SELECT feed_seq AS v FROM relay_cursor'), Number.MAX_SAFE_INTEGER, CLAIMED),
  },
  {
    index: 'record_versions_feed_idx',
    by: 'outbox-repo outboxBacklog (GET /readyz, /metrics: the versions past the relay\'s cursor)',
    run: ({ pool }) => outboxBacklog(pool),
  },
  {
    index: 'record_versions_content_changes_idx',
    by: 'indicators-repo indicatorCounts STATE_AT_T (integrity report of a past period: records whose content changed after T)',
    run: ({ client }) => withReportSettings(client, (c) => indicatorCounts(c, LAST_PERIOD_REPORT)),
  },
  {
    index: 'record_versions_recorded_at_idx',
    by: 'console-read throughput (GET /console/api/throughput: versions per hour over the last day)',
    run: ({ client }) => throughput(client, 24),
  },
  // outbox -----------------------------------------------------------------------------------------
  {
    index: 'outbox_unsent_pkey',
    by: 'outbox-repo CLAIM_UNSENT claimUnsent (relay round, in BEGIN_CLAIM: the oldest unsent, in id order)',
    begin: BEGIN_CLAIM,
    run: ({ client }) => claimUnsent(client, CLAIMED),
  },
  {
    index: 'outbox_pkey',
    by: 'outbox-repo CLAIM_UNSENT claimUnsent (relay round, in BEGIN_CLAIM: the outbox rows of the unsent)',
    begin: BEGIN_CLAIM,
    run: ({ client }) => claimUnsent(client, CLAIMED),
  },
  {
    index: 'outbox_record_idx',
    by: 'outbox-repo destinationsThatHad (record status change: the destinations its outbox events went to)',
    run: async ({ client, raw }) => destinationsThatHad(client, [await one(raw, `SELECT record_id AS v FROM records WHERE category = 'dishonest_debtor' LIMIT 1`)]),
  },
  {
    index: 'outbox_record_idx',
    by: 'outbox-repo queueRedelivery (POST /v1/records/:recordId/deliveries/:destination/redelivery: queued once, looked for among the record\'s events for the destination)',
    run: async ({ client, raw }) => {
      const { rows } = await raw.query<{ record_id: string; destination: string; record_version: number }>(
        'SELECT record_id, destination, record_version FROM outbox ORDER BY id LIMIT 1 OFFSET 777');
      const { record_id: recordId, destination, record_version: recordVersion } = rows[0]!;
      return queueRedelivery(client, {
        eventId: randomUUID(), destination, topic: `seed.${destination}.v1`, type: 'record.upserted', recordId, recordVersion, key: 'k', payload: null, maskPersonalIds: true,
      });
    },
  },
  // idempotency, authentication, audit ----------------------------------------------------------------
  {
    index: 'idempotency_keys_pkey',
    by: 'idempotency findAnswer (Idempotency-Key: the stored answer)',
    run: ({ pool }) => findAnswer(pool, 'partner-7', 'key-7'),
  },
  {
    index: 'idempotency_keys_created_idx',
    by: 'idempotency purgeExpiredAnswers (the purge of answers older than the TTL)',
    run: ({ pool }) => purgeExpiredAnswers(pool, 24),
  },
  {
    index: 'auth_jti_expires_idx',
    by: 'admissions-repo sweepAdmissions (the sweep: expired jtis)',
    run: ({ client }) => sweepAdmissions(client),
  },
  {
    index: 'audit_log_pkey',
    by: 'audit-repo readAuditPage (npm run audit:verify: the chain, a page at a time)',
    run: ({ client }) => readAuditPage(client, 40_000),
  },
  // connectors ----------------------------------------------------------------------------------------
  {
    index: 'connector_runs_by_connector',
    by: 'connectors-repo lastRunState (scheduler: the state of the latest run of a daily connector)',
    run: ({ client }) => lastRunState(client, 'connector-12'),
  },
  {
    index: 'connector_runs_by_connector',
    by: 'connectors-repo listRuns (GET /v1/connectors/:name/runs of a daily connector)',
    run: ({ client }) => listRuns(client, 'connector-12', 20),
  },
  {
    index: 'connector_runs_by_connector',
    by: 'connectors-repo overview (GET /v1/connectors, connector status of a daily connector: last run, last success, last failure)',
    run: ({ client }) => overview(client, 'connector-12'),
  },
  {
    index: 'connector_runs_pkey',
    by: 'connectors-repo finishRun (a run ends)',
    run: ({ client }) => finishRun(client, 4321, 'succeeded', null),
  },
  {
    index: 'connector_quarantine_by_connector',
    by: 'connectors-repo overview (GET /v1/connectors, connector status: rows quarantined)',
    run: ({ client }) => overview(client, 'connector-3'),
  },
  {
    index: 'connector_quarantine_pkey',
    by: 'console-read recentRejects (GET /console/api/rejects: the latest quarantined rows)',
    run: ({ client }) => recentRejects(client, 50),
  },
  {
    index: 'connector_issues_pkey',
    by: 'connectors-repo overview (GET /v1/connectors, connector status: issues counted)',
    run: ({ client }) => overview(client, 'connector-3'),
  },
  {
    index: 'connector_seen_pkey',
    by: 'connectors-repo missingKeys (removal sweep: keys not listed for N passes, among the connector\'s)',
    run: ({ client }) => missingKeys(client, 'connector-2', 10, 2),
  },
  {
    index: 'connector_seen_pkey',
    by: 'connectors-repo listedCount (removal brake: keys listed in this pass, among the connector\'s)',
    run: ({ client }) => listedCount(client, 'connector-2', 10),
  },
  {
    index: 'connector_seen_pkey',
    by: 'connectors-repo markRemoved (removal sweep: the keys marked removed)',
    run: ({ client }) => markRemoved(client, 'connector-2', ['K1', 'K6', 'K11']),
  },
  // console -------------------------------------------------------------------------------------------
  {
    index: 'console_sessions_pkey',
    by: 'console-repo findLiveSession (every console request: the session of the cookie)',
    run: ({ client }) => findLiveSession(client, 'd41d8cd98f00b204e9800998ecf8427e'),
  },
  // deliveries ----------------------------------------------------------------------------------------
  {
    index: 'deliveries_pkey',
    by: 'deliveries-repo deliveriesOfRecord (GET /v1/records/:recordId: its delivery states)',
    run: async ({ client, raw }) => deliveriesOfRecord(client, await one(raw, 'SELECT record_id AS v FROM deliveries LIMIT 1 OFFSET 500')),
  },
  {
    index: 'deliveries_seq_idx',
    by: 'deliveries-repo listDeliveries (GET /v1/deliveries: states in the order they changed, no filter)',
    run: ({ client }) => listDeliveries(client, {}, null, 10_000, 100),
  },
  {
    index: 'deliveries_destination_state_idx',
    by: 'deliveries-repo listDeliveries (GET /v1/deliveries?destination=prov&state=rejected)',
    run: ({ client }) => listDeliveries(client, { destination: 'prov', state: 'rejected' }, null, 0, 100),
  },
  {
    index: 'deliveries_event_idx',
    by: 'deliveries-repo applyFeedback (the platform\'s answers applied by event id)',
    run: async ({ client, raw }) => applyFeedback(client, 'prov',
      (await column(raw, `SELECT event_id AS v FROM deliveries WHERE destination = 'prov' AND state = 'delivered' LIMIT 100`))
        .map((eventId) => ({ eventId, outcome: 'accepted' as const, reason: null, field: null }))),
  },
  {
    index: 'deliveries_event_idx',
    by: 'deliveries-repo recordedEvents (database way: which answered events are ours)',
    run: async ({ client, raw }) => recordedEvents(client, 'prov', await column(raw, `SELECT event_id::text AS v FROM deliveries WHERE destination = 'prov' LIMIT 100`)),
  },
  {
    index: 'deliveries_feedback_at_idx',
    by: 'deliveries-repo answersSince (alert detector: the rejection share of the last hour)',
    run: ({ client }) => answersSince(client, new Date(Date.now() - 3600_000)),
  },
  {
    index: 'delivery_packages_pkey',
    by: 'deliveries-repo packagesAround (every way: the package that holds an offset, where the next starts)',
    run: ({ client }) => packagesAround(client, 'prov', 1, 55_555),
  },
  {
    index: 'delivery_packages_name_key',
    by: 'deliveries-repo packageRecorded (file way: is this package recorded)',
    run: ({ client }) => packageRecorded(client, 'prov-1-555.zip'),
  },
  {
    index: 'delivery_parked_pkey',
    by: 'deliveries-repo parkedAfter (GET /v1/deliveries/parked, parked-events alert pass)',
    run: ({ client }) => parkedAfter(client, {}, 1500, 100),
  },
  // monitoring ----------------------------------------------------------------------------------------
  {
    index: 'monitoring_alerts_seq_key',
    by: 'alerts-repo listAlerts (GET /v1/alerts: newest first, by seq)',
    run: ({ client }) => listAlerts(client, { limit: 50 }),
  },
  // lifecycle -----------------------------------------------------------------------------------------
  {
    index: 'objections_pkey',
    by: 'lifecycle-repo getCase(objections) (GET /v1/objections/:id, deciding it)',
    run: async ({ pool, raw }) => getCase(pool, OBJECTION_TABLE, await one(raw, 'SELECT objection_id AS v FROM objections LIMIT 1 OFFSET 99'), new Date(), null),
  },
  {
    index: 'objections_open_deadline_idx',
    by: 'console-read openObjections (GET /console/api/objections: open objections, nearest deadline first)',
    run: ({ client }) => openObjections(client, 50),
  },
  {
    index: 'objections_record_idx',
    by: 'lifecycle-repo listCases(objections, recordId) (GET /v1/objections?recordId=)',
    run: async ({ pool, raw }) => listCases(pool, OBJECTION_TABLE, { recordId: await one(raw, 'SELECT record_id AS v FROM objections LIMIT 1 OFFSET 7'), limit: 50 }, null, new Date()),
  },
  {
    index: 'repairs_pkey',
    by: 'lifecycle-repo getCase(repairs) (GET /v1/repairs/:id, deciding it)',
    run: async ({ pool, raw }) => getCase(pool, REPAIR_TABLE, await one(raw, 'SELECT repair_id AS v FROM repairs LIMIT 1 OFFSET 99'), new Date(), null),
  },
  {
    index: 'repairs_record_idx',
    by: 'lifecycle-repo listCases(repairs, recordId) (GET /v1/repairs?recordId=)',
    run: async ({ pool, raw }) => listCases(pool, REPAIR_TABLE, { recordId: await one(raw, 'SELECT record_id AS v FROM repairs LIMIT 1 OFFSET 7'), limit: 50 }, null, new Date()),
  },
  // subject registry ----------------------------------------------------------------------------------
  {
    index: 'subjects_org_code_idx',
    by: 'subjects-repo resolveUsccs (writeRecords: pending organisations by org code)',
    run: async ({ client, raw }) => resolveUsccs(client, await column(raw, 'SELECT org_code AS v FROM subjects ORDER BY uscc LIMIT 20'), []),
  },
  {
    index: 'subjects_name_idx',
    by: 'subjects-repo resolveUsccs (writeRecords: pending organisations by exact current name)',
    run: async ({ client, raw }) => resolveUsccs(client, [], await column(raw, 'SELECT name AS v FROM subjects ORDER BY uscc LIMIT 20')),
  },
  {
    index: 'subject_names_name_idx',
    by: 'subjects-repo resolveUsccs (writeRecords: pending organisations by exact former name)',
    run: async ({ client, raw }) => resolveUsccs(client, [], await column(raw, 'SELECT name AS v FROM subject_names ORDER BY uscc LIMIT 20')),
  },
  {
    index: 'subjects_name_idx',
    by: 'subjects-repo findSubjectsByName exact (GET /v1/subjects?name=&match=exact: current names)',
    run: async ({ client, raw }) => findSubjectsByName(client, await someName(raw), 'exact', 20),
  },
  {
    index: 'subject_names_name_idx',
    by: 'subjects-repo findSubjectsByName exact (GET /v1/subjects?name=&match=exact: former names)',
    run: async ({ client, raw }) => findSubjectsByName(client, await someFormerName(raw), 'exact', 20),
  },
  {
    index: 'subjects_name_trgm_idx',
    by: 'subjects-repo findSubjectsByName fuzzy (GET /v1/subjects?name=: trigram similarity of current names)',
    run: async ({ client, raw }) => findSubjectsByName(client, `${(await someName(raw)).slice(0, -1)}公`, 'fuzzy', 20), // a name mistyped
  },
  {
    index: 'subject_names_trgm_idx',
    by: 'subjects-repo findSubjectsByName fuzzy (GET /v1/subjects?name=: trigram similarity of former names)',
    run: async ({ client, raw }) => findSubjectsByName(client, `${(await someFormerName(raw)).slice(0, -1)}公`, 'fuzzy', 20),
  },
  {
    index: 'subject_names_pkey',
    by: 'subjects-repo findSubjectsByName (each subject\'s former names)',
    run: async ({ client, raw }) => findSubjectsByName(client, await someName(raw), 'exact', 20),
  },
  {
    index: 'subjects_pkey',
    by: 'subjects-repo findSubjectsByName exact (the subjects of the names found)',
    run: async ({ client, raw }) => findSubjectsByName(client, await someName(raw), 'exact', 20),
  },
  {
    index: 'person_keys_pkey',
    by: 'subjects-repo resolvePersonKeys (writeRecords: a masked identity number to the known person)',
    run: ({ client }) => resolvePersonKeys(client, [{ maskedId: '3205831990********0042', name: '张42' }]),
  },
  // uploads -------------------------------------------------------------------------------------------
  {
    index: 'uploads_pkey',
    by: 'uploads-repo getUpload (GET /v1/uploads/:id)',
    run: ({ client }) => getUpload(client, '00000000-0000-0000-0000-000000000001', 'partner-1'),
  },
  {
    index: 'uploads_partner_seq_idx',
    by: 'uploads-repo uploadsBefore (GET /v1/uploads: a partner\'s uploads, newest first)',
    run: ({ client }) => uploadsBefore(client, { partner: 'partner-7' }, 0, 50),
  },
  {
    index: 'uploads_pending_idx',
    by: 'uploads-repo claimUpload (upload worker: the oldest queued or stale running upload)',
    run: ({ client }) => claimUpload(client, 'worker-9', 60),
  },
  {
    index: 'upload_rows_pkey',
    by: 'uploads-repo rowResultsAfter (the feedback file, a page at a time)',
    run: async ({ client, raw }) => rowResultsAfter(client, await one(raw, `SELECT md5('seed-upload-50')::uuid AS v`), 500, 200),
  },
  {
    index: 'upload_rows_record_idx',
    by: 'uploads-repo earlierRowsOf (upload batch: a source key seen earlier in the same file)',
    run: async ({ client, raw }) => earlierRowsOf(client, await one(raw, `SELECT md5('seed-upload-50')::uuid AS v`),
      await column(raw, `SELECT md5('seed-record-' || (49000 + g))::uuid AS v FROM generate_series(1, 100) g`)),
  },
];

/**
 * Primary keys and unique indexes kept for the rule they enforce (whether or not a query also reads
 * them): the row a key names exists once, an ON CONFLICT has its arbiter, an event is queued once.
 */
const RULES: Record<string, string> = {
  schema_migrations_pkey: 'each migration is applied once (migrate.ts)',
  records_pkey: 'one current row per record id; insertRecords ON CONFLICT (record_id) DO NOTHING',
  records_change_seq_idx: 'change-feed positions are unique: a partner paging by change_seq sees each change once',
  record_versions_pkey: 'one row per record version',
  record_versions_feed_idx: 'a feed position is one version\'s: the relay publishes each once',
  outbox_pkey: 'one row per outbox id',
  outbox_unsent_pkey: 'an event is unsent once (outbox_unsent.id = outbox.id)',
  relay_cursor_pkey: 'the relay\'s cursor is one row (one = true)',
  idempotency_keys_pkey: 'one stored answer per (partner, Idempotency-Key): saveAnswer ON CONFLICT (partner, key) DO NOTHING',
  auth_jti_pkey: 'a token id is accepted once per partner (writeAuthBatch ON CONFLICT (partner_id, jti))',
  auth_rate_counters_pkey: 'one counter per partner and window (writeAuthBatch ON CONFLICT (partner_id, window_start))',
  audit_log_pkey: 'audit rows have dense unique seq numbers: a deleted or duplicated row breaks the chain visibly',
  audit_chain_head_pkey: 'the chain head is one row (id = true)',
  connector_state_pkey: 'one state row per connector (loadState ON CONFLICT DO NOTHING)',
  connector_runs_pkey: 'one row per run id',
  connector_quarantine_pkey: 'one row per quarantine id',
  connector_issues_pkey: 'one row per finding (connector, kind, field, value): recordIssues ON CONFLICT counts it',
  connector_seen_pkey: 'one row per (connector, source key): markSeen ON CONFLICT',
  console_sessions_pkey: 'one session per cookie id hash',
  console_signin_failures_pkey: 'one failure counter per key: lockSignInCounters ON CONFLICT (key)',
  deliveries_pkey: 'one delivery state per (record, destination): upsertStates ON CONFLICT (record_id, destination)',
  deliveries_seq_idx: 'delivery listing positions are unique (a cursor page sees each change once)',
  delivery_packages_pkey: 'one package per (destination, partition, first offset): recordPackage ON CONFLICT DO NOTHING',
  delivery_packages_name_key: 'a package name (file) is recorded once',
  delivery_parked_pkey: 'one row per parked id',
  delivery_parked_destination_partition_kafka_offset_key: 'an offset is parked once (parkEvents ON CONFLICT DO NOTHING)',
  delivery_feedback_cursors_pkey: 'one feedback cursor per destination (lockFeedbackCursor ON CONFLICT DO NOTHING)',
  monitoring_alerts_pkey: 'one row per alert id',
  monitoring_alerts_seq_key: 'alert listing positions are unique (GET /v1/alerts pages by seq)',
  monitoring_alerts_once_per_record: 'a record raises a given kind of alert once (insertAlerts ON CONFLICT DO NOTHING)',
  monitoring_alerts_once_per_region: 'a region raises an alert once per kind, level and period',
  monitoring_alerts_once_per_run: 'a connector run raises an alert once',
  monitoring_alerts_once_per_key: 'console lockouts and delivery alerts are raised once per dedupe key',
  monitoring_cursors_pkey: 'one position per detector cursor',
  objections_pkey: 'one row per objection id',
  objections_open_record_idx: 'at most one open objection per record',
  repairs_pkey: 'one row per repair id',
  repairs_open_record_idx: 'at most one pending repair request per record',
  subjects_pkey: 'one registry row per USCC (learnSubjects ON CONFLICT (uscc))',
  subject_names_pkey: 'a name is recorded once per USCC (learnSubjects ON CONFLICT (uscc, name))',
  person_keys_pkey: 'a (masked id, name, subject key) is learned once (learnPersons ON CONFLICT DO NOTHING)',
  uploads_pkey: 'one row per upload id',
  upload_rows_pkey: 'one result per row of an upload',
};

/**
 * Rules at work: code paths whose INSERT … ON CONFLICT (columns) has the rule's index as its arbiter
 * (EXPLAIN names it under "Conflict Arbiter Indexes"; an ON CONFLICT without columns names none).
 */
const ARBITERS: Entry[] = [
  {
    index: 'idempotency_keys_pkey',
    by: 'idempotency saveAnswer ON CONFLICT (partner, key)',
    run: ({ client }) => saveAnswer(client, 'partner-1', 'key-new', { bodyHash: 'h', statusCode: 200, response: {} }),
  },
  {
    index: 'auth_jti_pkey',
    by: 'audit-repo writeAuthBatch ON CONFLICT (partner_id, jti)',
    run: ({ client }) => writeAuthBatch(client, { kind: 'read' }, AUTH_BATCH),
  },
  {
    index: 'auth_rate_counters_pkey',
    by: 'audit-repo writeAuthBatch ON CONFLICT (partner_id, window_start)',
    run: ({ client }) => writeAuthBatch(client, { kind: 'read' }, AUTH_BATCH),
  },
  {
    index: 'console_signin_failures_pkey',
    by: 'console-repo lockSignInCounters ON CONFLICT (key) (console sign-in)',
    run: ({ client }) => lockSignInCounters(client, ['user:operator-1', 'addr:10.0.0.1'], 15),
  },
  {
    index: 'subjects_pkey',
    by: 'subjects-repo learnSubjects ON CONFLICT (uscc) (writeRecords, registry imports)',
    run: ({ client }) => learnSubjects(client, [{ uscc: syntheticUscc(12), name: '新名称', formerNames: ['旧名称'] }], 'import'),
  },
  {
    index: 'subject_names_pkey',
    by: 'subjects-repo learnSubjects ON CONFLICT (uscc, name) (writeRecords, registry imports)',
    run: ({ client }) => learnSubjects(client, [{ uscc: syntheticUscc(12), name: '新名称', formerNames: ['旧名称'] }], 'import'),
  },
];

const AUTH_BATCH = {
  jtis: [{ partnerId: 'partner-1', jti: 'jti-new', rememberUntil: Math.floor(Date.now() / 1000) + 600 }],
  windows: [{ partnerId: 'partner-1', start: Math.floor(Date.now() / 60_000) * 60, requests: 1 }],
};

// ---------------------------------------------------------------------------------------------------
// The tests
// ---------------------------------------------------------------------------------------------------

const planned = new Map<string, Promise<Explained[]>>();

/**
 * The statements an entry's code path sent, each with its plan (once per entry); with `without`, as
 * they are planned when that index is gone (dropped inside the entry's transaction, rolled back after).
 */
function plansOf(entry: Entry, without?: string): Promise<Explained[]> {
  const key = `${entry.index}/${entry.by}/${without ?? ''}`;
  let p = planned.get(key);
  if (!p) {
    p = (async () => {
      const log: Explained[] = [];
      const client = await pool.connect();
      try {
        await client.query(entry.begin ?? 'BEGIN');
        if (without) await dropIndex(client, without);
        const rec = recording(client, log);
        await entry.run({ client: rec, pool: poolView(rec), raw: client });
      } finally {
        await client.query('ROLLBACK').catch(() => undefined);
        client.release();
      }
      return log;
    })();
    planned.set(key, p);
  }
  return p;
}

/** Drops an index on the client's transaction: a primary key or unique constraint with its constraint (and the foreign keys on it). */
async function dropIndex(client: pg.PoolClient, index: string): Promise<void> {
  const { rows } = await client.query<{ conname: string; table: string }>(
    `SELECT conname, conrelid::regclass::text AS table FROM pg_constraint WHERE conindid = $1::regclass AND contype IN ('p', 'u')`, [index],
  );
  await client.query(rows[0] ? `ALTER TABLE ${rows[0].table} DROP CONSTRAINT ${rows[0].conname} CASCADE` : `DROP INDEX ${index}`);
}

/**
 * How much dearer the code path's plans get without the index: the largest ratio, over the statements
 * it sent, of the estimated cost without the index to the cost with it (Infinity when the code path
 * cannot run without it: an ON CONFLICT with no arbiter left).
 */
async function costWithout(entry: Entry): Promise<{ ratio: number; plans: string }> {
  const withIt = await plansOf(entry);
  let withoutIt: Explained[];
  try {
    withoutIt = await plansOf(entry, entry.index);
  } catch (err) {
    return { ratio: Infinity, plans: (err as Error).message };
  }
  let ratio = 0;
  withIt.forEach((e, i) => {
    const other = withoutIt[i];
    if (other?.sql === e.sql) ratio = Math.max(ratio, other.cost / Math.max(e.cost, 0.01));
  });
  return { ratio, plans: `with ${entry.index}:\n${describePlans(withIt)}\nwithout it:\n${describePlans(withoutIt)}` };
}

const describePlans = (log: Explained[]) => log.map((e) => `${e.sql.slice(0, 160)}\n${e.plan}`).join('\n');

beforeAll(async () => {
  db = await createTestDatabase();
  pool = plannedLikeTheGateway(db.url, 4);
  await migrate(pool);
  await seed();
}, 120_000);

afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

describe('each index is used by the code path named for it', () => {
  for (const entry of ENTRIES) {
    it(`${entry.index} ← ${entry.by}`, async () => {
      const log = await plansOf(entry);
      expect(log.length, 'the code path sent no statement').toBeGreaterThan(0);
      expect(log.flatMap((e) => e.indexes), describePlans(log)).toContain(entry.index);
    });
  }
});

/**
 * An index that saves its code path less than this share of the cost is not worth its upkeep for that
 * path. INDEX_USE_RATIOS=1 prints each entry's ratio (cost without the index / cost with it).
 */
const SAVES_AT_LEAST = 1.2;

describe('without the index, the code path named for it gets dearer', () => {
  for (const entry of ENTRIES) {
    it(`${entry.index} ← ${entry.by}`, async () => {
      const { ratio, plans } = await costWithout(entry);
      if (process.env.INDEX_USE_RATIOS) console.log(`${ratio.toFixed(2)}\t${entry.index}\t${entry.by}`);
      expect(ratio, plans).toBeGreaterThanOrEqual(SAVES_AT_LEAST);
    });
  }
});

describe('the rules at work: ON CONFLICT arbiters', () => {
  for (const entry of ARBITERS) {
    it(`${entry.index} ← ${entry.by}`, async () => {
      expect(RULES[entry.index]).toBeDefined();
      expect((await plansOf(entry)).flatMap((e) => e.arbiters)).toContain(entry.index);
    });
  }
});

describe('every index of the store is justified', () => {
  it('the rules are enforced by unique indexes that exist', async () => {
    const { rows } = await pool.query<{ name: string; unique: boolean }>(
      `SELECT c.relname AS name, i.indisunique AS unique FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'`,
    );
    const unique = new Map(rows.map((r) => [r.name, r.unique]));
    expect(Object.keys(RULES).filter((name) => unique.get(name) !== true)).toEqual([]);
  });

  it('no index is unused: each is used by a code path or enforces a rule (an unused one is dropped by a migration, as 017 did)', async () => {
    expect(await unjustifiedIndexes()).toEqual([]);
  });
});

/**
 * The indexes of the public schema that no rule needs and no entry justifies: an entry justifies its
 * index when its plans use it and would cost at least SAVES_AT_LEAST times as much without it.
 */
async function unjustifiedIndexes(): Promise<string[]> {
  const { rows } = await pool.query<{ indexname: string }>(`SELECT indexname FROM pg_indexes WHERE schemaname = 'public' ORDER BY indexname`);
  const justified = new Set<string>();
  for (const entry of ENTRIES) {
    const log = await plansOf(entry).catch(() => []);
    if (!log.some((e) => e.indexes.includes(entry.index))) continue;
    if ((await costWithout(entry).catch(() => ({ ratio: 0 }))).ratio >= SAVES_AT_LEAST) justified.add(entry.index);
  }
  return rows.map((r) => r.indexname).filter((name) => !justified.has(name) && !(name in RULES)).sort();
}
