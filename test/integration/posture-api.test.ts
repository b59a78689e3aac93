import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCollector, type TestCollector } from '../helpers/test-collector.js';
import { TestAgent, httpJson, makeResult } from '../helpers/test-agent.js';

let c: TestCollector;
let admin: string;
let web: TestAgent;
let db: TestAgent;

const DAY = 86_400_000;
const iso = (msAgo: number) => new Date(Date.now() - msAgo).toISOString();

beforeAll(async () => {
  c = await startTestCollector();
  admin = await c.apiToken('admin');
  await c.store.createAgency('dhs');
  await c.store.createAgency('cisa', 'dhs');
  web = new TestAgent(c.url, 'web-1');
  db = new TestAgent(c.url, 'db-1');
  await web.enroll(await c.token('dhs'));
  await db.enroll(await c.token('dhs'));
  const w = await web.connect();
  // Failing for 20 days on a 15-day clock: overdue. Failing 10 days on a 14-day clock: due soon.
  w.socket.send(
    web.resultsFrame(
      [
        makeResult('linux.ssh.root-login', 'fail', { severity: 'high', clockDays: 15, clockDirective: 'BOD-22-01', references: { directives: ['BOD-22-01'], nist: [], stig: [], cis: [], cac: [], cve: [], other: [] } }),
        makeResult('linux.net.forwarding', 'pass', { severity: 'medium' }),
      ],
      { scannedAt: iso(20 * DAY) },
    ),
  );
  await w.socket.next('ack');
  w.socket.send(web.resultsFrame([makeResult('linux.fw.enabled', 'fail', { severity: 'critical', clockDays: 14 })], { full: false, scannedAt: iso(10 * DAY) }));
  await w.socket.next('ack');
  const d = await db.connect();
  d.socket.send(
    db.resultsFrame([
      makeResult('linux.ssh.root-login', 'fail', { severity: 'high', references: { directives: ['BOD-22-01'], nist: [], stig: [], cis: [], cac: [], cve: [], other: [] } }),
      makeResult('linux.net.forwarding', 'error', { severity: 'medium' }),
    ]),
  );
  await d.socket.next('ack');
  d.socket.close();
});
afterAll(async () => c?.dispose());

const get = (p: string, token = admin) => httpJson(`${c.url}${p}`, { token });

