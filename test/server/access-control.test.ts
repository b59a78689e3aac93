/**
 * Every HTTP route and the live subscription, as every role and as another agency's viewer, on a
 * real collector: allowed answers carry only the caller's agencies; refusals are exactly the
 * not-found answers of a nonexistent resource (same status, code and message but for the name the
 * caller typed), so nothing leaks — no other agency's names, hostnames or counts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../shared/log.js';
import { buildHttpApp } from '../../server/http/http-app.js';
import { buildDashboard } from '../helpers/dashboard-build.js';
import { TestAgent, makeResult, type AgentSocket } from '../helpers/test-agent.js';
import { startTestCollector, type TestCollector } from '../helpers/test-collector.js';
import { loadServerConfig } from '../../server/config.js';

let c: TestCollector;
let tmp: string;
const tok: Record<string, string> = {};
const agents: Record<string, TestAgent> = {};
const sockets: AgentSocket[] = [];
let waiverId = '';

// DHS has a component CISA; DOE is unrelated. One host each; a rule only DOE's host reports.
const AGENCY_OF_HOST = { 'dhs-web-1': 'DHS', 'cisa-web-1': 'CISA', 'doe-web-1': 'DOE', 'doe-spare-1': 'DOE' } as const;
type Host = keyof typeof AGENCY_OF_HOST;
const ALL_AGENCIES = ['DHS', 'CISA', 'DOE'];
const VISIBLE: Record<string, string[]> = { admin: ALL_AGENCIES, soc: ALL_AGENCIES, dhs: ['DHS', 'CISA'], cisa: ['CISA'], doe: ['DOE'] };
const DOE_ONLY_RULE = 'doe.only.rule';

async function call(method: string, url: string, token?: string, body?: unknown): Promise<{ status: number; text: string; json: any }> {
  const res = await fetch(c.url + url, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json };
}

/** Names that must not appear in what `role` receives. */
function foreignNames(role: string): string[] {
  const visible = new Set(VISIBLE[role]);
  const hosts = (Object.keys(AGENCY_OF_HOST) as Host[]).filter((h) => !visible.has(AGENCY_OF_HOST[h]));
  return [...ALL_AGENCIES.filter((a) => !visible.has(a)).map((a) => `"${a}"`), ...hosts, ...hosts.map((h) => agents[h]!.agentId), ...(visible.has('DOE') ? [] : [DOE_ONLY_RULE])];
}

function expectNoLeak(role: string, what: string, text: string, allow: string[] = []): void {
  for (const name of foreignNames(role)) {
    if (allow.some((a) => a.includes(name.replaceAll('"', '')))) continue;
    expect(text.includes(name), `${role} ${what} leaks ${name}: ${text.slice(0, 300)}`).toBe(false);
  }
}

/** A refusal must equal the answer for a resource that does not exist (with the caller's own ref in the message). */
async function expectLikeMissing(role: string, method: string, url: string, ref: string, fake: string, body?: unknown): Promise<void> {
  const refused = await call(method, url, tok[role], body);
  const missing = await call(method, url.replace(encodeURIComponent(ref), encodeURIComponent(fake)).replace(ref, fake), tok[role], body);
  expect(refused.status, `${role} ${method} ${url}`).toBe(404);
  expect(refused.status).toBe(missing.status);
  expect(refused.text.replaceAll(ref, fake), `${role} ${method} ${url}`).toBe(missing.text);
  expectNoLeak(role, `${method} ${url}`, refused.text, [ref]);
}

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'rampart-acl-'));
  const dashboardDir = await buildDashboard(path.join(tmp, 'dashboard'));
  c = await startTestCollector({ dashboardDir, lastSeenFlushSeconds: 1 });
  await c.store.createAgency('DHS');
  await c.store.createAgency('CISA', 'DHS');
  await c.store.createAgency('DOE');
  tok.admin = await c.apiToken('ann-admin', 'admin');
  tok.soc = await c.apiToken('sam-soc', 'soc');
  tok.dhs = await c.apiToken('dana-dhs', 'agency-viewer', 'DHS');
  tok.cisa = await c.apiToken('cara-cisa', 'agency-viewer', 'CISA');
  tok.doe = await c.apiToken('dora-doe', 'agency-viewer', 'DOE');
  for (const host of Object.keys(AGENCY_OF_HOST) as Host[]) {
    const a = new TestAgent(c.url, host);
    const enrolled = await a.enroll(await c.token(AGENCY_OF_HOST[host]));
    expect(enrolled.status).toBe(200);
    const { socket } = await a.connect();
    const results = [makeResult('linux.fw.enabled', 'fail', { severity: 'critical', clockDays: 14, clockDirective: 'BOD-23-02' }), makeResult('linux.ssh.root-login', 'pass', { severity: 'high' })];
    if (host.startsWith('doe')) results.push(makeResult(DOE_ONLY_RULE, 'fail'));
    socket.send(a.resultsFrame(results));
    await socket.next('ack');
    agents[host] = a;
    sockets.push(socket);
  }
  const waiver = await call('POST', '/api/v1/agencies/DHS/waivers', tok.admin, {
    ruleId: 'linux.fw.enabled',
    hosts: ['dhs-web-1'],
    justification: 'Upstream firewall',
    approver: 'ciso@dhs.example.gov',
    risk: 'medium',
    expiresAt: new Date(Date.now() + 30 * 86_400_000).toISOString(),
  });
  expect(waiver.status).toBe(201);
  waiverId = waiver.json.id;
});

