import { cpSync, promises as fs, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumMissing, launchChromium } from '../helpers/chromium.js';
import { buildDashboard } from '../helpers/dashboard-build.js';
import { startTestCollector, type TestCollector } from '../helpers/test-collector.js';
import { REPO, enrollAgent, ensureBuilt, removeBuild, runRampart, type AgentEnv } from '../integration/helpers/agent-processes.js';

// Sign in; a failing result from a real agent process appears live; drill down to its evidence;
// keyboard use; an agency viewer cannot reach another agency's pages or data.
const missing = chromiumMissing();
if (missing) console.warn(`SKIPPING browser tests: ${missing}`);

const RULE = 'linux.net.ip-forward-disabled';
const SYSCTL_FIX = 'etc/sysctl.d/99-rampart-test.conf';

let tmp: string;
let c: TestCollector;
let browser: Browser;
let agent: AgentEnv;
let agentId: string;
const tokens: Record<string, string> = {};

async function scanOnce(): Promise<void> {
  const r = await runRampart(['agent', 'run', '--once', '--timeout', '60'], agent);
  expect(r.code, r.stderr).toBe(0);
}

async function newPage(): Promise<Page> {
  const page = await browser.newPage();
  page.setDefaultTimeout(10_000);
  return page;
}

async function signIn(page: Page, token: string): Promise<void> {
  await page.goto(`${c.url}/#/signin`);
  await page.getByLabel('API token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#session').getByText('Sign out').waitFor();
}

