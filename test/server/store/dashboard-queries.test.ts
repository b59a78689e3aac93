/**
 * The dashboard's store queries on a real SQLite file: roll-up over components, filters, ordering,
 * rule hosts "since", the daily posture snapshot and user revocation.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResultItem } from '../../../shared/protocol.js';
import { openSqliteStore, type SqliteStore } from '../../../server/store/sqlite/sqlite-store.js';
import { hashToken } from '../../../server/tokens.js';
import { makeResult } from '../../helpers/test-agent.js';

const DAY = 86_400_000;
let dir: string;
let store: SqliteStore;
const ids: Record<string, number> = {};
const agents: Record<string, string> = {};
let seq = 0;

async function host(hostname: string, agency: string): Promise<string> {
  await store.createEnrollToken({ agencyName: agency, tokenHash: hashToken(hostname), expiresAt: null, uses: 1, now: new Date().toISOString() });
  const a = await store.enrollAgent({ tokenHash: hashToken(hostname), publicKey: 'k', hostname, agentVersion: '1', now: new Date().toISOString() });
  agents[hostname] = a.id;
  return a.id;
}

async function report(hostname: string, agency: string, results: ResultItem[], scannedAt: string, full = false): Promise<void> {
  seq++;
  await store.ingest([
    { agentId: agents[hostname]!, agencyId: ids[agency]!, receivedAt: scannedAt, frame: { v: 1, type: 'results', seq, scanId: `s${seq}`, scannedAt, packs: [], full, results } },
  ]);
}

const iso = (daysAgo: number) => new Date(Date.now() - daysAgo * DAY).toISOString();
const FIRST_SCAN = { web1: iso(20), web2: iso(4) };

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'rampart-dashq-'));
  store = await openSqliteStore(dir);
  ids.DHS = (await store.createAgency('DHS')).id;
  ids.CISA = (await store.createAgency('CISA', 'DHS')).id;
  ids.DOE = (await store.createAgency('DOE')).id;
  await host('web-1', 'DHS');
  await host('web-2', 'CISA');
  await host('db-1', 'DOE');
  // web-1: critical failure overdue (clock 14 days, seen 20 days ago), a passing high.
  await report('web-1', 'DHS', [makeResult('linux.fw.enabled', 'fail', { severity: 'critical', clockDays: 14, clockDirective: 'BOD-23-02', references: { directives: ['BOD-23-02'], nist: [], stig: [], cis: [], cac: [], cve: [], other: [] } }), makeResult('linux.ssh.root-login', 'pass', { severity: 'high' })], FIRST_SCAN.web1);
  // web-2 (component): the same critical failure, due in 10 days; a low failure without a clock.
  await report('web-2', 'CISA', [makeResult('linux.fw.enabled', 'fail', { severity: 'critical', clockDays: 14, clockDirective: 'BOD-23-02', references: { directives: ['BOD-23-02'], nist: [], stig: [], cis: [], cac: [], cve: [], other: [] } }), makeResult('linux.time.ntp', 'fail', { severity: 'low' })], FIRST_SCAN.web2);
  // Rule metadata is global (the last report wins), so every report of a rule carries the same.
  await report('db-1', 'DOE', [makeResult('linux.fw.enabled', 'pass', { severity: 'critical', clockDays: 14, clockDirective: 'BOD-23-02', references: { directives: ['BOD-23-02'], nist: [], stig: [], cis: [], cac: [], cve: [], other: [] } })], iso(2));
  await store.touchAgents([{ id: agents['web-1']!, lastSeenAt: new Date().toISOString() }, { id: agents['db-1']!, lastSeenAt: iso(3) }]);
});

afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('dashboard store queries', () => {
  it('rolls posture up over components: every host counts once', async () => {
    const alone = await store.posture(ids.DHS!, new Date().toISOString(), 14);
    const rolled = await store.postureRollup(ids.DHS!, [ids.DHS!, ids.CISA!], new Date().toISOString(), 14);
    expect(alone.hosts.total).toBe(1);
    expect(rolled.hosts.total).toBe(2);
    expect(rolled.counts).toMatchObject({ pass: 1, fail: 3 });
    // won: high 5 (ssh passes on web-1); possible: critical 10 + 10 (fw fails twice) + 5 + low 1 (ntp fails).
    expect(rolled.score).toBe(Math.round((1000 * 5) / (10 + 10 + 5 + 1)) / 10);
    expect(rolled.failingRules[0]).toMatchObject({ ruleId: 'linux.fw.enabled', failingHosts: 2 });
    expect(rolled.findings).toMatchObject({ open: 3, overdue: 1 });
    expect(rolled.findings.overdueList.map((f) => f.hostname)).toEqual(['web-1']);
  });

  it('gives per-agency figures that sum to the roll-up', async () => {
    const now = new Date().toISOString();
    const figs = await store.agencyFigures(now, iso(1));
    const dhs = figs.find((f) => f.agencyId === ids.DHS)!;
    const cisa = figs.find((f) => f.agencyId === ids.CISA)!;
    const doe = figs.find((f) => f.agencyId === ids.DOE)!;
    expect(dhs).toMatchObject({ hosts: 1, online: 1, openFindings: 1, overdueFindings: 1, won: 5, possible: 15 });
    expect(cisa).toMatchObject({ hosts: 1, online: 0, openFindings: 2, overdueFindings: 0, won: 0, possible: 11 });
    expect(doe).toMatchObject({ hosts: 1, online: 0, openFindings: 0, won: 10, possible: 10 });
    expect((await store.agencyFigures(now, iso(1), [ids.DOE!])).map((f) => f.agencyId)).toEqual([ids.DOE]);
  });

  it('filters hosts by name and online state across an agency and its components', async () => {
    const both = [ids.DHS!, ids.CISA!];
    const page = { limit: 10, offset: 0 };
    expect((await store.listHostsFiltered(ids.DHS!, { agencyIds: both }, page)).items.map((h) => `${h.hostname}@${h.agency}`)).toEqual(['web-1@DHS', 'web-2@CISA']);
    expect((await store.listHostsFiltered(ids.DHS!, { agencyIds: both, q: 'WEB-2' }, page)).total).toBe(1);
    expect((await store.listHostsFiltered(ids.DHS!, { agencyIds: both, status: 'online', onlineSince: iso(1) }, page)).items.map((h) => h.hostname)).toEqual(['web-1']);
    expect((await store.listHostsFiltered(ids.DHS!, { agencyIds: both, status: 'offline', onlineSince: iso(1) }, page)).items.map((h) => h.hostname)).toEqual(['web-2']);
    expect((await store.listHostsFiltered(ids.DHS!, { q: '100%_' }, page)).total).toBe(0);
  });

  it('lists findings overdue first, then by due date, undated last, with severity, directive and text filters, across pages', async () => {
    const now = new Date().toISOString();
    const all = await store.listFindings(ids.DHS!, now, { state: 'open', agencyIds: [ids.DHS!, ids.CISA!] }, { limit: 10, offset: 0 });
    expect(all.items.map((f) => [f.hostname, f.ruleId, f.overdue])).toEqual([
      ['web-1', 'linux.fw.enabled', true],
      ['web-2', 'linux.fw.enabled', false],
      ['web-2', 'linux.time.ntp', false],
    ]);
    expect(all.items[2]!.dueAt).toBeNull();
    // Paging across the dated/undated boundary keeps the order.
    const p2 = await store.listFindings(ids.DHS!, now, { state: 'open', agencyIds: [ids.DHS!, ids.CISA!] }, { limit: 2, offset: 1 });
    expect(p2.items.map((f) => f.ruleId)).toEqual(['linux.fw.enabled', 'linux.time.ntp']);
    expect(p2).toMatchObject({ total: 3, nextOffset: null });
    const f = (filter: object) => store.listFindings(ids.DHS!, now, { state: 'open', agencyIds: [ids.DHS!, ids.CISA!], ...filter }, { limit: 10, offset: 0 });
    expect((await f({ severity: 'low' })).items.map((x) => x.ruleId)).toEqual(['linux.time.ntp']);
    expect((await f({ directive: 'BOD-23-02' })).total).toBe(2);
    expect((await f({ q: 'web-2' })).total).toBe(2);
    expect((await f({ q: 'NTP' })).total).toBe(1);
    expect((await store.listFindings(ids.DHS!, now, { state: 'overdue' }, { limit: 10, offset: 0 })).total).toBe(1);
  });

  it('orders a host’s results failures first and filters by severity, directive and text', async () => {
    const page = { limit: 10, offset: 0 };
    const r = await store.hostResultsFiltered(agents['web-1']!, {}, page);
    expect(r.items.map((x) => x.status)).toEqual(['fail', 'pass']);
    expect((await store.hostResultsFiltered(agents['web-1']!, { severity: 'high' }, page)).items.map((x) => x.ruleId)).toEqual(['linux.ssh.root-login']);
    expect((await store.hostResultsFiltered(agents['web-1']!, { directive: 'BOD-23-02' }, page)).items.map((x) => x.ruleId)).toEqual(['linux.fw.enabled']);
    expect((await store.hostResultsFiltered(agents['web-1']!, { q: 'SSH' }, page)).total).toBe(1);
  });

  it('lists a rule’s hosts in a status since they entered it, only within the given agencies', async () => {
    const page = { limit: 10, offset: 0 };
    const all = await store.ruleHosts('linux.fw.enabled', null, 'fail', page);
    // Longest-standing first; since = the scan that moved the host into the status.
    expect(all!.page.items.map((h) => [h.hostname, h.agency, h.since])).toEqual([
      ['web-1', 'DHS', FIRST_SCAN.web1],
      ['web-2', 'CISA', FIRST_SCAN.web2],
    ]);
    expect(all!.rule).toMatchObject({ ruleId: 'linux.fw.enabled', severity: 'critical', remediation: 'Set it to 0.' });
    // web-1 fixes it: its "since" for pass is the fix time.
    const fixed = iso(1);
    await report('web-1', 'DHS', [makeResult('linux.fw.enabled', 'pass', { severity: 'critical' })], fixed);
    expect((await store.ruleHosts('linux.fw.enabled', null, 'pass', page))!.page.items.find((h) => h.hostname === 'web-1')!.since).toBe(fixed);
    expect((await store.ruleHosts('linux.fw.enabled', [ids.DOE!], 'fail', page))!.page.total).toBe(0);
    // A rule only DOE reports is unknown to DHS; an unknown rule is unknown to everyone.
    await report('db-1', 'DOE', [makeResult('doe.only', 'fail')], iso(1));
    expect(await store.ruleHosts('doe.only', [ids.DHS!, ids.CISA!], 'fail', page)).toBeNull();
    expect(await store.ruleHosts('no.such.rule', null, 'fail', page)).toBeNull();
    expect((await store.ruleHosts('doe.only', null, 'fail', page))!.page.total).toBe(1);
  });

  it('records one daily posture row per agency and day, upserted', async () => {
    const day = new Date().toISOString().slice(0, 10);
    await store.snapshotDailyPosture(day);
    await store.snapshotDailyPosture(day);
    const rows = await store.dailyPosture(day);
    // DOE by now: fw passes (critical 10) and doe.only fails (medium 3), from the rule-hosts test.
    expect(rows.filter((r) => r.agencyId === ids.DOE)).toEqual([{ agencyId: ids.DOE, day, won: 10, possible: 13 }]);
    expect(new Set(rows.map((r) => r.agencyId)).size).toBe(rows.length);
  });

  it('revokes a user at once and reports unknown users', async () => {
    await store.createUser({ name: 'eve', role: 'soc', tokenHash: hashToken('t-eve'), now: new Date().toISOString() });
    expect(await store.findUserByTokenHash(hashToken('t-eve'))).not.toBeNull();
    expect(await store.revokeUser('eve', new Date().toISOString())).toBe(true);
    expect(await store.findUserByTokenHash(hashToken('t-eve'))).toBeNull();
    expect(await store.revokeUser('nobody', new Date().toISOString())).toBe(false);
  });

  it('lists the agency tree with parents', async () => {
    expect((await store.agencyTree()).map((a) => [a.name, a.parentName])).toEqual([
      ['CISA', 'DHS'],
      ['DHS', null],
      ['DOE', null],
    ]);
  });
});
