/**
 * @module docs/screenshots/*.png: sign-in, federal overview, agency, host with evidence and rule
 * views of a collector seeded with realistic demo data (real fixture scan results), taken in
 * Debian's chromium. Run: npm run build && node bench/dashboard/screenshots.mjs
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { chromiumMissing, launchChromium } from '../../test/helpers/chromium.js';
import { startDemoCollector } from './demo-collector.js';

// Run from the repository root (the bundle lives in node_modules/.cache).
const repo = process.cwd();
const outDir = path.join(repo, 'docs/screenshots');
const missing = chromiumMissing();
if (missing) throw new Error(missing);

const demo = await startDemoCollector(
  repo,
  [
    { name: 'DHS', hosts: 60, hardened: 0.55 },
    { name: 'CISA', parent: 'DHS', hosts: 48, hardened: 0.8 },
    { name: 'FEMA', parent: 'DHS', hosts: 36, hardened: 0.35, offline: 0.15 },
    { name: 'DOE', hosts: 90, hardened: 0.5 },
    { name: 'Treasury', hosts: 40, hardened: 0.7 },
    { name: 'IRS', parent: 'Treasury', hosts: 75, hardened: 0.6 },
    { name: 'VA', hosts: 55, hardened: 0.25, offline: 0.1 },
  ],
  [
    { name: 'soc-analyst', role: 'soc' },
    { name: 'dhs-viewer', role: 'agency-viewer', agency: 'DHS' },
  ],
);
const base = demo.collector.url;
const browser = await launchChromium();
try {
  const context = await browser.newContext({ viewport: { width: 1360, height: 900 }, deviceScaleFactor: 1 });
  const page = await context.newPage();
  mkdirSync(outDir, { recursive: true });
  const shot = async (name: string, p: Page = page) => {
    await p.screenshot({ path: path.join(outDir, `${name}.png`) });
    console.log(`docs/screenshots/${name}.png`);
  };
  await page.goto(`${base}/#/signin`);
  await page.getByLabel('API token').fill('rpa_example-token-for-the-screenshot');
  await shot('signin');
  await page.getByLabel('API token').fill(demo.tokens['soc-analyst']!);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForSelector('table caption');
  await shot('overview');

  await page.goto(`${base}/#/agency/DHS`);
  await page.waitForSelector('#findings');
  await shot('agency');

  const failing = demo.hosts.find((h) => h.agency === 'FEMA' && h.fixture.endsWith('-default'))!;
  await page.goto(`${base}/#/host/${failing.agentId}?status=fail`);
  await page.waitForSelector('tr[data-status="fail"]');
  await shot('host');

  await page.goto(`${base}/#/rule/linux.net.ip-forward-disabled?agency=DHS`);
  await page.waitForSelector('table caption');
  await shot('rule');
} finally {
  await browser.close();
  await demo.close();
}
