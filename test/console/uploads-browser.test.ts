/**
 * The console's upload page in headless Chromium (as test/console/browser.test.ts): an operator signs
 * in, opens 文件上传, uploads a filled 行政处罚 template with one invalid row, follows the progress to
 * 完成, and downloads the feedback file, which marks exactly that row 拒收. Fails on any error shown
 * by the page, any page or console error, and any failed request.
 */
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../src/config/load.js';
import { hashOperatorPassword } from '../../src/console/operator-password.js';
import { categoryTemplate } from '../../src/templates/template.js';
import { DATA_FIRST_ROW, DATA_SHEET, templateXlsx } from '../../src/templates/xlsx.js';
import { startTestGateway, type TestGateway } from '../support/env.js';
import { openConsoleBrowser } from '../support/console-browser.js';

const PASSWORD = 'correct horse battery staple';

let gw: TestGateway;
let browser: Browser;
let page: Page;
let pageProblems: string[] = [];

beforeAll(async () => {
  execFileSync('bash', [join(REPO_ROOT, 'scripts/ensure-test-tools.sh')], { stdio: 'inherit', timeout: 900_000 });
  gw = await startTestGateway({
    monitoring: { detectorEnabled: false },
    console: { operators: [{ username: 'ops', passwordHash: await hashOperatorPassword(PASSWORD) }] },
  });
  ({ browser, page, problems: pageProblems } = await openConsoleBrowser({ acceptDownloads: true }));
}, 900_000);

afterAll(async () => {
  await browser?.close();
  await gw?.stop();
  await gw?.db.drop();
}, 60_000);

/** The 行政处罚 template with its example twice (valid) and once without a subject name (row 5). */
async function filledTemplate(): Promise<Buffer> {
  const template = categoryTemplate('admin_penalty');
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(await templateXlsx(template) as unknown as ArrayBuffer);
  const sheet = workbook.getWorksheet(DATA_SHEET)!;
  const rows: Array<Record<string, string>> = [
    { ...template.examples[0]!, 'source.key': 'console-1' },
    { ...template.examples[0]!, 'source.key': 'console-2' },
    { ...template.examples[0]!, 'source.key': 'console-3', 'subject.name': '' },
  ];
  rows.forEach((row, r) => template.columns.forEach((c, i) => {
    if (row[c.key]) sheet.getRow(DATA_FIRST_ROW + r).getCell(i + 1).value = row[c.key]!;
  }));
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

describe('the console upload page in headless Chromium', () => {
  it('uploads a file, shows its progress to the end, and downloads the feedback file', async () => {
    await page.goto(`${gw.url}/console`);
    await page.fill('input[name=username]', 'ops');
    await page.fill('input[name=password]', PASSWORD);
    await page.click('#sign-in-form button[type=submit]');
    await page.locator('#app').waitFor({ state: 'visible' });
    // the dashboard's own requests end first: leaving the page aborts those still running (ERR_ABORTED,
    // seen on a loaded machine), which is the browser's doing, not a problem of either page. The page's
    // load state cannot say so (signing in loads no page): the dashboard is busy until its requests end.
    await page.locator('#app[aria-busy="false"]').waitFor();
    await page.click('a[href="/console/uploads"]');
    await page.locator('#upload-form').waitFor({ state: 'visible' });
    expect(await page.locator('#operator-name').textContent()).toBe('ops');

    await page.selectOption('#upload-category', 'admin_penalty');
    await page.fill('#upload-system', 'dept.console');
    await page.setInputFiles('#upload-file', { name: '五月行政处罚.xlsx', mimeType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', buffer: await filledTemplate() });
    await page.click('#upload-form button[type=submit]');

    await expect.poll(() => page.locator('#progress-state').textContent(), { timeout: 30_000 }).toBe('完成');
    expect(await page.locator('#progress-read').textContent()).toMatch(/^3 \/ \d+$/);
    expect(await page.locator('#progress-stored').textContent()).toBe('2');
    expect(await page.locator('#progress-rejected').textContent()).toBe('1');
    await expect.poll(() => page.locator('#uploads-body tr').count()).toBe(1);
    expect(await page.locator('#uploads-body').textContent()).toContain('五月行政处罚.xlsx');

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#feedback-link')]);
    expect(download.suggestedFilename()).toBe('五月行政处罚-回执.xlsx');
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(await readFile((await download.path())!) as unknown as ArrayBuffer);
    const sheet = workbook.worksheets[0]!;
    const width = categoryTemplate('admin_penalty').columns.length;
    expect(sheet.getRow(1).getCell(width + 1).value).toBe('处理结果');
    const results = [3, 4, 5].map((r) => sheet.getRow(r).getCell(width + 1).value);
    expect(results).toEqual(['已入库（新增）', '已入库（新增）', '拒收']);
    expect(String(sheet.getRow(5).getCell(width + 2).value)).toContain('字段“主体名称或姓名”（规则 required');

    expect(await page.locator('#error-banner').isHidden()).toBe(true);
    expect(pageProblems).toEqual([]);
  });
});
