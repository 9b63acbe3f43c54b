/**
 * The console's deliveries panel in headless Chromium (as test/console/browser.test.ts): a platform
 * rejects two records; the panel shows the counts per state, the rejections per source system and the
 * rejected records with the platform's reason; "重新交付" on one, after the platform fixed its side,
 * queues it again and it comes back accepted. Fails on any page error or failed request.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { REPO_ROOT } from '../../src/config/load.js';
import { hashOperatorPassword } from '../../src/console/operator-password.js';
import { FilePlatform, type FilePlatformOptions } from '../../src/dev/file-platform.js';
import { sampleRecordInput } from '../../src/dev/sample-records.js';
import { scratchDir } from '../../src/dev/scratch-dir.js';
import { startTestGateway, uniqueName, type TestGateway } from '../support/env.js';
import { deliveryHelpers } from '../delivery/delivery-helpers.js';
import { openConsoleBrowser } from '../support/console-browser.js';

const PASSWORD = 'correct horse battery staple';
const root = scratchDir('console-deliveries-');
const dirs = { directory: join(root, 'drop'), feedbackDirectory: join(root, 'feedback'), archiveDirectory: join(root, 'archive') };
const name = uniqueName('cd').replaceAll('_', '-').toLowerCase();
const rules: FilePlatformOptions = { dropDirectory: dirs.directory, feedbackDirectory: dirs.feedbackDirectory, rejectMarker: '样例' };

let gw: TestGateway;
let platform: FilePlatform;
let browser: Browser;
let page: Page;
let pageProblems: string[] = [];
const h = deliveryHelpers(() => gw);
const { post } = h;

beforeAll(async () => {
  execFileSync('bash', [join(REPO_ROOT, 'scripts/ensure-test-tools.sh')], { stdio: 'inherit', timeout: 900_000 });
  for (const dir of Object.values(dirs)) mkdirSync(dir, { recursive: true });
  gw = await startTestGateway({
    lifecycle: { expiryEnabled: false },
    monitoring: { detectorEnabled: false },
    console: { operators: [{ username: 'ops', passwordHash: await hashOperatorPassword(PASSWORD) }] },
    destinations: [{ name, topic: `test.${name}.v1`, categories: ['*'], regions: [], delivery: { way: 'file', ...dirs, feedbackPollMs: 100, maxBackoffMs: 1000 } }],
  });
  platform = new FilePlatform(rules);
  platform.start();
  ({ browser, page, problems: pageProblems } = await openConsoleBrowser());
}, 900_000);

afterAll(async () => {
  await browser?.close();
  await platform?.stop();
  await gw?.stop();
  await gw?.db.drop();
}, 60_000);

const stateOf = (recordId: string) => h.stateOf(recordId, name);

it('shows rejected records per source and re-delivers one after the platform fixed its side', async () => {
  const res = await post('/v1/records', { records: [1, 2].map((i) => sampleRecordInput('admin_license', 87_000 + i)) });
  expect(res.status).toBe(200);
  const ids: string[] = res.body.results.map((r: { recordId: string }) => r.recordId);
  for (const id of ids) await expect.poll(async () => (await stateOf(id))?.state, { timeout: 60_000 }).toBe('rejected');
  const sourceSystem = sampleRecordInput('admin_license', 87_001).source.system;

  await page.goto(`${gw.url}/console`);
  await page.fill('input[name=username]', 'ops');
  await page.fill('input[name=password]', PASSWORD);
  await page.click('#sign-in-form button[type=submit]');
  await page.locator('#app').waitFor({ state: 'visible' });

  // counts per destination: queued, delivered, accepted, rejected, parked
  await expect.poll(() => page.locator('#delivery-counts-body tr').first().locator('td').allTextContents())
    .toEqual([name, '文件', '0', '0', '0', '2', '0']);
  expect(await page.locator('#delivery-by-source-body tr td').allTextContents()).toEqual([name, sourceSystem, '2']);
  expect(await page.locator('#delivery-rejected-body tr').count()).toBe(2);
  expect(await page.locator('#delivery-rejected-body').textContent()).toContain('subject name contains "样例"');

  rules.rejectMarker = '不会出现的标记';
  await page.click(`#delivery-rejected-body button.redeliver[data-record="${ids[0]}"]`);
  await expect.poll(() => page.locator('#delivery-message').textContent()).toContain(`已安排重新交付：记录 ${ids[0]}`);
  await expect.poll(async () => (await stateOf(ids[0]!))?.state, { timeout: 60_000 }).toBe('accepted');
  expect((await stateOf(ids[1]!)).state).toBe('rejected');

  await page.reload();
  await page.locator('#app').waitFor({ state: 'visible' });
  await expect.poll(() => page.locator('#delivery-counts-body tr').first().locator('td').allTextContents())
    .toEqual([name, '文件', '0', '0', '1', '1', '0']);
  expect(await page.locator('#delivery-rejected-body tr').count()).toBe(1);

  mkdirSync(join(REPO_ROOT, 'test-results'), { recursive: true });
  await page.screenshot({ path: join(REPO_ROOT, 'test-results/console-deliveries.png'), fullPage: true });
  expect(await page.locator('#error-banner').isHidden()).toBe(true);
  expect(pageProblems).toEqual([]);
}, 180_000);
