/**
 * The partner's guide stays true: README.md's sample batch of every category is pushed, signed by a
 * partner registered with the samples' source systems (as the README's onboarding says), to a real
 * gateway with partner authentication and accepted whole, and both the samples and docs/categories.md are exactly what the
 * generator (src/dev/partner-guide.ts, `npm run docs:partner-guide`) makes from today's schemas.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CATEGORY_IDS } from '../../src/domain/catalogue.js';
import { authOverrides, makePartner, type TestPartner } from '../../src/dev/partner.js';
import { categoriesMarkdown, repositoryRoot, sampleBatch, samplesInReadme, withCurrentSamples } from '../../src/dev/partner-guide.js';
import { startTestGateway, type TestGateway } from '../support/env.js';

const readme = readFileSync(join(repositoryRoot(), 'README.md'), 'utf8');
let gw: TestGateway;
let partner: TestPartner;

beforeAll(async () => {
  const systems = [...samplesInReadme(readme).values()].flatMap((batch) => (batch as { records: Array<{ source: { system: string } }> }).records.map((r) => r.source.system));
  partner = await makePartner({ scopes: ['records:write'], sourceSystems: [...new Set(systems)], categories: ['*'], regions: ['*'] });
  gw = await startTestGateway(authOverrides([partner]));
});

afterAll(async () => {
  await gw?.stop();
  await gw?.db.drop();
});

describe('README sample batches', () => {
  it('has one per category, as generated (run `npm run docs:partner-guide` after changing the samples or schemas)', () => {
    const samples = samplesInReadme(readme);
    expect([...samples.keys()]).toEqual([...CATEGORY_IDS]);
    for (const c of CATEGORY_IDS) expect(samples.get(c), c).toEqual(sampleBatch(c));
    expect(withCurrentSamples(readme)).toBe(readme);
  });

  it.each([...CATEGORY_IDS])('the %s batch is accepted whole', async (category) => {
    const batch = samplesInReadme(readme).get(category);
    const res = await partner.signedFetch(`${gw.url}/v1/records`, { method: 'POST', body: JSON.stringify(batch) });
    const body = (await res.json()) as { summary: { rejected: number; created: number }; results: unknown };
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body.summary.rejected, JSON.stringify(body.results)).toBe(0);
    expect(body.summary.created).toBe((batch as { records: unknown[] }).records.length);
  });
});

describe('docs/categories.md', () => {
  it('is what the schemas say (run `npm run docs:partner-guide` after changing a schema)', () => {
    expect(readFileSync(join(repositoryRoot(), 'docs', 'categories.md'), 'utf8')).toBe(categoriesMarkdown());
  });

  it('names the conditional rules a partner meets first', () => {
    const doc = categoriesMarkdown();
    expect(doc).toMatch(/\| `CF_NR_FK` \|[^\n]*required when `CF_CFLB` contains 罚款/);
    expect(doc).toMatch(/\| `orgCode` \|[^\n]*not allowed when `partyType` = 自然人/);
    expect(doc).toMatch(/### `seriousDishonesty`/);
  });
});
