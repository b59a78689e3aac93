/**
 * Evidence and waiver routes on a real collector (port 0), once on SQLite and once on PostgreSQL:
 * downloads in every format (OSCAL validated against the official schema), waivers added, changed
 * and removed by an admin with the API user in the audit log, waived counts in the posture, and
 * role and agency checks.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashToken } from '../../server/tokens.js';
import { oscalValidator } from '../../shared/oscal/validate.js';
import { makeResult } from '../helpers/test-agent.js';
import { startTestCollector, type TestCollector } from '../helpers/test-collector.js';
import { STORE_KINDS, expectPgReachable, newStoreTarget, type StoreTarget } from '../helpers/store-targets.js';

const PACK = { id: 'test-pack', title: 'Test pack', version: '1.0.0', sha256: 'e'.repeat(64), ruleCount: 2 };

describe('PostgreSQL test server', () => expectPgReachable());

describe.each(STORE_KINDS)('evidence and waiver API on %s', (kind) => {
  let target: StoreTarget;
  let c: TestCollector;
  let admin: string;
  let viewer: string;
  let otherViewer: string;

  beforeAll(async () => {
    target = newStoreTarget(kind);
    c = await startTestCollector(target.config, target.dataDir);
    await c.token('dhs');
    await c.store.createAgency('doe');
    admin = await c.apiToken('alice', 'admin');
    viewer = await c.apiToken('vic', 'agency-viewer', 'dhs');
    otherViewer = await c.apiToken('olga', 'agency-viewer', 'doe');
    const agency = (await c.store.findAgency('dhs'))!;
    await c.store.createEnrollToken({ agencyName: 'dhs', tokenHash: hashToken('x'), expiresAt: null, uses: 1, now: new Date().toISOString() });
    const agent = await c.store.enrollAgent({ tokenHash: hashToken('x'), publicKey: 'k', hostname: 'web-1', agentVersion: '0.1.0', now: new Date().toISOString() });
    await c.store.recordHello(agent.id, { agentVersion: '0.1.0', host: { hostname: 'web-1', os: { id: 'debian', idLike: [], versionId: '12' }, mode: 'live', root: '/', container: false }, packs: [PACK] });
    await c.store.ingest([
      {
        agentId: agent.id,
        agencyId: agency.id,
        receivedAt: new Date().toISOString(),
        frame: { v: 1, type: 'results', seq: 1, scanId: 's1', scannedAt: new Date().toISOString(), packs: [PACK], full: false, results: [makeResult('linux.fw.default-deny', 'fail', { clockDays: 14, clockDirective: 'BOD-23-02' }), makeResult('linux.net.ip-forward', 'pass')] },
      },
    ]);
  });
  afterAll(async () => {
    await c?.dispose();
    await target.dispose();
  });

  async function call(method: string, path: string, token: string, body?: unknown) {
    const res = await fetch(`${c.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, type: res.headers.get('content-type') ?? '', disposition: res.headers.get('content-disposition') ?? '', text };
  }

  describe('routes', () => {
    it('serves OSCAL that validates, CSV, HTML and the evidence model, as downloads', async () => {
      const oscal = await call('GET', '/api/v1/agencies/dhs/evidence', viewer);
      expect(oscal.status).toBe(200);
      expect(oscal.type).toMatch(/application\/json/);
      expect(oscal.disposition).toMatch(/attachment; filename="rampart-dhs-\d{4}-\d{2}-\d{2}\.oscal\.json"/);
      expect(oscalValidator()(JSON.parse(oscal.text)).errors).toEqual([]);
      const csv = await call('GET', '/api/v1/agencies/dhs/evidence?format=csv', viewer);
      expect(csv.type).toMatch(/text\/csv/);
      expect(csv.text.split('\r\n').filter(Boolean)).toHaveLength(2);
      const html = await call('GET', '/api/v1/agencies/dhs/evidence?format=html&host=web-1', viewer);
      expect(html.type).toMatch(/text\/html/);
      expect(html.text).toContain('web-1');
      const json = JSON.parse((await call('GET', '/api/v1/agencies/dhs/evidence?format=json', admin)).text);
      expect(json.results).toHaveLength(2);
      expect(json.results.find((r: { status: string }) => r.status === 'fail').dueAt).toBeDefined();
    });

    it('reports the assessment cadence (BOD 23-01) per host from the scan history', async () => {
      const from = new Date(Date.now() - 2 * 86_400_000).toISOString();
      const r = await call('GET', `/api/v1/agencies/dhs/cadence?from=${encodeURIComponent(from)}`, viewer);
      expect(r.status).toBe(200);
      const [c] = JSON.parse(r.text).items;
      expect(c).toMatchObject({ directive: 'BOD-23-01', id: 'vulnerability-enumeration', everyDays: 14, met: true });
      expect(c.hosts[0]).toMatchObject({ hostname: 'web-1', met: true });
      expect(c.hosts[0].assessments).toHaveLength(1);
      expect((await call('GET', '/api/v1/agencies/dhs/cadence', viewer)).status).toBe(400);
      const html = await call('GET', '/api/v1/agencies/dhs/evidence?format=html', viewer);
      expect(html.text).toContain('<section id="cadence"');
    });

    it('refuses other agencies, bad formats and unknown hosts with coded errors', async () => {
      // Another agency's evidence answers exactly like a missing agency (docs/dashboard.md, "Scope").
      expect((await call('GET', '/api/v1/agencies/dhs/evidence', otherViewer)).status).toBe(404);
      const bad = await call('GET', '/api/v1/agencies/dhs/evidence?format=pdf', admin);
      expect(bad.status).toBe(400);
      expect(JSON.parse(bad.text).error.code).toBe('ERR_API_INVALID_REQUEST');
      expect((await call('GET', '/api/v1/agencies/dhs/evidence?host=nobody', admin)).status).toBe(404);
      expect((await call('GET', '/api/v1/agencies/nasa/evidence', admin)).status).toBe(404);
      expect((await call('GET', '/api/v1/agencies/dhs/evidence?asOf=2999-01-01T00:00:00Z', admin)).status).toBe(400);
      const past = await call('GET', `/api/v1/agencies/dhs/evidence?format=json&asOf=${encodeURIComponent(new Date(Date.now() - 3_600_000).toISOString())}`, admin);
      expect(past.status).toBe(200);
      expect(JSON.parse(past.text).results).toEqual([]);
    });

    it('lets an admin add, change and remove a waiver, with the API user in the audit log; readers only list', async () => {
      const expiresAt = new Date(Date.now() + 30 * 86_400_000).toISOString();
      const body = { ruleId: 'linux.fw.default-deny', hosts: ['web-1'], justification: 'Upstream firewall filters this segment', approver: 'ciso@dhs.example.gov', risk: 'medium', expiresAt };
      expect((await call('POST', '/api/v1/agencies/dhs/waivers', viewer, body)).status).toBe(403);
      const added = await call('POST', '/api/v1/agencies/dhs/waivers', admin, body);
      expect(added.status).toBe(201);
      const w = JSON.parse(added.text);
      expect(w).toMatchObject({ scope: 'host', state: 'active', createdBy: 'api:alice' });
      const csv = await call('GET', '/api/v1/agencies/dhs/evidence?format=csv', viewer);
      expect(csv.text).toContain(',waived,');
      const posture = JSON.parse((await call('GET', '/api/v1/agencies/dhs/posture', viewer)).text);
      expect(posture.counts).toMatchObject({ fail: 0, waived: 1 });
      const findings = JSON.parse((await call('GET', '/api/v1/agencies/dhs/findings?state=open', viewer)).text);
      expect(findings.items.map((f: { waived: boolean }) => f.waived)).toEqual([true]);
      expect(JSON.parse((await call('GET', '/api/v1/agencies/dhs/waivers', viewer)).text).items).toHaveLength(1);
      // Cut the waiver short (it ends 1 ms after it started) and re-approve it; as of before the edit it still stands as it was.
      const beforeEdit = new Date().toISOString();
      await new Promise((r) => setTimeout(r, 5));
      const cut = new Date(Date.parse(w.startsAt) + 1).toISOString();
      const patched = await call('PATCH', `/api/v1/waivers/${w.id}`, admin, { risk: 'high', approver: 'deputy-ciso@dhs.example.gov', expiresAt: cut });
      expect(patched.status).toBe(200);
      expect(JSON.parse(patched.text)).toMatchObject({ state: 'expired', risk: 'high' });
      expect(JSON.parse((await call('GET', '/api/v1/agencies/dhs/posture', viewer)).text).counts).toMatchObject({ fail: 1, waived: 0 });
      const asOf = encodeURIComponent(beforeEdit);
      expect(JSON.parse((await call('GET', `/api/v1/agencies/dhs/posture?asOf=${asOf}`, viewer)).text).counts).toMatchObject({ fail: 0, waived: 1 });
      const then = JSON.parse((await call('GET', `/api/v1/agencies/dhs/evidence?format=json&asOf=${asOf}`, viewer)).text);
      expect(then.results.find((r: { status: string }) => r.status === 'fail').waiver).toMatchObject({ id: w.id, risk: 'medium', approver: 'ciso@dhs.example.gov', expiry: expiresAt });
      expect((await call('DELETE', `/api/v1/waivers/${w.id}`, admin, { reason: 'fixed' })).status).toBe(200);
      expect((await call('DELETE', `/api/v1/waivers/${w.id}`, admin, {})).status).toBe(400);
      expect((await call('DELETE', '/api/v1/waivers/W-999', admin, {})).status).toBe(404);
      const audit = JSON.parse((await call('GET', `/api/v1/waivers/${w.id}/audit`, viewer)).text).items;
      expect(audit.map((e: { action: string; actor: string }) => `${e.action} ${e.actor}`)).toEqual(['waiver.create api:alice', 'waiver.update api:alice', 'waiver.remove api:alice']);
      expect((await call('GET', `/api/v1/waivers/${w.id}/audit`, otherViewer)).status).toBe(404);
      expect((await call('POST', '/api/v1/agencies/dhs/waivers', admin, { ...body, expiresAt: '2000-01-01T00:00:00Z' })).status).toBe(400);
    });
  });
});
