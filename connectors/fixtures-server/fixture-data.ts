/** The fixture files of every connector (connectors/<name>/fixtures/*.json) as fixture-server row sets. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../src/config/load.js';
import { rowsOf, type FixtureSets } from './server.js';

function read<T>(relative: string): T[] {
  return JSON.parse(readFileSync(join(REPO_ROOT, 'connectors', relative), 'utf8')) as T[];
}

export function fixtureRows() {
  return {
    dishonest: read<Record<string, unknown>>('court-dishonest/fixtures/rows.json'),
    judgments: read<Record<string, unknown>>('court-judgments/fixtures/rows.json'),
    procurementSerious: read<Record<string, unknown>>('procurement/fixtures/serious-dishonesty.json'),
    procurementDefaults: read<Record<string, unknown>>('procurement/fixtures/purchaser-defaults.json'),
    bidding: read<Record<string, string>>('bidding/fixtures/rows.json'),
    penalties: read<Record<string, unknown>>('http-json/fixtures/xzcf-rows.json'),
  };
}

export function fixtureSets(): FixtureSets {
  const r = fixtureRows();
  return {
    dishonest: rowsOf(r.dishonest),
    judgments: rowsOf(r.judgments),
    procurementSerious: rowsOf(r.procurementSerious),
    procurementDefaults: rowsOf(r.procurementDefaults),
    bidding: rowsOf(r.bidding),
    penalties: rowsOf(r.penalties),
  };
}

/** Connector instances pointing at fixture sources on `baseUrl` (enabled, on-demand only). */
export function fixtureConnectorInstances(baseUrl: string, pageSize = 5): Record<string, unknown> {
  const common = { enabled: true, schedule: null, pageSize };
  return {
    'court-dishonest': { ...common, type: 'court-dishonest', baseUrl: `${baseUrl}/court-dishonest` },
    'court-judgments': { ...common, type: 'court-judgments', baseUrl: `${baseUrl}/court-judgments` },
    procurement: { ...common, type: 'procurement', baseUrl: `${baseUrl}/procurement` },
    bidding: { ...common, type: 'bidding', baseUrl: `${baseUrl}/bidding` },
    'xzcf-feed': { ...common, type: 'http-json', baseUrl: `${baseUrl}/shuanggongshi/xzcf` },
  };
}