describe.skipIf(missing !== null)('dashboard in chromium', { timeout: 180_000 }, () => {
  beforeAll(async () => {
    ensureBuilt();
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'rampart-browser-'));
    const dashboardDir = await buildDashboard(path.join(tmp, 'dashboard'));
    c = await startTestCollector({ dashboardDir, heartbeatSeconds: 2, lastSeenFlushSeconds: 1 });
    await c.store.createAgency('DHS');
    await c.store.createAgency('CISA', 'DHS');
    await c.store.createAgency('DOE');
    tokens.soc = await c.apiToken('soc-1', 'soc');
    tokens.dhs = await c.apiToken('dhs-viewer', 'agency-viewer', 'DHS');
    tokens.cisa = await c.apiToken('cisa-viewer', 'agency-viewer', 'CISA');
    tokens.doe = await c.apiToken('doe-viewer', 'agency-viewer', 'DOE');
    // A copy of a captured Debian 12 host where IPv4 forwarding is off and persisted off.
    const root = path.join(tmp, 'host-root');
    cpSync(path.join(REPO, 'test/fixtures/hosts/debian12-default'), root, { recursive: true });
    writeFileSync(path.join(root, SYSCTL_FIX), 'net.ipv4.ip_forward = 0\n');
    agent = { stateDir: path.join(tmp, 'agent-state'), fixtureRoot: root, env: { RAMPART_PACKS: path.join(REPO, 'rules/linux-network-baseline.yaml') } };
    agentId = await enrollAgent(c.url, await c.token('CISA'), agent);
    await scanOnce();
    browser = await launchChromium();
  }, 240_000); // builds the CLI for the agent process, enrolls it and runs its first scan

  afterAll(async () => {
    await browser?.close();
    await c?.dispose();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
    await removeBuild();
  });

  it('signs in with a token, lands on the overview, and refuses a wrong token with a clear message', async () => {
    const page = await newPage();
    await page.goto(`${c.url}/`);
    await expect.poll(() => page.locator('h1').innerText()).toBe('Sign in to Rampart');
    await page.getByLabel('API token').fill('rpa_not-a-real-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').getByText('That token was not accepted').waitFor();
    await signIn(page, tokens.soc!);
    await page.getByRole('heading', { name: 'Federal overview' }).waitFor();
    await expect.poll(() => page.getByRole('region', { name: /Federal totals/ }).innerText()).toContain('Federal score');
    // The component sits under its parent, with the agent's host rolled up into DHS.
    await expect.poll(() => page.locator('tr[data-agency="CISA"] th').innerText()).toContain('DHS › CISA');
    await expect.poll(() => page.locator('tr[data-agency="DHS"] td[data-col="hosts"]').innerText()).toMatch(/^[01] \/ 1$/);
    await page.close();
  });

  it('shows a failing result from a real agent process live, without a reload, then its evidence', async () => {
    const page = await newPage();
    // Record the live events the page receives (the collector stamps each with sentAt).
    const sentAt: number[] = [];
    page.on('websocket', (socket) =>
      socket.on('framereceived', (f) => {
        try {
          const ev = JSON.parse(String(f.payload)) as { ruleId?: string; sentAt?: number };
          if (ev.ruleId === RULE && typeof ev.sentAt === 'number') sentAt.push(ev.sentAt);
        } catch {
          /* not an event */
        }
      }),
    );
    await signIn(page, tokens.dhs!);
    await page.goto(`${c.url}/#/host/${agentId}`);
    const row = page.locator(`tr[data-rule="${RULE}"]`);
    await expect.poll(() => row.getAttribute('data-status')).toBe('pass');
    await page.locator('#live-status').getByText('Live: connected').waitFor();
    // Watch the row from inside the page; the marker survives only if the page is not reloaded.
    await page.evaluate((rule) => {
      const w = window as unknown as Record<string, unknown>;
      w.__noReload = true;
      new MutationObserver(() => {
        const tr = document.querySelector(`tr[data-rule="${rule}"]`);
        if (tr?.getAttribute('data-status') === 'fail' && w.__failAt === undefined) w.__failAt = Date.now();
      }).observe(document.getElementById('main')!, { childList: true, subtree: true, attributes: true });
    }, RULE);

    // The host drifts: the persisted setting disappears, the next scan fails the rule.
    rmSync(path.join(agent.fixtureRoot, SYSCTL_FIX));
    await scanOnce();
    await expect.poll(() => row.getAttribute('data-status'), { timeout: 5000 }).toBe('fail');
    const failAt = (await page.evaluate(() => (window as unknown as Record<string, unknown>).__failAt)) as number;
    expect(await page.evaluate(() => (window as unknown as Record<string, unknown>).__noReload)).toBe(true);
    expect(sentAt.length).toBeGreaterThan(0);
    const latency = failAt - sentAt[0]!;
    console.log(`live latency (collector publish → row shows FAIL in chromium): ${latency} ms`);
    writeFileSync(path.join(tmp, 'latency.txt'), String(latency));
    expect(latency).toBeLessThan(5000);

    // Evidence: expected vs observed of the failing check, open by default for a failure.
    await expect.poll(() => row.getByText('✗ FAIL').isVisible()).toBe(true);
    const evidence = row.locator('details').first();
    await expect.poll(() => evidence.getAttribute('open')).toBe('');
    await expect.poll(() => evidence.locator('dt', { hasText: 'Expected' }).isVisible()).toBe(true);
    await expect.poll(() => evidence.locator('dd').first().innerText()).toContain('persisted == 0');
    await expect.poll(() => evidence.locator('dt', { hasText: 'Observed' }).isVisible()).toBe(true);
    await expect.poll(() => evidence.locator('dd').nth(1).innerText()).toContain('persisted = null');
    await expect.poll(() => row.getByText('Remediation').isVisible()).toBe(true);
    // The timeline records the change.
    await expect.poll(() => page.locator('ol li', { hasText: RULE }).first().innerText()).toContain('FAIL');
    await page.close();
  });

  it('drills down by keyboard: skip link, then agency → rule → host evidence with Enter', async () => {
    const page = await newPage();
    await signIn(page, tokens.soc!);
    await page.goto(`${c.url}/#/agency/CISA`);
    await page.getByRole('heading', { name: 'Failing rules' }).waitFor();
    // Each page focuses its content; going backwards reaches the header, then the skip link first in the document.
    for (let i = 0; i < 10; i++) {
      await page.keyboard.press('Shift+Tab');
      if ((await page.evaluate(() => document.activeElement?.className)) === 'skip') break;
    }
    await expect.poll(() => page.locator(':focus').innerText()).toBe('Skip to content');
    const box = await page.locator('a.skip').boundingBox();
    expect(box && box.x >= 0).toBe(true); // shown on screen while focused
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator(':focus').getAttribute('id')).toBe('main');
    // Tab to the first failing rule's link and follow it with Enter.
    const rule = (await page.locator('h2:text("Failing rules") + table tbody th a').first().innerText()).trim();
    for (let i = 0; i < 60; i++) {
      await page.keyboard.press('Tab');
      if ((await page.evaluate(() => document.activeElement?.textContent)) === rule) break;
    }
    await expect.poll(() => page.locator(':focus').innerText()).toBe(rule);
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
    expect(outline).not.toBe('none'); // focus is visible
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: rule }).waitFor();
    await expect.poll(() => page.locator('table caption').innerText()).toContain('Hosts with status fail in CISA');
    for (let i = 0; i < 40; i++) {
      await page.keyboard.press('Tab');
      if ((await page.evaluate(() => document.activeElement?.textContent)) === 'deb12-web01') break;
    }
    await page.keyboard.press('Enter');
    const row = page.locator(`tr[data-rule="${rule}"]`);
    await row.waitFor();
    await expect.poll(() => row.getAttribute('data-status')).toBe('fail');
    await expect.poll(() => row.locator('details').first().getAttribute('open')).toBe('');
    // Filters are a form: type and press Enter.
    await page.getByLabel('Search').fill('ip-forward');
    await page.getByLabel('Search').press('Enter');
    await expect.poll(() => page.locator('table.results tbody tr').count()).toBe(1);
    await page.close();
  });

  it('shows the agency and host pages as of a past date, paused against live updates, and goes back to live', async () => {
    // The live test above turned RULE from pass to fail on this host: one second before that it passed.
    const history = (await (await fetch(`${c.url}/api/v1/hosts/${agentId}/history?limit=1000`, { headers: { authorization: `Bearer ${tokens.soc}` } })).json()) as {
      items: Array<{ ruleId: string; to: string; at: string }>;
    };
    const failedAt = history.items.find((h) => h.ruleId === RULE && h.to === 'fail')?.at;
    expect(failedAt, 'the live test should have recorded RULE failing').toBeDefined();
    const before = new Date(Date.parse(failedAt!) - 1000).toISOString();
    const page = await newPage();
    await signIn(page, tokens.soc!);
    await page.goto(`${c.url}/#/agency/CISA`);
    await page.getByRole('heading', { name: 'Failing rules' }).waitFor();
    const local = await page.evaluate((iso) => {
      const d = new Date(iso);
      const pad = (n: number) => String(n).padStart(2, '0');
      return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
    }, before);
    await page.getByLabel('As of (your time zone)').fill(local);
    await page.getByRole('button', { name: 'Show as of this date' }).click();
    await page.getByRole('status').filter({ hasText: 'Showing this page as it stood at' }).waitFor();
    // The field holds whole seconds.
    expect(decodeURIComponent(await page.evaluate(() => location.hash))).toContain(`asOf=${before.slice(0, 19)}.000Z`);
    // Live-only columns are not shown, and the host link keeps the date.
    await page.locator('h2#hosts + table tbody tr').first().waitFor();
    await page.locator('h2#hosts + table a', { hasText: 'deb12-web01' }).click();
    const row = page.locator(`tr[data-rule="${RULE}"]`);
    await expect.poll(() => row.getAttribute('data-status')).toBe('pass');
    await expect.poll(() => page.locator('table.results caption').innerText()).toContain('as they stood then');
    await page.getByRole('button', { name: 'Back to live' }).click();
    await expect.poll(() => row.getAttribute('data-status')).toBe('fail');
    expect(await page.getByText('Showing this page as it stood at').count()).toBe(0);
    await page.close();
  });

  it('renders every visible text with WCAG AA contrast on the overview, agency, host and rule views', async () => {
    const page = await newPage();
    await signIn(page, tokens.soc!);
    for (const hash of ['#/', '#/agency/CISA', `#/host/${agentId}`, `#/rule/${RULE}`, '#/agency/DOE']) {
      await page.goto(`${c.url}/${hash}`);
      await page.locator('main h1').waitFor();
      await page.locator('#live-status').getByText('Live:').waitFor();
      const failures = await page.evaluate(() => {
        const parse = (s: string) => {
          const p = (/rgba?\(([^)]+)\)/.exec(s)?.[1] ?? '0,0,0,0').split(',').map((x) => parseFloat(x));
          return { rgb: p.slice(0, 3), a: p.length > 3 ? p[3]! : 1 };
        };
        const lum = (rgb: number[]) => {
          const [r, g, b] = rgb.map((v) => (v / 255 <= 0.03928 ? v / 255 / 12.92 : ((v / 255 + 0.055) / 1.055) ** 2.4)) as [number, number, number];
          return 0.2126 * r + 0.7152 * g + 0.0722 * b;
        };
        const background = (el: Element | null): number[] => {
          for (let e = el; e; e = e.parentElement) {
            const c = parse(getComputedStyle(e).backgroundColor);
            if (c.a > 0.5) return c.rgb;
          }
          return [255, 255, 255];
        };
        const out: string[] = [];
        for (const el of Array.from(document.querySelectorAll('body *'))) {
          if (el.closest('svg, .skip, option, script, style')) continue;
          const text = Array.from(el.childNodes).filter((n) => n.nodeType === 3).map((n) => n.textContent ?? '').join('').trim();
          if (!text || el.getClientRects().length === 0) continue;
          const cs = getComputedStyle(el);
          const fg = parse(cs.color).rgb;
          const [l1, l2] = [lum(fg), lum(background(el))].sort((x, y) => y - x) as [number, number];
          const ratio = (l1 + 0.05) / (l2 + 0.05);
          const size = parseFloat(cs.fontSize);
          const large = size >= 24 || (size >= 18.66 && Number(cs.fontWeight) >= 700);
          if (ratio < (large ? 3 : 4.5)) out.push(`${el.tagName}.${el.className} "${text.slice(0, 30)}" ${ratio.toFixed(2)}`);
        }
        return out;
      });
      expect(failures, hash).toEqual([]);
    }
    await page.close();
  });

  it('keeps an agency viewer inside its agency: no other agency in the UI, and the API answers as if nothing else existed', async () => {
    const page = await newPage();
    await signIn(page, tokens.doe!);
    // Lands on its own agency, which has no hosts yet: a useful empty state.
    await page.getByRole('heading', { name: 'DOE' }).waitFor();
    await expect.poll(() => page.locator('main').innerText()).toContain('No hosts match. Enroll one with');
    for (const hash of ['#/agency/CISA', '#/agency/DHS', `#/host/${agentId}`, `#/rule/${RULE}?agency=CISA`, `#/rule/${RULE}`]) {
      await page.goto(`${c.url}/${hash}`);
      await page.getByRole('heading', { name: 'Cannot show this page' }).waitFor();
      await expect.poll(() => page.getByRole('alert').innerText()).toContain('does not exist or you do not have access');
      const text = await page.locator('main').innerText();
      expect(text).not.toMatch(/deb12-web01|DHS|score/);
    }
    await page.goto(`${c.url}/#/`);
    await page.getByRole('heading', { name: 'DOE' }).waitFor();
    // Direct API calls with the viewer's token from the page.
    const answers = await page.evaluate(
      async ({ agentId, rule }) => {
        const token = sessionStorage.getItem('rampart.token')!;
        const paths = ['/api/v1/agencies/CISA/posture', '/api/v1/agencies/DHS/hosts', `/api/v1/hosts/${agentId}/results`, `/api/v1/rules/${rule}/hosts`, '/api/v1/overview', '/api/v1/agencies'];
        const out: Array<{ path: string; status: number; body: string }> = [];
        for (const p of paths) {
          const r = await fetch(p, { headers: { authorization: `Bearer ${token}` } });
          out.push({ path: p, status: r.status, body: await r.text() });
        }
        return out;
      },
      { agentId, rule: RULE },
    );
    // Refusals are exactly the not-found answers, naming only what the caller asked for.
    expect(answers.slice(0, 4).map((a) => [a.status, JSON.parse(a.body)])).toEqual([
      [404, { error: { code: 'ERR_AGENCY_NOT_FOUND', message: 'agency "CISA" does not exist' } }],
      [404, { error: { code: 'ERR_AGENCY_NOT_FOUND', message: 'agency "DHS" does not exist' } }],
      [404, { error: { code: 'ERR_NOT_FOUND', message: `host "${agentId}" does not exist` } }],
      [404, { error: { code: 'ERR_NOT_FOUND', message: `no host reports rule "${RULE}"` } }],
    ]);
    for (const a of answers.slice(4)) expect(a.body, a.path).not.toMatch(/CISA|DHS|deb12-web01/);
    expect(JSON.parse(answers[4]!.body).agencies.map((x: { name: string }) => x.name)).toEqual(['DOE']);
    await page.close();

    // A component's viewer sees the component, not its parent's name.
    const cisa = await newPage();
    await signIn(cisa, tokens.cisa!);
    await cisa.getByRole('heading', { name: 'CISA', exact: true }).waitFor();
    expect(await cisa.locator('main').innerText()).not.toContain('DHS');
    await cisa.close();
  });
});
