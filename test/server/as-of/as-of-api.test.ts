/**
 * `?asOf=` on the read API of a real collector (port 0, SQLite): posture rolled up over a component,
 * hosts, findings and one host's results as they stood at a past instant, and the coded refusals.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from '../../../server/store/store.js';
import type { CheckStatus } from '../../../shared/result.js';
import { hashToken } from '../../../server/tokens.js';
import { makeResult } from '../../helpers/test-agent.js';
import { startTestCollector, type TestCollector } from '../../helpers/test-collector.js';

const DAY = 86_400_000;
const now = Date.now();
const iso = (ms: number) => new Date(ms).toISOString();
const ENROLLED = iso(now - 20 * DAY);
const T1 = iso(now - 10 * DAY);
const AFTER_T1 = iso(now - 9 * DAY);
const T2 = iso(now - 3 * DAY);
const clock = { clockDays: 14, clockDirective: 'BOD-23-02', severity: 'high' as const, references: { directives: ['BOD-23-02'], nist: ['SC-7'], stig: [], cis: [], cac: [], cve: [], other: [] } };

let c: TestCollector;
let admin: string;
let cisaViewer: string;
const agents = new Map<string, Agent>();
let seq = 0;

async function enroll(agency: string, hostname: string, at: string): Promise<Agent> {
  await c.store.createEnrollToken({ agencyName: agency, tokenHash: hashToken(`t-${hostname}`), expiresAt: null, uses: 1, now: at });
  const a = await c.store.enrollAgent({ tokenHash: hashToken(`t-${hostname}`), publicKey: `k-${hostname}`, hostname, agentVersion: '1', now: at });
  agents.set(hostname, a);
  return a;
}

async function scan(hostname: string, at: string, fw: CheckStatus, fwd: CheckStatus): Promise<void> {
  const a = agents.get(hostname)!;
  const results = [makeResult('linux.fw.default-deny', fw, clock), makeResult('linux.net.ip-forward', fwd)];
  await c.store.ingest([{ agentId: a.id, agencyId: a.agencyId, receivedAt: at, frame: { v: 1, type: 'results', seq: ++seq, scanId: `s${seq}`, scannedAt: at, packs: [], full: true, results } }]);
}

async function get(path: string, token = admin): Promise<{ status: number; body: any }> {
  const res = await fetch(`${c.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, body: await res.json() };
}

beforeAll(async () => {
  c = await startTestCollector();
  await c.store.createAgency('dhs');
  await c.store.createAgency('cisa', 'dhs');
  admin = await c.apiToken('alice', 'admin');
  cisaViewer = await c.apiToken('vic', 'agency-viewer', 'cisa');
  await enroll('dhs', 'web-1', ENROLLED);
  await enroll('cisa', 'soc-1', ENROLLED);
  await scan('web-1', T1, 'fail', 'pass');
  await scan('soc-1', T1, 'fail', 'fail');
  // Later: web-1 fixes its firewall, soc-1 its forwarding, and a new host arrives failing.
  await scan('web-1', T2, 'pass', 'pass');
  await scan('soc-1', T2, 'fail', 'pass');
  await enroll('dhs', 'new-1', iso(now - 2 * DAY));
  await scan('new-1', iso(now - 2 * DAY), 'fail', 'fail');
});
afterAll(async () => {
  await c?.dispose();
});

describe('asOf on the read API', () => {
  it('rolls the posture up over the components as it stood then, and differs from now', async () => {
    const then = await get(`/api/v1/agencies/dhs/posture?asOf=${AFTER_T1}`);
    expect(then.status).toBe(200);
    expect(then.body).toMatchObject({ asOf: AFTER_T1, hosts: { total: 2, revoked: 0, online: null }, counts: { pass: 1, fail: 3, error: 0, notApplicable: 0, waived: 0 } });
    expect(then.body.findings).toMatchObject({ open: 3, overdue: 0 });
    expect(then.body.components).toEqual([{ name: 'cisa', score: 0, hosts: 1 }]);
    const live = await get('/api/v1/agencies/dhs/posture');
    expect(live.body.hosts.total).toBe(3);
    expect(live.body.counts).toMatchObject({ pass: 3, fail: 3 });
  });

  it('agrees with the live posture when asked as of a moment ago', async () => {
    const live = (await get('/api/v1/agencies/dhs/posture')).body;
    const rebuilt = (await get(`/api/v1/agencies/dhs/posture?asOf=${iso(Date.now() - 1000)}`)).body;
    expect({ score: rebuilt.score, counts: rebuilt.counts, directives: rebuilt.directives, failingRules: rebuilt.failingRules, open: rebuilt.findings.open, overdue: rebuilt.findings.overdue }).toEqual({
      score: live.score,
      counts: live.counts,
      directives: live.directives,
      failingRules: live.failingRules,
      open: live.findings.open,
      overdue: live.findings.overdue,
    });
  });

  it('lists the hosts enrolled then with their counts then', async () => {
    const r = await get(`/api/v1/agencies/dhs/hosts?asOf=${AFTER_T1}`);
    expect(r.body.total).toBe(2);
    expect(r.body.items.map((h: { hostname: string; agency: string; counts: object }) => [h.hostname, h.agency, h.counts])).toEqual([
      ['soc-1', 'cisa', { pass: 0, fail: 2, error: 0, notApplicable: 0, waived: 0 }],
      ['web-1', 'dhs', { pass: 1, fail: 1, error: 0, notApplicable: 0, waived: 0 }],
    ]);
    expect((await get(`/api/v1/agencies/dhs/hosts?asOf=${AFTER_T1}&q=web`)).body.items).toHaveLength(1);
  });

  it('lists the findings open then, with the filters, and one host’s results then', async () => {
    const open = await get(`/api/v1/agencies/dhs/findings?asOf=${AFTER_T1}`);
    expect(open.body.items.map((f: { hostname: string; ruleId: string; id: null }) => [f.hostname, f.ruleId, f.id])).toEqual([
      ['soc-1', 'linux.fw.default-deny', null],
      ['web-1', 'linux.fw.default-deny', null],
      ['soc-1', 'linux.net.ip-forward', null],
    ]);
    expect((await get(`/api/v1/agencies/dhs/findings?asOf=${AFTER_T1}&severity=high`)).body.total).toBe(2);
    expect((await get(`/api/v1/agencies/dhs/findings?asOf=${AFTER_T1}&directive=BOD-23-02&q=web`)).body.total).toBe(1);
    const results = await get(`/api/v1/hosts/web-1/results?asOf=${AFTER_T1}`);
    expect(results.body.host).toMatchObject({ hostname: 'web-1', agency: 'dhs', asOf: AFTER_T1 });
    expect(results.body.items.map((r: { ruleId: string; status: string }) => [r.ruleId, r.status])).toEqual([
      ['linux.fw.default-deny', 'fail'],
      ['linux.net.ip-forward', 'pass'],
    ]);
    expect((await get(`/api/v1/hosts/web-1/results?asOf=${AFTER_T1}&status=pass`)).body.total).toBe(1);
  });

  it('rebuilds the federal overview then: each agency rolled up over its components, online unknown, the trend ending that day', async () => {
    const then = await get(`/api/v1/overview?asOf=${AFTER_T1}`);
    expect(then.status).toBe(200);
    expect(then.body.asOf).toBe(AFTER_T1);
    const byName = Object.fromEntries(then.body.agencies.map((a: { name: string }) => [a.name, a]));
    expect(byName.dhs).toMatchObject({ hosts: { total: 2, online: null }, findings: { open: 3, overdue: 0 } });
    expect(byName.cisa).toMatchObject({ parentName: 'dhs', score: 0, hosts: { total: 1, online: null } });
    expect(byName.dhs.trend.at(-1)).toEqual({ day: AFTER_T1.slice(0, 10), score: byName.dhs.score });
    expect(then.body.federal).toMatchObject({ hosts: { total: 2, online: null } });
    const viewer = await get(`/api/v1/overview?asOf=${AFTER_T1}`, cisaViewer);
    expect(viewer.body.agencies.map((a: { name: string }) => a.name)).toEqual(['cisa']);
    expect(viewer.body.federal).toBeNull();
  });

  it('keeps a component viewer inside its component', async () => {
    expect((await get(`/api/v1/agencies/dhs/posture?asOf=${AFTER_T1}`, cisaViewer)).status).toBe(404);
    const own = await get(`/api/v1/agencies/cisa/posture?asOf=${AFTER_T1}`, cisaViewer);
    expect(own.body).toMatchObject({ hosts: { total: 1 }, counts: { fail: 2 } });
    expect((await get(`/api/v1/hosts/web-1/results?asOf=${AFTER_T1}`, cisaViewer)).status).toBe(404);
  });

  it('refuses with a code what cannot be rebuilt: a future instant, resolved findings, online status, a host not yet enrolled', async () => {
    const cases = [
      `/api/v1/agencies/dhs/posture?asOf=${iso(now + DAY)}`,
      `/api/v1/agencies/dhs/posture?asOf=yesterday`,
      `/api/v1/agencies/dhs/findings?asOf=${AFTER_T1}&state=resolved`,
      `/api/v1/agencies/dhs/hosts?asOf=${AFTER_T1}&status=online`,
    ];
    for (const path of cases) {
      const r = await get(path);
      expect([path, r.status, r.body.error.code]).toEqual([path, 400, 'ERR_API_INVALID_REQUEST']);
    }
    const early = await get(`/api/v1/hosts/new-1/results?asOf=${AFTER_T1}`);
    expect([early.status, early.body.error.code]).toEqual([404, 'ERR_NOT_FOUND']);
  });
});