afterAll(async () => {
  for (const s of sockets) s.ws.close();
  await c?.dispose();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** Every route the collector serves, with how the test exercises it. A new route fails the test until it is listed here. */
const ROUTES = [
  'GET /',
  'GET /index.html',
  'GET /assets/*',
  'GET /healthz',
  'POST /api/v1/enroll',
  'GET /api/v1/agent/challenge',
  'GET /api/v1/me',
  'GET /api/v1/overview',
  'POST /api/v1/live/ticket',
  'GET /api/v1/rules/:ruleId/hosts',
  'GET /api/v1/agencies',
  'GET /api/v1/agencies/:agency/posture',
  'GET /api/v1/agencies/:agency/hosts',
  'GET /api/v1/agencies/:agency/findings',
  'GET /api/v1/agencies/:agency/evidence',
  'GET /api/v1/agencies/:agency/cadence',
  'GET /api/v1/agencies/:agency/waivers',
  'POST /api/v1/agencies/:agency/waivers',
  'GET /api/v1/hosts/:host',
  'GET /api/v1/hosts/:host/results',
  'GET /api/v1/hosts/:host/history',
  'POST /api/v1/agents/:host/revoke',
  'PUT /api/v1/hosts/:host/exposure',
  'PATCH /api/v1/waivers/:id',
  'DELETE /api/v1/waivers/:id',
  'GET /api/v1/waivers/:id/audit',
];

const AGENCY_ROUTES = ['posture', 'hosts', 'findings', 'evidence?format=json', `cadence?from=${encodeURIComponent(new Date(Date.now() - 86_400_000).toISOString())}`, 'waivers'];
const HOST_ROUTES = ['', '/results', '/history'];
const VIEWERS = ['dhs', 'cisa', 'doe'];

describe('access control on every route and the live feed', { timeout: 120_000 }, () => {
  it('covers every route the collector registers', async () => {
    const config = loadServerConfig({ dataDir: path.join(tmp, 'routes-only'), logLevel: 'silent' }, {});
    const app = buildHttpApp(c.store, config, silentLogger(), { isConnected: () => false, closeRevoked: () => false }, c.live);
    await app.ready();
    // Each listed route exists, and nothing else is registered: printRoutes lists every route's
    // methods in parentheses, so the number of (non-HEAD) methods printed must equal the list.
    for (const r of ROUTES) {
      const [method, url] = r.split(' ') as [string, string];
      expect(app.hasRoute({ method: method as 'GET', url }), r).toBe(true);
    }
    const printed = app.printRoutes({ commonPrefix: false });
    const methods = [...printed.matchAll(/\(([A-Z, ]+)\)/g)].flatMap((m) => m[1]!.split(', ')).filter((m) => m !== 'HEAD');
    await app.close();
    expect(methods.length, printed).toBe(ROUTES.length);
  });

  it('refuses every /api/v1 route without a token or with a bad one, before looking anything up', async () => {
    const probes = [
      ['GET', '/api/v1/me'],
      ['GET', '/api/v1/overview'],
      ['POST', '/api/v1/live/ticket'],
      ['GET', `/api/v1/rules/${DOE_ONLY_RULE}/hosts`],
      ['GET', '/api/v1/agencies'],
      ...AGENCY_ROUTES.map((r) => ['GET', `/api/v1/agencies/DOE/${r}`]),
      ['POST', '/api/v1/agencies/DOE/waivers'],
      ...HOST_ROUTES.map((r) => ['GET', `/api/v1/hosts/doe-web-1${r}`]),
      ['POST', '/api/v1/agents/doe-web-1/revoke'],
      ['PUT', '/api/v1/hosts/doe-web-1/exposure'],
      ['PATCH', `/api/v1/waivers/${waiverId}`],
      ['DELETE', `/api/v1/waivers/${waiverId}`],
      ['GET', `/api/v1/waivers/${waiverId}/audit`],
    ] as const;
    for (const [method, url] of probes) {
      for (const token of [undefined, 'rpa_not-a-token']) {
        const r = await call(method, url, token, method === 'GET' ? undefined : {});
        expect(r.status, `${method} ${url}`).toBe(401);
        expect(r.json.error.code).toBe(token ? 'ERR_AUTH_TOKEN' : 'ERR_AUTH_MISSING');
        expectNoLeak('cisa', `${method} ${url} unauthenticated`, r.text.replace('DOE', ''), []);
      }
    }
  });

  it('serves the public routes (page, assets, health, agent enrollment) without any agency data', async () => {
    for (const url of ['/', '/index.html', '/assets/app.js', '/assets/styles.css', '/healthz']) {
      const r = await call('GET', url);
      expect(r.status, url).toBe(200);
      for (const name of [...ALL_AGENCIES.map((a) => `"${a}"`), ...Object.keys(AGENCY_OF_HOST)]) expect(r.text.includes(name), `${url} has ${name}`).toBe(false);
    }
    // Content types, caching and hardening headers.
    const page = await fetch(`${c.url}/`);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    const js = await fetch(`${c.url}/assets/app.js`);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('cache-control')).toBe('no-cache');
    expect(js.headers.get('x-content-type-options')).toBe('nosniff');
    const again = await fetch(`${c.url}/assets/app.js`, { headers: { 'if-none-match': js.headers.get('etag')! } });
    expect(again.status).toBe(304);
    expect((await fetch(`${c.url}/assets/styles.css`)).headers.get('content-type')).toBe('text/css; charset=utf-8');
    for (const url of ['/assets/../server/config.ts', '/assets/%2e%2e/%2e%2e/package.json', '/assets/.hidden.js', '/assets/app.ts', '/assets/nope.js']) {
      expect((await call('GET', url)).status, url).toBe(404);
    }
    const enroll = await call('POST', '/api/v1/enroll', undefined, { token: 'rpe_wrong', publicKey: agents['doe-web-1']!.publicKeyB64(), hostname: 'x', agentVersion: '1' });
    expect(enroll.json.error.code).toBe('ERR_ENROLL_TOKEN_INVALID');
    const challenge = await call('GET', `/api/v1/agent/challenge?agentId=${agents['doe-web-1']!.agentId}`);
    expect(challenge.status).toBe(200);
    expect(Object.keys(challenge.json).sort()).toEqual(['expiresAt', 'nonce']);
  });

  it('answers /me, /agencies and /overview with exactly the caller’s agencies', async () => {
    for (const role of Object.keys(VISIBLE)) {
      const me = await call('GET', '/api/v1/me', tok[role]);
      expect(me.json.role).toBe(role === 'admin' ? 'admin' : role === 'soc' ? 'soc' : 'agency-viewer');
      const list = await call('GET', '/api/v1/agencies', tok[role]);
      expect(list.json.items.map((a: { name: string }) => a.name).sort(), role).toEqual([...VISIBLE[role]!].sort());
      expectNoLeak(role, '/agencies', list.text);
      const overview = await call('GET', '/api/v1/overview', tok[role]);
      expect(overview.json.agencies.map((a: { name: string }) => a.name).sort(), role).toEqual([...VISIBLE[role]!].sort());
      expectNoLeak(role, '/overview', overview.text);
    }
    // Roll-up: DHS counts its component's host; a component's viewer does not learn its parent.
    const soc = (await call('GET', '/api/v1/overview', tok.soc)).json.agencies;
    expect(soc.find((a: { name: string }) => a.name === 'DHS').hosts.total).toBe(2);
    expect(soc.find((a: { name: string }) => a.name === 'CISA').parentName).toBe('DHS');
    // Federal totals (every host once) only for roles that see every agency: a viewer's would count others.
    expect((await call('GET', '/api/v1/overview', tok.soc)).json.federal).toMatchObject({ hosts: { total: 4 }, findings: { open: 5 } }); // 6 failures, one waived
    for (const role of VIEWERS) expect((await call('GET', '/api/v1/overview', tok[role])).json.federal, role).toBeNull();
    const cisa = (await call('GET', '/api/v1/overview', tok.cisa)).json.agencies;
    expect(cisa).toEqual([expect.objectContaining({ name: 'CISA', parentName: null })]);
    expect((await call('GET', '/api/v1/agencies', tok.cisa)).json.items[0].parent).toBeNull();
  });

  it('lets each role read its agencies, hosts and rules, and answers other agencies exactly like nonexistent ones', async () => {
    for (const role of ['admin', 'soc', ...VIEWERS]) {
      const visible = new Set(VISIBLE[role]);
      for (const agency of ALL_AGENCIES) {
        for (const r of AGENCY_ROUTES) {
          const url = `/api/v1/agencies/${agency}/${r}`;
          if (visible.has(agency)) {
            const ok = await call('GET', url, tok[role]);
            expect(ok.status, `${role} ${url}`).toBe(200);
            expectNoLeak(role, url, ok.text);
          } else await expectLikeMissing(role, 'GET', url, agency, 'NoSuchAgency');
        }
      }
      for (const host of Object.keys(AGENCY_OF_HOST) as Host[]) {
        for (const ref of [host, agents[host]!.agentId]) {
          for (const r of HOST_ROUTES) {
            const url = `/api/v1/hosts/${ref}${r}`;
            if (visible.has(AGENCY_OF_HOST[host])) {
              const ok = await call('GET', url, tok[role]);
              expect(ok.status, `${role} ${url}`).toBe(200);
              expectNoLeak(role, url, ok.text);
            } else await expectLikeMissing(role, 'GET', url, ref, 'no-such-host');
          }
        }
      }
      // The rule view: a rule only another agency reports is unknown to this caller.
      const rule = `/api/v1/rules/${DOE_ONLY_RULE}/hosts`;
      if (visible.has('DOE')) expect((await call('GET', rule, tok[role])).json.total, role).toBe(2);
      else await expectLikeMissing(role, 'GET', rule, DOE_ONLY_RULE, 'no.such.rule');
      const shared = await call('GET', '/api/v1/rules/linux.fw.enabled/hosts', tok[role]);
      expect(shared.json.items.map((h: { agency: string }) => h.agency).sort(), role).toEqual(
        (Object.keys(AGENCY_OF_HOST) as Host[]).filter((h) => visible.has(AGENCY_OF_HOST[h])).map((h) => AGENCY_OF_HOST[h]).sort(),
      );
      expectNoLeak(role, 'rule hosts', shared.text);
      for (const agency of ALL_AGENCIES) {
        const url = `/api/v1/rules/linux.fw.enabled/hosts?agency=${agency}`;
        if (visible.has(agency)) expect((await call('GET', url, tok[role])).status).toBe(200);
        else await expectLikeMissing(role, 'GET', url, agency, 'NoSuchAgency');
      }
      // The waiver's audit log belongs to DHS.
      const audit = `/api/v1/waivers/${waiverId}/audit`;
      if (visible.has('DHS')) expect((await call('GET', audit, tok[role])).status, role).toBe(200);
      else await expectLikeMissing(role, 'GET', audit, waiverId, 'W-99999');
    }
  });

  it('lets only an admin change anything; others are refused by role before any lookup', async () => {
    const changes = (host: string) =>
      [
        ['POST', `/api/v1/agents/${host}/revoke`, undefined],
        ['PUT', `/api/v1/hosts/${host}/exposure`, { exposure: 'internal' }],
        ['POST', '/api/v1/agencies/DOE/waivers', { ruleId: 'x', justification: 'j', approver: 'a', risk: 'low', expiresAt: new Date(Date.now() + 86_400_000).toISOString() }],
        ['PATCH', `/api/v1/waivers/${waiverId}`, { risk: 'high' }],
        ['DELETE', `/api/v1/waivers/${waiverId}`, { reason: 'test' }],
      ] as const;
    for (const role of ['soc', ...VIEWERS]) {
      for (const [method, url, body] of changes('doe-spare-1')) {
        const r = await call(method, url, tok[role], body);
        expect(r.status, `${role} ${method} ${url}`).toBe(403);
        expect(r.json.error.code).toBe('ERR_AUTH_FORBIDDEN');
        expectNoLeak(role, url, r.text, ['DOE']);
      }
    }
    expect((await call('PATCH', `/api/v1/waivers/${waiverId}`, tok.admin, { risk: 'high' })).status).toBe(200);
    expect((await call('PUT', '/api/v1/hosts/doe-spare-1/exposure', tok.admin, { exposure: 'internal' })).json).toMatchObject({ exposure: 'internal', previous: 'unset' });
    expect((await call('POST', '/api/v1/agents/doe-spare-1/revoke', tok.admin)).json).toMatchObject({ revoked: true });
    expect((await call('DELETE', `/api/v1/waivers/${waiverId}`, tok.admin, { reason: 'done' })).status).toBe(200);
  });

  it('delivers live events only for agencies in the subscriber’s scope; tickets are single-use and same-origin', async () => {
    const subs: Record<string, { ws: WebSocket; events: Array<{ agency: string; hostname: string; type: string }> }> = {};
    for (const role of Object.keys(VISIBLE)) {
      const t = await call('POST', '/api/v1/live/ticket', tok[role], {});
      expect(t.status).toBe(200);
      const ws = new WebSocket(`${c.url.replace('http', 'ws')}/api/v1/live?ticket=${t.json.ticket}`);
      const events: Array<{ agency: string; hostname: string; type: string }> = [];
      ws.on('message', (m) => events.push(JSON.parse(String(m))));
      await new Promise((resolve, reject) => {
        ws.once('open', resolve);
        ws.once('error', reject);
      });
      subs[role] = { ws, events };
      // The same ticket twice: refused.
      const again = new WebSocket(`${c.url.replace('http', 'ws')}/api/v1/live?ticket=${t.json.ticket}`);
      const status = await new Promise<number>((resolve) => again.once('unexpected-response', (_q, res) => resolve(res.statusCode ?? 0)));
      expect(status).toBe(401);
    }
    const other = await call('POST', '/api/v1/live/ticket', tok.soc, {});
    const cross = new WebSocket(`${c.url.replace('http', 'ws')}/api/v1/live?ticket=${other.json.ticket}`, { origin: 'http://evil.example' });
    expect(await new Promise<number>((resolve) => cross.once('unexpected-response', (_q, res) => resolve(res.statusCode ?? 0)))).toBe(403);
    const none = new WebSocket(`${c.url.replace('http', 'ws')}/api/v1/live`);
    expect(await new Promise<number>((resolve) => none.once('unexpected-response', (_q, res) => resolve(res.statusCode ?? 0)))).toBe(401);

    // Each host's rule flips: one event per agency.
    for (const host of ['dhs-web-1', 'cisa-web-1', 'doe-web-1'] as const) {
      const i = Object.keys(AGENCY_OF_HOST).indexOf(host);
      sockets[i]!.send(agents[host]!.resultsFrame([makeResult('linux.ssh.root-login', 'fail', { severity: 'high' })], { full: false }));
      await sockets[i]!.next('ack');
    }
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && Object.entries(subs).some(([role, s]) => new Set(s.events.filter((e) => e.type === 'result').map((e) => e.agency)).size < VISIBLE[role]!.length)) {
      await new Promise((r) => setTimeout(r, 50));
    }
    for (const [role, s] of Object.entries(subs)) {
      const agencies = [...new Set(s.events.map((e) => e.agency))].sort();
      expect(agencies, role).toEqual([...VISIBLE[role]!].sort());
      expectNoLeak(role, 'live events', JSON.stringify(s.events));
    }

    // A revoked user's live socket closes (re-checked every 10 s).
    const closed = new Promise<number>((resolve) => subs.doe!.ws.once('close', (code) => resolve(code)));
    await c.store.revokeUser('dora-doe', new Date().toISOString());
    expect(await closed).toBe(4401);
    expect((await call('GET', '/api/v1/me', tok.doe)).status).toBe(401);
    for (const s of Object.values(subs)) s.ws.close();
  });
});
