/**
 * The operator console in headless Chromium (Debian's `chromium`, installed by
 * scripts/ensure-test-tools.sh when missing, driven by playwright-core): sign in, see the health panel,
 * run a connector from the console, look up a subject, and check that both charts drew bars. Fails
 * on any error shown by the page, any page or console error, and any failed request. Saves a
 * screenshot to test-results/console.png.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureConnectorInstances, realRows } from '../../connectors/fixtures-server/fixture-data.js';
import { rowsOf, startFixtureSources, type FixtureSources } from '../../connectors/fixtures-server/server.js';
import { REPO_ROOT } from '../../src/config/load.js';
import { hashOperatorPassword } from '../../src/console/operator-password.js';
import { syntheticUscc } from '../../src/domain/uscc.js';
import { inTransaction } from '../../src/store/db.js';
import { writeRecords } from '../../src/store/records-repo.js';
import { startTestGateway, type TestGateway } from '../support/env.js';
import { sampleRecordInput } from '../../src/dev/sample-records.js';
import { openConsoleBrowser } from '../support/console-browser.js';

const PASSWORD = 'correct horse battery staple';
const ORGAN = syntheticUscc(4242, { kindCode: '11', region: '320583' });

let gw: TestGateway;
let src: FixtureSources;
let browser: Browser;
let page: Page;
let pageProblems: string[] = [];

beforeAll(async () => {
  execFileSync('bash', [join(REPO_ROOT, 'scripts/ensure-test-tools.sh')], { stdio: 'inherit', timeout: 900_000 });

  src = await startFixtureSources();
  src.sets.baidu = rowsOf(realRows().baidu.slice(0, 8));
  gw = await startTestGateway({
    relay: { enabled: true },
    monitoring: { detectorEnabled: false },
    console: { operators: [{ username: 'ops', passwordHash: await hashOperatorPassword(PASSWORD) }] },
    connectors: {
      defaults: { backoffBaseMs: 10, perHostRatePerSecond: 1000 },
      instances: { 'court-dishonest': fixtureConnectorInstances(src.url)['court-dishonest-baidu-6899'] },
    },
  });

  // a government organ with two severe records this quarter: something to rank and to look up
  const items = [0, 1].map((i) => {
    const input = sampleRecordInput('admin_penalty', 500 + i, { subject: { uscc: ORGAN, name: '昆山市样例局', kind: undefined, region: undefined } });
    input.severity = 'severe';
    input.decidedAt = new Date().toISOString().slice(0, 10);
    const p = gw.ctx.preparer.prepare(input);
    if (!p.ok) throw new Error(JSON.stringify(p.errors));
    return p.record;
  });
  await inTransaction(gw.ctx.pool, (c) => writeRecords(c, items, { actor: 'test', outbox: gw.ctx.outbox }));

  ({ browser, page, problems: pageProblems } = await openConsoleBrowser());
}, 900_000);

afterAll(async () => {
  const t0 = Date.now();
  const step = async (name: string, fn: () => Promise<unknown> | undefined) => {
    await fn();
    console.log(`afterAll ${name} at ${Date.now() - t0} ms`);
  };
  await step('browser', () => browser?.close());
  await step('gateway', () => gw?.stop());
  await step('db', () => gw?.db.drop());
  await step('fixtures', () => src?.close());
}, 60_000);

async function expectNoPageError(): Promise<void> {
  expect(await page.locator('#error-banner').isHidden(), await page.locator('#error-banner').textContent() ?? '').toBe(true);
  expect(pageProblems).toEqual([]);
}

describe('operator console in headless Chromium', () => {
  it('signs in, shows health, runs a connector, looks up a subject, draws the charts', async () => {
    await page.goto(`${gw.url}/console`);
    await page.locator('#sign-in-form').waitFor({ state: 'visible' });
    expect(await page.locator('#app').isHidden()).toBe(true);

    await page.fill('input[name=username]', 'ops');
    await page.fill('input[name=password]', PASSWORD);
    await page.click('#sign-in-form button[type=submit]');
    await page.locator('#app').waitFor({ state: 'visible' });
    await expect.poll(() => page.locator('#operator-name').textContent()).toContain('ops');

    // health panel: database and broker up, the outbox numbers shown
    await expect.poll(() => page.locator('#health-db').textContent()).toBe('正常');
    await expect.poll(() => page.locator('#health-broker').textContent(), { timeout: 15_000 }).toBe('正常');
    expect(await page.locator('#health-backlog').textContent()).toMatch(/^\d+$/);

    // run the connector from the console and follow it to success
    const button = page.locator('button.run-now[data-connector="court-dishonest"]');
    await button.waitFor({ state: 'visible' });
    await button.click();
    await expect.poll(() => page.locator('#connectors-run-message').textContent(), { timeout: 15_000 }).toContain('已启动采集器 court-dishonest');
    await expect.poll(() => page.locator('#connectors-body').textContent(), { timeout: 30_000 }).toMatch(/#\d+ 成功/);
    await expect(page.locator('#connectors-body tr', { hasText: 'court-dishonest' }).locator('td').nth(1).textContent()).resolves.toBe('http');
    // file uploads have their row beside the connectors, with the last day's counts and a link to the upload page
    await expect(page.locator('#connectors-uploads').textContent()).resolves.toMatch(/文件上传.*24 小时内 \d+ 个文件/);
    await expect(page.locator('#connectors-uploads a').getAttribute('href')).resolves.toBe('/console/uploads');
    const { rows: runs } = await gw.ctx.pool.query<{ state: string; trigger: string; created: number }>(
      `SELECT state, trigger, created FROM connector_runs WHERE connector = 'court-dishonest'`,
    );
    expect(runs).toEqual([{ state: 'succeeded', trigger: 'api', created: 8 }]);

    // subject lookup by USCC: its records and their states
    await page.fill('#subject-uscc', ORGAN);
    await page.click('#subject-form button[type=submit]');
    await expect.poll(() => page.locator('#subject-summary').textContent()).toContain('共 2 条记录');
    expect(await page.locator('#subject-body tr').count()).toBe(2);
    expect(await page.locator('#subject-body').textContent()).toContain('公示中');
    expect(await page.locator('#subject-body').textContent()).toContain('行政处罚');

    // charts: the throughput chart has a bar per hour and at least one non-empty one; the ranking has 苏州
    const hourBars = page.locator('#chart-throughput svg rect.bar');
    expect(await hourBars.count()).toBe(24);
    const heights = await hourBars.evaluateAll((bars) => bars.map((b) => Number(b.getAttribute('height'))));
    expect(Math.max(...heights)).toBeGreaterThan(10);
    await expect.poll(() => page.locator('#chart-ranking svg rect.bar').count()).toBeGreaterThan(0);
    const rankingBox = await page.locator('#chart-ranking svg rect.bar').first().boundingBox();
    expect(rankingBox!.height).toBeGreaterThan(10);
    expect(await page.locator('#ranking-body').textContent()).toContain('苏州市');

    mkdirSync(join(REPO_ROOT, 'test-results'), { recursive: true });
    await page.screenshot({ path: join(REPO_ROOT, 'test-results/console.png'), fullPage: true });
    await expectNoPageError();
  });
});
