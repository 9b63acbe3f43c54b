/**
 * Helpers for connector integration tests: run a connector once through the gateway's service and
 * wait for its events to reach Kafka; a record's events; read a record's versions by source key.
 */
import type { RunRow } from '../../src/store/connectors-repo.js';
import { listRecordEvents } from '../../src/outbox/outbox.js';
import { waitForOutboxDrained, type TestGateway } from './env.js';

/** Runs the connector now, waits for the run to end and for the outbox to drain, and returns the run. */
export async function runConnectorOnce(gw: TestGateway, name: string): Promise<RunRow> {
  const started = await gw.ctx.connectors!.start(name, 'api');
  if (!started.started) throw new Error(`connector ${name} not started: ${started.reason}`);
  const run = await started.done;
  await waitForOutboxDrained(gw.ctx.pool);
  return run;
}

/** Record id, status and the change kinds of its versions, for the record with this source key. */
export async function recordBySourceKey(gw: TestGateway, system: string, key: string): Promise<{ recordId: string; status: string; envelope: any; versions: string[] } | undefined> {
  const { rows } = await gw.ctx.pool.query<{ record_id: string; status: string; envelope: any }>(
    `SELECT record_id, status, envelope FROM current_records WHERE envelope->'source'->>'system' = $1 AND envelope->'source'->>'key' = $2`,
    [system, key],
  );
  const r = rows[0];
  if (!r) return undefined;
  const { rows: v } = await gw.ctx.pool.query<{ change_kind: string }>('SELECT change_kind FROM record_versions WHERE record_id = $1 ORDER BY version', [r.record_id]);
  return { recordId: r.record_id, status: r.status, envelope: r.envelope, versions: v.map((x) => x.change_kind) };
}

/** The types of a record's events for a destination (published or not), oldest first. */
export async function eventTypesOf(gw: TestGateway, recordId: string, destination: string): Promise<string[]> {
  return (await listRecordEvents(gw.ctx.pool, { recordId, destination })).map((e) => e.type);
}

/** Quarantined rows of a connector, oldest first. */
export async function quarantineOf(gw: TestGateway, connector: string): Promise<Array<{ sourceKey: string | null; raw: any; errors: Array<{ pointer: string; rule: string; zh: string; en: string }>; runId: number }>> {
  const { rows } = await gw.ctx.pool.query('SELECT source_key, raw, errors, run_id FROM connector_quarantine WHERE connector = $1 ORDER BY id', [connector]);
  return rows.map((r) => ({ sourceKey: r.source_key, raw: r.raw, errors: r.errors, runId: Number(r.run_id) }));
}

export async function issuesOf(gw: TestGateway, connector: string): Promise<Array<{ kind: string; field: string; value: string }>> {
  const { rows } = await gw.ctx.pool.query<{ kind: string; field: string; value: string }>('SELECT kind, field, value FROM connector_issues WHERE connector = $1 ORDER BY kind, field, value', [connector]);
  return rows;
}

/** An organisation's 行政许可 as a partner pushes it: how a test teaches the subject registry a USCC and its name. */
export interface LicenceOf {
  uscc: string;
  name: string;
  key: string;
  decidedAt: string;
  representative: string;
  permit: string;
  number: string;
  content: string;
  authority: string;
}

/** Pushes one admin_license record of the organisation (system sample-admin_license) and answers the HTTP status. */
export async function pushLicence(gw: TestGateway, l: LicenceOf): Promise<number> {
  const res = await fetch(`${gw.url}/v1/records`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      records: [{
        category: 'admin_license', subject: { uscc: l.uscc, name: l.name }, source: { system: 'sample-admin_license', key: l.key },
        decidedAt: l.decidedAt,
        data: {
          XK_XDR_MC: l.name, XK_XDR_LB: '法人及非法人组织', XK_XDR_SHXYM: l.uscc, XK_FRDB: l.representative, XK_XKWS: l.permit,
          XK_WSH: l.number, XK_XKLB: '普通', XK_NR: l.content, XK_JDRQ: l.decidedAt, XK_XKJG: l.authority, XK_ZT: '1',
        },
      }],
    }),
  });
  await res.arrayBuffer();
  return res.status;
}
