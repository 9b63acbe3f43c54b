/**
 * The AsyncAPI document of the Kafka topics (GET /docs/asyncapi.json), as a partner's tooling reads it:
 * served without credentials by a gateway whose /v1 requires them, valid for @asyncapi/parser (no
 * diagnostic of severity error), one channel per configured destination topic and one for the alerts
 * topic, every `$ref` resolving inside the document. And the events the gateway really publishes fit
 * it: value, headers and key of each message validate against the channel's message (draft-07, the
 * identifier formats asserted), masked where the destination masks identity numbers.
 */
import { randomUUID } from 'node:crypto';
import { DiagnosticSeverity, Parser } from '@asyncapi/parser';
import { Ajv, type ValidateFunction } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maskPersonalId, syntheticPersonalId } from '../../src/domain/personal-id.js';
import type { RecordInput } from '../../src/domain/record.js';
import { authOverrides, makePartner, type TestPartner } from '../../src/dev/partner.js';
import { sampleRecordInput } from '../../src/dev/sample-records.js';
import { alertEvent } from '../../src/outbox/events.js';
import { ALERT_KINDS, type Alert } from '../../src/store/alerts-repo.js';
import { addIdentifierFormats } from '../../src/validation/formats.js';
import { readTopic, startTestGateway, testDestinations, uniqueName, type ReadMessage, type TestGateway } from '../support/env.js';

const tag = uniqueName('asyncapi');
const destinations = [
  ...testDestinations(tag), // prov (every category) and nat (two categories, USCC required): both mask
  { name: 'open', topic: `test.${tag}.open.v1`, categories: ['dishonest_debtor', 'admin_penalty'], regions: ['32'], maskPersonalIds: false },
];

let gw: TestGateway;
let writer: TestPartner;
let doc: any;
let headers: Headers;

beforeAll(async () => {
  writer = await makePartner({ scopes: ['records:write', 'records:read'] });
  gw = await startTestGateway({ destinations, ...authOverrides([writer]) });
  const res = await fetch(`${gw.url}/docs/asyncapi.json`);
  expect(res.status).toBe(200);
  headers = res.headers;
  doc = await res.json();
}, 60_000);

afterAll(async () => {
  await gw?.stop();
  await gw?.db.drop();
});

/** The value at a document-internal `$ref` ('#/components/...'), or undefined. */
function resolve(ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined;
  return ref.slice(2).split('/').map((t) => t.replaceAll('~1', '/').replaceAll('~0', '~'))
    .reduce<any>((node, token) => (node !== null && typeof node === 'object' && Object.hasOwn(node, token) ? node[token] : undefined), doc);
}

function refsIn(node: unknown, found: string[] = []): string[] {
  if (Array.isArray(node)) node.forEach((n) => refsIn(n, found));
  else if (node !== null && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string') found.push(value);
      else refsIn(value, found);
    }
  }
  return found;
}

describe('GET /docs/asyncapi.json', () => {
  it('is public: served without credentials while /v1 refuses them, as JSON with the security headers', async () => {
    expect((await fetch(`${gw.url}/v1/catalog`)).status).toBe(401);
    expect(headers.get('content-type')).toMatch(/^application\/json/);
    expect(headers.get('x-content-type-options')).toBe('nosniff');
    expect(doc.asyncapi).toBe('3.0.0');
  });

  it('@asyncapi/parser finds no error in it', async () => {
    const { document, diagnostics } = await new Parser().parse(JSON.stringify(doc));
    const errors = diagnostics.filter((d) => d.severity === DiagnosticSeverity.Error);
    expect(errors.map((d) => `${d.code} at ${d.path.join('/')}: ${d.message}`)).toEqual([]);
    expect(document).toBeDefined();
    const addresses = document!.channels().all().map((c) => c.address());
    expect(addresses.sort()).toEqual([...destinations.map((d) => d.topic), gw.config.monitoring.alertsTopic].sort());
  });

  it('has a channel per destination topic and the alerts topic, with the destination\'s rules and masking', () => {
    for (const d of destinations) {
      const channel = doc.channels[`records.${d.name}`];
      expect(channel.address).toBe(d.topic);
      expect(channel['x-destination']).toMatchObject({ name: d.name, maskPersonalIds: d.maskPersonalIds, categories: d.categories });
      for (const type of ['record.upserted', 'record.status_changed', 'record.retracted']) {
        expect(channel.messages[type].$ref).toBe(`#/components/messages/${d.maskPersonalIds ? 'masked.' : ''}${type}`);
      }
    }
    expect(doc.channels.alerts.address).toBe(gw.config.monitoring.alertsTopic);
    expect(Object.keys(doc.channels.alerts.messages)).toEqual(['alert.raised']);
    // the six headers, by name
    expect(Object.keys(doc.components.schemas['event.recordHeaders'].properties).sort())
      .toEqual(['content-type', 'event-id', 'event-type', 'record-id', 'record-version', 'schema']);
  });

  it('every $ref resolves inside the document, and every schema file is bundled', () => {
    const refs = refsIn(doc);
    expect(refs.length).toBeGreaterThan(100);
    expect([...new Set(refs.filter((r) => resolve(r) === undefined))]).toEqual([]);
    for (const name of ['record', 'record-input', 'common', 'categories.dishonest_debtor', 'common.personalIdMasked', 'masked.record']) {
      expect(doc.components.schemas[name], name).toBeDefined();
    }
    expect(JSON.stringify(doc)).not.toMatch(/urn:credit-gateway:schema|"\$defs"|"\$id"/);
  });
});