describe('HTTP API', () => {
  it('lists agencies with parents and host counts', async () => {
    const r = await get('/api/v1/agencies');
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      items: [
        expect.objectContaining({ name: 'cisa', parent: 'dhs', hosts: 0 }),
        expect.objectContaining({ name: 'dhs', parent: null, hosts: 2 }),
      ],
    });
  });

  it('computes posture by agency name: weighted score, counts, directives, failing rules with host counts, due soon and overdue', async () => {
    const r = await get('/api/v1/agencies/dhs/posture');
    expect(r.status).toBe(200);
    const p = r.body as Record<string, any>;
    // pass: forwarding(3) on web; not passing: root-login(5) x2, fw(10), forwarding error(3) on db
    expect(p.score).toBe(Math.round((1000 * 3) / (3 + 5 + 5 + 10 + 3)) / 10);
    expect(p.counts).toMatchObject({ total: 5, pass: 1, fail: 3, error: 1, notApplicable: 0 });
    expect(p.hosts).toMatchObject({ total: 2, revoked: 0 });
    expect(p.failBySeverity).toEqual({ critical: 1, high: 2, medium: 0, low: 0 });
    expect(p.failingRules.map((f: any) => [f.ruleId, f.failingHosts])).toEqual([
      ['linux.fw.enabled', 1],
      ['linux.ssh.root-login', 2],
    ]);
    expect(p.directives).toContainEqual({ directive: 'BOD-22-01', rules: 1, pass: 0, fail: 2, error: 0, percent: 0 });
    expect(p.findings).toMatchObject({ open: 3, overdue: 1, dueSoon: 1 });
    expect(p.findings.overdueList[0]).toMatchObject({ ruleId: 'linux.ssh.root-login', hostname: 'web-1', overdue: true, directive: 'BOD-22-01' });
    expect(p.findings.dueSoonList[0]).toMatchObject({ ruleId: 'linux.fw.enabled', overdue: false });
  });

  it('lists hosts with online state, last scan, agent version and delivery completeness', async () => {
    const r = await get('/api/v1/agencies/dhs/hosts');
    const body = r.body as { items: any[]; total: number };
    expect(body.total).toBe(2);
    const byName = Object.fromEntries(body.items.map((h) => [h.hostname, h]));
    expect(byName['web-1']).toMatchObject({ online: true, agentVersion: '0.1.0-test', delivery: { maxSeq: 2, received: 2, complete: true }, counts: { pass: 1, fail: 2 } });
    expect(byName['db-1'].lastScanAt).toEqual(expect.any(String));
  });

  it('pages lists with limit and offset (nextOffset as the cursor)', async () => {
    const first = (await get('/api/v1/agencies/dhs/hosts?limit=1')).body as any;
    expect(first).toMatchObject({ total: 2, limit: 1, offset: 0, nextOffset: 1 });
    const second = (await get(`/api/v1/agencies/dhs/hosts?limit=1&cursor=${first.nextOffset}`)).body as any;
    expect(second.nextOffset).toBeNull();
    expect(second.items[0].hostname).not.toBe(first.items[0].hostname);
  });

  it('returns a host results with evidence, by agent id or by hostname', async () => {
    const byName = (await get('/api/v1/hosts/web-1/results')).body as any;
    const byId = (await get(`/api/v1/hosts/${web.agentId}/results?status=fail`)).body as any;
    expect(byName.total).toBe(3);
    expect(byId.items.map((r: any) => r.ruleId)).toEqual(['linux.fw.enabled', 'linux.ssh.root-login']);
    expect(byId.items[0].result.evidence[0]).toMatchObject({ probe: 'sysctl', sources: ['/proc/sys/net/ipv4/ip_forward'] });
    expect(byName.host.delivery.complete).toBe(true);
  });

  it('lists findings with due dates and the overdue flag, filtered by state', async () => {
    const open = (await get('/api/v1/agencies/dhs/findings')).body as any;
    expect(open.total).toBe(3);
    const overdue = (await get('/api/v1/agencies/dhs/findings?state=overdue')).body as any;
    expect(overdue.items).toEqual([expect.objectContaining({ ruleId: 'linux.ssh.root-login', hostname: 'web-1', overdue: true, dueAt: expect.any(String) })]);
    const noClock = open.items.find((f: any) => f.hostname === 'db-1');
    expect(noClock).toMatchObject({ dueAt: null, overdue: false });
  });

  it('answers errors as {error:{code,message}} with the code status', async () => {
    expect(await get('/api/v1/agencies/nope/posture')).toMatchObject({ status: 404, body: { error: { code: 'ERR_AGENCY_NOT_FOUND' } } });
    expect(await get('/api/v1/hosts/nope/results')).toMatchObject({ status: 404, body: { error: { code: 'ERR_NOT_FOUND' } } });
    expect(await get('/api/v1/agencies/dhs/hosts?limit=0')).toMatchObject({ status: 400, body: { error: { code: 'ERR_API_INVALID_REQUEST' } } });
    expect(await get('/api/v1/nothing-here')).toMatchObject({ status: 404, body: { error: { code: 'ERR_NOT_FOUND' } } });
    expect(await httpJson(`${c.url}/api/v1/agencies`)).toMatchObject({ status: 401, body: { error: { code: 'ERR_AUTH_MISSING' } } });
    expect(await get('/api/v1/agencies', 'rpa_wrong')).toMatchObject({ status: 401, body: { error: { code: 'ERR_AUTH_TOKEN' } } });
  });

  it('limits an agency-viewer to its own agency and keeps changes to admins', async () => {
    const viewer = await c.apiToken('cisa-viewer', 'agency-viewer', 'cisa');
    expect(((await get('/api/v1/agencies', viewer)).body as any).items.map((a: any) => a.name)).toEqual(['cisa']);
    // Another agency's data answers exactly like a nonexistent resource (nothing leaks, not even existence).
    expect(await get('/api/v1/agencies/dhs/posture', viewer)).toMatchObject({ status: 404, body: { error: { code: 'ERR_AGENCY_NOT_FOUND' } } });
    expect(await get('/api/v1/hosts/web-1/results', viewer)).toMatchObject({ status: 404, body: { error: { code: 'ERR_NOT_FOUND' } } });
    expect((await get('/api/v1/agencies/cisa/posture', viewer)).status).toBe(200);
    const soc = await c.apiToken('soc-1', 'soc');
    expect(await httpJson(`${c.url}/api/v1/agents/${db.agentId}/revoke`, { method: 'POST', token: soc })).toMatchObject({ status: 403 });
  });

  it('answers /healthz without a token', async () => {
    expect(await httpJson(`${c.url}/healthz`)).toEqual({ status: 200, body: { ok: true } });
  });
});
