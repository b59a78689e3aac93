/**
 * Host exposure tags for BOD 26-04 Table 1 end to end: a real agent socket sends a failing KEV
 * result with its matched CVEs (and an old-style result without them) to a real collector; the
 * findings API shows the tier; an admin re-tags the host through the API and the CLI, the open
 * finding is re-tiered at once, and every change is in the audit log.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResultItem } from '../../shared/protocol.js';
import { openSqliteStore } from '../../server/store/sqlite/sqlite-store.js';
import { AGENT_HELP } from '../../server/cli/agent.js';
import { TestAgent, httpJson, makeResult } from '../helpers/test-agent.js';
import { startTestCollector, type TestCollector } from '../helpers/test-collector.js';
import { freshDataDir, runServerCli } from '../helpers/server-cli.js';

const DAY = 86_400_000;
const BOD = { directives: ['BOD-26-04', 'EO-2026-06-02'], nist: ['SI-2'], stig: [], cis: [], cac: [], cve: ['CVE-2025-3248'], other: [] };

function kevResult(): ResultItem {
  return makeResult('ai.langflow.cve-2025-3248-patched', 'fail', {
    severity: 'critical',
    references: BOD,
    clockDays: 14,
    clockDirective: 'BOD-26-04',
    cves: [{ cve: 'CVE-2025-3248', kev: true, kevDueDate: '2025-05-26', kevDateAdded: '2025-05-05' }],
  });
}

describe('exposure tags through the API, on findings a real agent reported', () => {
  let c: TestCollector;
  let admin: string;
  let viewer: string;
  let web: TestAgent;
  const seen = new Date(Date.now() - 5 * DAY).toISOString();
  const at = (days: number) => new Date(Date.parse(seen) + days * DAY).toISOString();

  beforeAll(async () => {
    c = await startTestCollector();
    admin = await c.apiToken('root', 'admin');
    web = new TestAgent(c.url, 'ai-1');
    await web.enroll(await c.token('dhs'));
    viewer = await c.apiToken('vic', 'agency-viewer', 'dhs');
    const { socket } = await web.connect();
    // A new agent's result (with cves) beside an old agent's (without): both are accepted.
    socket.send(web.resultsFrame([kevResult(), makeResult('linux.patch.pending', 'fail', { references: { ...BOD, cve: [] }, clockDays: 14, clockDirective: 'BOD-26-04' })], { scannedAt: seen }));
    expect(await socket.next('ack')).toMatchObject({ status: 'stored' });
    socket.close();
  });
  afterAll(async () => {
    await c?.dispose();
  });

  const findings = async () => (await httpJson(`${c.url}/api/v1/agencies/dhs/findings`, { token: viewer })).body as { items: Array<Record<string, unknown>> };
  const finding = async (ruleId: string) => (await findings()).items.find((f) => f.ruleId === ruleId)!;

  it('shows the tier and forensic triage on findings, and an untagged host as unset (treated as exposed)', async () => {
    expect(await finding('ai.langflow.cve-2025-3248-patched')).toMatchObject({ tier: 't3-forensics', forensicTriage: true, dueAt: at(3), overdue: true, directive: 'BOD-26-04' });
    expect(await finding('linux.patch.pending')).toMatchObject({ tier: null, forensicTriage: false, dueAt: at(14), overdue: false });
    const host = (await httpJson(`${c.url}/api/v1/hosts/ai-1`, { token: viewer })).body as { host: { exposure: string } };
    expect(host.host.exposure).toBe('unset');
  });

  it('lets an admin tag the host; open findings are re-tiered at once and the change is audited', async () => {
    const res = await httpJson(`${c.url}/api/v1/hosts/ai-1/exposure`, { method: 'PUT', token: admin, body: { exposure: 'internal' } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ agentId: web.agentId, hostname: 'ai-1', exposure: 'internal', previous: 'unset', exposed: false, findingsRetiered: 1 });
    // KEV, internal, not automatable and total impact by default → 14 days from first seen, no longer overdue.
    expect(await finding('ai.langflow.cve-2025-3248-patched')).toMatchObject({ tier: 't14', forensicTriage: false, dueAt: at(14), overdue: false });
    expect(((await httpJson(`${c.url}/api/v1/hosts/ai-1`, { token: viewer })).body as { host: { exposure: string } }).host.exposure).toBe('internal');
    const db = (c.store as unknown as { db: import('better-sqlite3').Database }).db;
    const rows = db.prepare("SELECT actor, object_id, before_json, after_json FROM audit_log WHERE action = 'agent.exposure'").all() as Array<{ actor: string; object_id: string; before_json: string; after_json: string }>;
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ actor: 'api:root', object_id: web.agentId });
    expect(JSON.parse(rows[0]!.before_json)).toEqual({ hostname: 'ai-1', exposure: 'unset' });
    expect(JSON.parse(rows[0]!.after_json)).toEqual({ hostname: 'ai-1', exposure: 'internal', findingsRetiered: 1 });
  });

  it('refuses a viewer (403) and a tag it does not know (400), changing nothing', async () => {
    const denied = await httpJson(`${c.url}/api/v1/hosts/ai-1/exposure`, { method: 'PUT', token: viewer, body: { exposure: 'internet' } });
    expect(denied.status).toBe(403);
    const bad = await httpJson(`${c.url}/api/v1/hosts/ai-1/exposure`, { method: 'PUT', token: admin, body: { exposure: 'dmz' } });
    expect(bad.status).toBe(400);
    expect((bad.body as { error: { code: string } }).error.code).toBe('ERR_API_INVALID_REQUEST');
    expect(await finding('ai.langflow.cve-2025-3248-patched')).toMatchObject({ tier: 't14' });
  });

  it('puts the tier with its inputs, defaults and exposure on the evidence of the finding', async () => {
    const res = await fetch(`${c.url}/api/v1/agencies/dhs/evidence?format=json`, { headers: { authorization: `Bearer ${viewer}` } });
    const model = (await res.json()) as { results: Array<{ ruleId: string; bod2604?: unknown }> };
    expect(model.results.find((r) => r.ruleId === 'ai.langflow.cve-2025-3248-patched')!.bod2604).toEqual({
      directive: 'BOD-26-04',
      tier: 't14',
      days: 14,
      forensicTriage: false,
      exposure: 'internal',
      exposed: false,
      decidedBy: 'CVE-2025-3248',
      cves: [{ cve: 'CVE-2025-3248', kev: true, automatable: 'no', impact: 'total', defaulted: ['automatable', 'impact'], tier: 't14', days: 14, forensicTriage: false, kevDueDate: '2025-05-26', kevDateAdded: '2025-05-05' }],
    });
    expect(model.results.find((r) => r.ruleId === 'linux.patch.pending')!.bod2604).toBeUndefined();
  });
});

describe('rampart server agent exposure', () => {
  const dataDir = freshDataDir('rampart-exposure');
  const run = (...argv: string[]) => runServerCli(dataDir(), argv);

  async function enrolled(): Promise<string> {
    const store = await openSqliteStore(dataDir());
    try {
      await store.createAgency('dhs');
      await store.createEnrollToken({ agencyName: 'dhs', tokenHash: 'h', expiresAt: null, uses: 1, now: new Date().toISOString() });
      return (await store.enrollAgent({ tokenHash: 'h', publicKey: 'k', hostname: 'web-1', agentVersion: '1.0.0', now: new Date().toISOString() })).id;
    } finally {
      await store.close();
    }
  }

  it('tags a host by hostname or id, lists the tag, and audits before and after', async () => {
    const id = await enrolled();
    expect((await run('agent', 'list')).out).toMatch(/EXPOSURE[\s\S]*web-1.*unset/);
    const set = await run('agent', 'exposure', 'web-1', 'internet');
    expect(set).toEqual({ code: 0, out: `web-1 (${id}): exposure unset -> internet; 0 open BOD 26-04 findings re-tiered\n` });
    expect((await run('agent', 'exposure', id, 'unset')).out).toContain('exposure internet -> unset (treated as internet-exposed)');
    expect(JSON.parse((await run('agent', 'list', '--json')).out)[0].exposure).toBeNull();
    const store = await openSqliteStore(dataDir());
    try {
      const rows = store.db.prepare("SELECT actor, before_json, after_json FROM audit_log WHERE action = 'agent.exposure' ORDER BY id").all() as Array<{ actor: string; before_json: string; after_json: string }>;
      expect(rows.map((r) => [JSON.parse(r.before_json).exposure, JSON.parse(r.after_json).exposure])).toEqual([
        ['unset', 'internet'],
        ['internet', 'unset'],
      ]);
      expect(rows.every((r) => r.actor.startsWith('cli:'))).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('refuses an unknown tag or host with exit 2, and documents the command', async () => {
    await enrolled();
    expect((await run('agent', 'exposure', 'web-1', 'dmz')).code).toBe(2);
    expect((await run('agent', 'exposure', 'nope', 'internal')).code).toBe(2);
    expect((await run('agent', 'exposure', 'web-1')).code).toBe(2);
    expect(AGENT_HELP).toContain('rampart server agent exposure HOST internet|internal|unset');
    expect((await run('agent', '--help')).out).toBe(AGENT_HELP);
  });
});
