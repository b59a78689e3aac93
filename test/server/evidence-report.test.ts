/**
 * Evidence from the collector: results ingested from two agents, an open finding with its due date and
 * a waiver become an evidence model; its OSCAL validates, and `rampart report` prints every format.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { reportMain } from '../../server/cli/report.js';
import { sqliteAgencyEvidence } from '../../server/store/sqlite/evidence-query.js';
import { sqliteAgencyCadence } from '../../server/store/sqlite/cadence-query.js';
import { htmlReport } from '../../shared/reports/html.js';
import { openSqliteStore, type SqliteStore } from '../../server/store/sqlite/sqlite-store.js';
import { SqliteWaivers } from '../../server/store/sqlite/waivers.js';
import { hashToken } from '../../server/tokens.js';
import { verdictOf } from '../../shared/evidence/verdict.js';
import { evidenceToOscal } from '../../shared/oscal/from-evidence.js';
import { oscalValidator } from '../../shared/oscal/validate.js';
import type { ResultItem } from '../../shared/protocol.js';
import { makeResult } from '../helpers/test-agent.js';

const validate = oscalValidator();
const PACK = { id: 'test-pack', title: 'Test pack', version: '1.0.0', sha256: 'd'.repeat(64), ruleCount: 4 };
let dir: string;
let store: SqliteStore;
let agencyId: number;
const ids: Record<string, string> = {};

async function enroll(hostname: string, seqResults: ResultItem[]): Promise<void> {
  const id = (await store.enrollAgent({ tokenHash: hashToken('t'), publicKey: 'k', hostname, agentVersion: '0.1.0', now: '2026-11-01T00:00:00.000Z' })).id;
  ids[hostname] = id;
  await store.recordHello(id, {
    agentVersion: '0.1.0',
    host: { hostname, os: { id: 'debian', idLike: [], versionId: '12', prettyName: 'Debian GNU/Linux 12 (bookworm)' }, mode: 'live', root: '/', container: false },
    packs: [PACK],
  });
  await store.ingest([{ agentId: id, agencyId, receivedAt: '2026-11-02T00:00:00.000Z', frame: { v: 1, type: 'results', seq: 1, scanId: `scan-${hostname}`, scannedAt: '2026-11-02T00:00:00.000Z', packs: [PACK], full: false, results: seqResults } }]);
}

beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'rampart-evidence-'));
  store = await openSqliteStore(dir);
  agencyId = (await store.createAgency('dhs')).id;
  await store.createEnrollToken({ agencyName: 'dhs', tokenHash: hashToken('t'), expiresAt: null, uses: 5, now: '2026-11-01T00:00:00.000Z' });
  const fw = { clockDays: 14, clockDirective: 'BOD-23-02', references: { directives: ['BOD-23-02'], nist: ['SC-7'], stig: [], cis: [], cac: [], cve: [], other: [] } };
  await enroll('web-1', [makeResult('linux.fw.default-deny', 'fail', fw), makeResult('linux.net.ip-forward', 'pass'), makeResult('linux.edr.agent', 'error', { error: { code: 'ERR_PROBE_FAILED', message: 'no access' } }), makeResult('linux.ssh.root', 'not-applicable', { reason: 'openssh-server is not installed' })]);
  await enroll('web-2', [makeResult('linux.fw.default-deny', 'fail', fw), makeResult('linux.net.ip-forward', 'fail')]);
  await new SqliteWaivers(store.db).addWaiver(
    { agency: 'dhs', ruleId: 'linux.fw.default-deny', hosts: ['web-2'], justification: 'Upstream firewall filters this segment', approver: 'ciso@dhs.example.gov', risk: 'medium', startsAt: '2026-11-01T00:00:00.000Z', expiresAt: '2099-01-01T00:00:00.000Z' },
    'ana',
    '2026-11-01T00:00:00.000Z',
  );
});
afterEach(async () => {
  if (store) await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('collector evidence', () => {
  it('builds the evidence model of an agency: results with evidence, due dates of open findings, waivers that count', async () => {
    const now = '2026-11-20T00:00:00.000Z';
    const model = await sqliteAgencyEvidence(store.db, { agency: 'dhs', now });
    expect(model.hosts.map((h) => h.hostname)).toEqual(['web-1', 'web-2']);
    expect(model.hosts[0]!.uuid).toBe(ids['web-1']);
    expect(model.assessment.packs).toEqual([PACK]);
    expect(model.results).toHaveLength(6);
    const fw1 = model.results.find((r) => r.hostId === ids['web-1'] && r.ruleId === 'linux.fw.default-deny')!;
    expect(fw1).toMatchObject({ collectedAt: '2026-11-02T00:00:00.000Z', firstSeenAt: '2026-11-02T00:00:00.000Z', dueAt: '2026-11-16T00:00:00.000Z' });
    expect(verdictOf(fw1, now)).toBe('fail');
    const fw2 = model.results.find((r) => r.hostId === ids['web-2'] && r.ruleId === 'linux.fw.default-deny')!;
    expect(fw2.waiver?.id).toBe('W-1');
    expect(verdictOf(fw2, now)).toBe('waived');
    const doc = evidenceToOscal(model);
    expect(validate(doc).errors).toEqual([]);
    const one = await sqliteAgencyEvidence(store.db, { agency: 'dhs', hosts: ['web-2'], now });
    expect(one.assessment.scope).toBe('host');
    expect(one.results.every((r) => r.hostId === ids['web-2'])).toBe(true);
    expect(validate(evidenceToOscal(one)).errors).toEqual([]);
  });

  it('prints OSCAL (validated), CSV, HTML and the model with `rampart report`, and exits 2 for an unknown agency', async () => {
    await store.close();
    const run = async (...argv: string[]) => {
      let out = '';
      const stdout = new Writable({ write(chunk, _e, cb) { out += String(chunk); cb(); } });
      const code = await reportMain([...argv, '--data-dir', dir], { stdout, env: {} });
      return { code, out };
    };
    const oscal = await run('--agency', 'dhs', '--validate');
    expect(oscal.code).toBe(0);
    expect(validate(JSON.parse(oscal.out)).errors).toEqual([]);
    const csv = await run('--agency', 'dhs', '--format', 'csv');
    expect(csv.out.split('\r\n').filter(Boolean)).toHaveLength(1 + 3);
    expect(csv.out).toContain(',waived,');
    const html = await run('--agency', 'dhs', '--format', 'html');
    expect(html.out).toContain('<section id="waivers"');
    expect(html.out).toContain('W-1');
    const json = JSON.parse((await run('--agency', 'dhs', '--host', 'web-1', '--format', 'json')).out);
    expect(json.schema).toBe('rampart.evidence/1');
    const asOf = JSON.parse((await run('--agency', 'dhs', '--format', 'json', '--as-of', '2026-11-03')).out);
    expect(asOf.assessment.generatedAt).toBe('2026-11-03T00:00:00.000Z');
    expect(asOf.results).toHaveLength(6);
    expect((await run('--agency', 'dhs', '--as-of', '2999-01-01')).code).toBe(2);
    expect((await run('--agency', 'nasa')).code).toBe(2);
    expect((await run('--agency', 'dhs', '--host', 'nobody')).code).toBe(2);
    expect((await run('--agency', 'dhs', '--format', 'xml')).code).toBe(2);
  });
});

describe('collector evidence as of a past date', () => {
  let asOfDir: string;
  let s: SqliteStore;
  let web1: string;

  beforeEach(async () => {
    asOfDir = mkdtempSync(path.join(tmpdir(), 'rampart-asof-'));
    s = await openSqliteStore(asOfDir);
    const agency = await s.createAgency('doe');
    await s.createEnrollToken({ agencyName: 'doe', tokenHash: hashToken('u'), expiresAt: null, uses: 5, now: '2026-11-01T00:00:00.000Z' });
    web1 = (await s.enrollAgent({ tokenHash: hashToken('u'), publicKey: 'k', hostname: 'web-1', agentVersion: '0.1.0', now: '2026-11-01T00:00:00.000Z' })).id;
    const frame = (seq: number, scannedAt: string, results: ResultItem[]) => ({
      agentId: web1,
      agencyId: agency.id,
      receivedAt: scannedAt,
      frame: { v: 1 as const, type: 'results' as const, seq, scanId: `s${seq}`, scannedAt, packs: [PACK], full: false, results },
    });
    const clock = { clockDays: 14, clockDirective: 'BOD-23-02' };
    await s.ingest([frame(1, '2026-11-02T00:00:00.000Z', [makeResult('linux.a.fw', 'fail', clock), makeResult('linux.b.ssh', 'pass', clock)])]);
    await s.ingest([frame(2, '2026-11-10T00:00:00.000Z', [makeResult('linux.a.fw', 'pass', clock), makeResult('linux.b.ssh', 'fail', clock)])]);
    await new SqliteWaivers(s.db).addWaiver(
      { agency: 'doe', ruleId: 'linux.b.ssh', hosts: ['web-1'], justification: 'Jump host rebuild scheduled', approver: 'ciso@doe.example.gov', risk: 'low', startsAt: '2026-11-12T00:00:00.000Z', expiresAt: '2026-12-01T00:00:00.000Z' },
      'ana',
      '2026-11-12T00:00:00.000Z',
    );
    await s.enrollAgent({ tokenHash: hashToken('u'), publicKey: 'k', hostname: 'web-2', agentVersion: '0.1.0', now: '2026-11-20T00:00:00.000Z' });
  });
  afterEach(async () => {
    await s.close();
    rmSync(asOfDir, { recursive: true, force: true });
  });

  const NOW = '2026-12-10T00:00:00.000Z';
  const at = (asOf: string) => sqliteAgencyEvidence(s.db, { agency: 'doe', now: NOW, asOf });
  const byRule = (m: Awaited<ReturnType<typeof at>>, id: string) => m.results.find((r) => r.ruleId === id)!;

  it('returns what was recorded at that time: statuses, the finding open then with its due date, and only the hosts enrolled then', async () => {
    const before = await at('2026-11-01T12:00:00.000Z');
    expect(before.hosts.map((h) => h.hostname)).toEqual(['web-1']);
    expect(before.results).toEqual([]);

    const early = await at('2026-11-05T00:00:00.000Z');
    expect(early.assessment.generatedAt).toBe('2026-11-05T00:00:00.000Z');
    expect(early.assessment.title).toMatch(/as of 2026-11-05/);
    const fw = byRule(early, 'linux.a.fw');
    expect(fw).toMatchObject({ status: 'fail', firstSeenAt: '2026-11-02T00:00:00.000Z', dueAt: '2026-11-16T00:00:00.000Z', collectedAt: '2026-11-02T00:00:00.000Z', evidence: [] });
    expect(fw.observed).toMatch(/not retained/);
    expect(byRule(early, 'linux.b.ssh').status).toBe('pass');
    expect(validate(evidenceToOscal(early)).errors).toEqual([]);
  });

  it('counts a waiver only while it counted then: waived mid-November, failed again in December', async () => {
    const mid = await at('2026-11-15T00:00:00.000Z');
    expect(byRule(mid, 'linux.a.fw').status).toBe('pass');
    const ssh = byRule(mid, 'linux.b.ssh');
    expect(ssh.evidence.length).toBeGreaterThan(0); // the latest scan (11-10) is before this as-of: full evidence
    expect(ssh.waiver?.id).toBe('W-1');
    expect(verdictOf(ssh, mid.assessment.generatedAt)).toBe('waived');
    expect(validate(evidenceToOscal(mid)).errors).toEqual([]);

    const december = await at('2026-12-05T00:00:00.000Z');
    expect(december.hosts.map((h) => h.hostname)).toEqual(['web-1', 'web-2']);
    const late = byRule(december, 'linux.b.ssh');
    expect(late.waiver).toBeUndefined();
    expect(verdictOf(late, december.assessment.generatedAt)).toBe('fail');
  });

  it('refuses an as-of date in the future', async () => {
    await expect(at('2027-01-01T00:00:00.000Z')).rejects.toMatchObject({ code: 'ERR_USAGE' });
  });
});

describe('assessment cadence from the scan history', () => {
  let cdir: string;
  let s: SqliteStore;
  const scanFrame = (agentId: string, agencyId: number, seq: number, scannedAt: string, results: ResultItem[] = []) => ({
    agentId,
    agencyId,
    receivedAt: scannedAt,
    frame: { v: 1 as const, type: 'results' as const, seq, scanId: `scan-${seq}`, scannedAt, packs: [PACK], full: false, results },
  });

  beforeEach(async () => {
    cdir = mkdtempSync(path.join(tmpdir(), 'rampart-cadence-'));
    s = await openSqliteStore(cdir);
    const agency = await s.createAgency('doi');
    await s.createEnrollToken({ agencyName: 'doi', tokenHash: hashToken('c'), expiresAt: null, uses: 5, now: '2026-11-01T00:00:00.000Z' });
    const steady = (await s.enrollAgent({ tokenHash: hashToken('c'), publicKey: 'k', hostname: 'steady', agentVersion: '0.1.0', now: '2026-11-01T00:00:00.000Z' })).id;
    const lapsed = (await s.enrollAgent({ tokenHash: hashToken('c'), publicKey: 'k', hostname: 'lapsed', agentVersion: '0.1.0', now: '2026-11-01T00:00:00.000Z' })).id;
    // steady: weekly scans across the year end; most send no result (nothing changed), which still records the scan.
    let seq = 1;
    for (let i = 0; i < 10; i++) {
      const at = new Date(Date.parse('2026-11-28T06:00:00.000Z') + i * 7 * 86_400_000).toISOString();
      await s.ingest([scanFrame(steady, agency.id, seq++, at, i === 0 ? [makeResult('linux.a.one', 'pass')] : [])]);
    }
    // lapsed: scanned on 12-01 and 12-10, then not until 01-20.
    seq = 1;
    for (const at of ['2026-12-01T00:00:00.000Z', '2026-12-10T00:00:00.000Z', '2027-01-20T00:00:00.000Z']) await s.ingest([scanFrame(lapsed, agency.id, seq++, at, [makeResult('linux.a.one', 'fail')])]);
  });
  afterEach(async () => {
    await s.close();
    rmSync(cdir, { recursive: true, force: true });
  });

  const obligations = [{ directive: 'BOD-23-01', id: 'vulnerability-enumeration', everyDays: 14, what: 'Every host assessed (enumerated) at least every 14 days.' }];

  it('records every scan, even one that changed nothing, and says which hosts missed the cadence over new year', () => {
    const [c] = sqliteAgencyCadence(s.db, { agency: 'doi', from: '2026-12-01T00:00:00.000Z', to: '2027-01-31T00:00:00.000Z', obligations });
    expect(c!.met).toBe(false);
    const steady = c!.hosts.find((h) => h.hostname === 'steady')!;
    expect(steady.met).toBe(true);
    expect(steady.assessments).toHaveLength(9);
    const lapsed = c!.hosts.find((h) => h.hostname === 'lapsed')!;
    expect(lapsed.met).toBe(false);
    expect(lapsed.gaps.map((g) => [g.from.slice(0, 10), g.to.slice(0, 10), g.days])).toEqual([['2026-12-10', '2027-01-20', 41]]);
  });

  it('puts the cadence in the evidence model, the HTML report and the OSCAL result', async () => {
    const model = await sqliteAgencyEvidence(s.db, { agency: 'doi', now: '2027-02-01T00:00:00.000Z', asOf: '2027-01-31T00:00:00.000Z', cadence: { obligations, periodDays: 61 } });
    expect(model.cadences?.[0]?.met).toBe(false);
    const html = htmlReport(model);
    expect(html).toContain('<section id="cadence"');
    expect(html).toMatch(/lapsed<\/td><td><span class="v-fail">NO/);
    const doc = evidenceToOscal(model);
    expect(validate(doc).errors).toEqual([]);
    const props = (doc['assessment-results'] as { results: Array<{ props: Array<{ name: string; value: string }> }> }).results[0]!.props;
    expect(props.find((p) => p.name === 'cadence')!.value).toMatch(/BOD-23-01 vulnerability-enumeration: .* not met \(lapsed\)/);
  });
});
