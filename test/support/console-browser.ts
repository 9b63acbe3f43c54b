/**
 * Headless Chromium for the console's browser tests (Debian's `chromium`, installed by
 * scripts/ensure-test-tools.sh when missing, driven by playwright-core): one page, and every problem
 * the page shows — console errors, page errors, failed requests, answers ≥ 400 — collected so a test
 * can require none.
 */
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

export interface ConsoleBrowser {
  browser: Browser;
  page: Page;
  problems: string[];
}

export async function openConsoleBrowser(opts: { acceptDownloads?: boolean } = {}): Promise<ConsoleBrowser> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 }, locale: 'zh-CN', acceptDownloads: opts.acceptDownloads ?? false });
  const problems: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('requestfailed', (req) => problems.push(`request failed: ${req.url()} ${req.failure()?.errorText}`));
  page.on('response', (res) => {
    if (res.status() >= 400) problems.push(`HTTP ${res.status()} ${res.url()}`);
  });
  return { browser, page, problems };
}
