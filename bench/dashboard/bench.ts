/**
 * @module bench/dashboard: an agency of 5,000 hosts (~100 real rule results each, seeded straight
 * into the store) plus a few smaller agencies; times the API routes the agency view calls (and the
 * overview, rule and host routes), then the agency page in Debian's chromium from navigation to the
 * rendered host table. Run from the repository root:
 *   npm run build && node bench/dashboard/bench.mjs [hosts=5000] [rulesPerHost=100]
 */
import { loadavg } from 'node:os';
import { chromiumMissing, launchChromium } from '../../test/helpers/chromium.js';
import { startDemoCollector } from './demo-collector.js';

const HOSTS = Number(process.argv[2] ?? 5000);
const RULES = Number(process.argv[3] ?? 100);
const REPS = 20;
const AGENCY = 'Agency-5k';

function stats(ms: number[]): { p50: number; p95: number; max: number } {
  const s = [...ms].sort((a, b) => a - b);
  const at = (q: number) => Math.round(s[Math.min(s.length - 1, Math.floor(q * s.length))]! * 10) / 10;
  return { p50: at(0.5), p95: at(0.95), max: Math.round(s[s.length - 1]! * 10) / 10 };
}

const loadBefore = loadavg().map((x) => Math.round(x * 10) / 10);
const missing = chromiumMissing();
const t0 = performance.now();
const demo = await startDemoCollector(
  process.cwd(),
  [
    { name: AGENCY, hosts: HOSTS, hardened: 0.5 },
    { name: 'Bureau-A', parent: AGENCY, hosts: 50, hardened: 0.7 },
    { name: 'Other-1', hosts: 200, hardened: 0.4 },
    { name: 'Other-2', hosts: 200, hardened: 0.6 },
  ],
  [{ name: 'soc', role: 'soc' }],
  RULES,
  process.env.BENCH_FRESH_SEED === '1' ? undefined : `bench-${HOSTS}-${RULES}`,
);
const setupMs = performance.now() - t0;
const base = demo.collector.url;
const token = demo.tokens.soc!;
const get = async (url: string): Promise<{ ms: number; bytes: number }> => {
  const start = performance.now();
  const res = await fetch(base + url, { headers: { authorization: `Bearer ${token}` } });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${url}: ${res.status} ${text.slice(0, 200)}`);
  return { ms: performance.now() - start, bytes: text.length };
};

const host = demo.hosts.find((h) => h.agency === AGENCY)!;
const routes: Record<string, string> = {
  posture: `/api/v1/agencies/${AGENCY}/posture`,
  hosts: `/api/v1/agencies/${AGENCY}/hosts?limit=50`,
  'hosts (q + online filter)': `/api/v1/agencies/${AGENCY}/hosts?limit=50&q=web-01&status=online`,
  findings: `/api/v1/agencies/${AGENCY}/findings?limit=50&state=open`,
  'findings (severity + directive)': `/api/v1/agencies/${AGENCY}/findings?limit=50&state=open&severity=high&directive=BOD-23-02`,
  overview: '/api/v1/overview',
  'rule hosts': `/api/v1/rules/linux.net.ip-forward-disabled/hosts?agency=${AGENCY}&status=fail&limit=100`,
  'host results': `/api/v1/hosts/${host.agentId}/results?limit=100`,
};
const api: Record<string, { p50: number; p95: number; max: number; bytes: number }> = {};
for (const [name, url] of Object.entries(routes)) {
  await get(url); // warm
  const times: number[] = [];
  let bytes = 0;
  for (let i = 0; i < REPS; i++) {
    const r = await get(url);
    times.push(r.ms);
    bytes = r.bytes;
  }
  api[name] = { ...stats(times), bytes };
}
// The agency view's three calls, in parallel as the page makes them.
const together: number[] = [];
for (let i = 0; i < REPS; i++) {
  const start = performance.now();
  await Promise.all([get(routes.posture!), get(routes.hosts!), get(routes.findings!)]);
  together.push(performance.now() - start);
}

let page: Record<string, unknown> = { skipped: missing };
if (!missing) {
  const browser = await launchChromium();
  try {
    const loads: number[] = [];
    let timeline: string[] = [];
    for (let i = 0; i < 6; i++) {
      const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
      await context.addInitScript((t) => {
        sessionStorage.setItem('rampart.token', t);
        // From navigation start to the rendered host table, measured by the page itself.
        new MutationObserver((_m, obs) => {
          if (document.querySelector('h2#hosts + table tbody tr')) {
            (window as unknown as { __rendered: number }).__rendered = performance.now();
            obs.disconnect();
          }
        }).observe(document, { childList: true, subtree: true });
      }, token);
      const p = await context.newPage();
      await p.goto(`${base}/#/agency/${AGENCY}`);
      await p.waitForSelector('h2#hosts + table tbody tr');
      loads.push(await p.evaluate(() => (window as unknown as { __rendered: number }).__rendered));
      if (i === 5) timeline = await p.evaluate(() => (performance.getEntriesByType('resource') as PerformanceResourceTiming[]).map((e) => `${e.name.replace(/^https?:\/\/[^/]+/, '')} ${Math.round(e.startTime)}–${Math.round(e.responseEnd)}`));
      await context.close();
    }
    page = { navigationToRenderedTableMs: stats(loads.slice(1)), firstColdLoadMs: Math.round(loads[0]!), lastLoadResources: timeline };
  } finally {
    await browser.close();
  }
}
const rss = Math.round(process.memoryUsage().rss / 1048576);
console.log(
  JSON.stringify(
    {
      hosts: HOSTS,
      rulesPerHost: RULES,
      totalHosts: demo.hosts.length,
      seedMs: Math.round(demo.seedMs),
      setupMs: Math.round(setupMs),
      api,
      agencyViewApiParallel: stats(together),
      page,
      rssMb: rss,
      loadAverage: { before: loadBefore, after: loadavg().map((x) => Math.round(x * 10) / 10) },
    },
    null,
    2,
  ),
);
await demo.close();