describe('the events published fit the document', () => {
  const id = syntheticPersonalId(8_401);
  const person: RecordInput = sampleRecordInput('dishonest_debtor', 8_401, {
    subject: { uscc: undefined, idNumber: id, name: '张某', kind: 'person', region: '320583' },
    data: { partyType: '自然人', orgCode: undefined, legalRepresentative: undefined, idNumberMasked: maskPersonalId(id) },
  } as never);
  const organisation = sampleRecordInput('admin_penalty', 8_402);
  const read = new Map<string, ReadMessage[]>();
  let ajv: Ajv;
  const validator = (pointer: string): ValidateFunction => {
    const v = ajv.getSchema(`urn:test:asyncapi#${pointer}`);
    if (!v) throw new Error(`no schema at ${pointer}`);
    return v;
  };

  beforeAll(async () => {
    const body = JSON.stringify({ records: [person, organisation] });
    const res = await writer.signedFetch(`${gw.url}/v1/records`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
    expect(res.status, await res.clone().text()).toBe(200);
    for (const d of destinations.filter((x) => x.name !== 'nat')) read.set(d.name, await readTopic(d.topic, { until: (m) => m.length >= 2 }));
    ajv = new Ajv({ strict: false, allErrors: true });
    addIdentifierFormats(ajv as never);
    // the components alone: their `$ref`s point into them, and the document's root `id` is not a schema's
    ajv.addSchema({ components: doc.components }, 'urn:test:asyncapi');
  }, 60_000);

  it('value, headers and key of every message validate against its channel\'s message', () => {
    for (const [name, messages] of read) {
      for (const m of messages) {
        const pointer = (doc.channels[`records.${name}`].messages[m.headers['event-type']!].$ref as string).slice(1);
        for (const [part, data] of [['payload', m.value], ['headers', m.headers], ['bindings/kafka/key', m.key]] as const) {
          const v = validator(`${pointer}/${part}`);
          expect(v(data), `${name} ${part}: ${ajv.errorsText(v.errors)}`).toBe(true);
        }
      }
    }
  });

  it('an alert of every kind the gateway raises fits the alert message', () => {
    const payload = validator('/components/messages/alert.raised/payload');
    for (const kind of ALERT_KINDS) {
      const alert: Alert = {
        alertId: randomUUID(), seq: 1, kind, region: null, recordId: null, recordVersion: null, uscc: null, level: null, period: null,
        score: null, threshold: null, connector: null, connectorRunId: null, details: {}, raisedAt: new Date().toISOString(),
      };
      const value = JSON.parse(alertEvent(alert, 'alerts').payload!);
      expect(payload(value), `${kind}: ${ajv.errorsText(payload.errors)}`).toBe(true);
    }
  });

  it('a masking destination\'s schema takes only masked identity numbers', () => {
    const clear = read.get('open')!.find((m) => m.value.record.subject.idNumber)!;
    const masked = read.get('prov')!.find((m) => m.value.record.subject.idNumber)!;
    expect(clear.value.record.subject.idNumber).toBe(id);
    expect(masked.value.record.subject.idNumber).toBe(maskPersonalId(id));
    const maskedPayload = validator('/components/messages/masked.record.upserted/payload');
    expect(maskedPayload(masked.value)).toBe(true);
    expect(maskedPayload(clear.value)).toBe(false);
    expect(JSON.stringify(maskedPayload.errors)).toMatch(/idNumber/);
    expect(validator('/components/messages/record.upserted/payload')(clear.value)).toBe(true);
  });
});
