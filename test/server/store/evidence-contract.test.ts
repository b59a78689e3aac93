/**
 * Evidence from the collector's store, on both stores (a temp SQLite file, and a fresh schema on the
 * real PostgreSQL), through the Store only: results ingested from agents, an open finding with its
 * due date and a waiver become an evidence model whose OSCAL validates against the official schema;
 * as-of rebuilds from the status history; assessment cadence from the scan history; and both stores
 * give the same model for the same data.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { htmlReport } from '../../../shared/reports/html.js';
import { verdictOf } from '../../../shared/evidence/verdict.js';
import type { EvidenceModel } from '../../../shared/evidence/model.js';
import { evidenceToOscal } from '../../../shared/oscal/from-evidence.js';
import { oscalValidator } from '../../../shared/oscal/validate.js';
import type { ResultItem } from '../../../shared/protocol.js';
import type { Store } from '../../../server/store/store.js';
import { hashToken } from '../../../server/tokens.js';
import { makeResult } from '../../helpers/test-agent.js';
import { PACK, seedFleet } from '../../helpers/collector-fleet.js';
import { PG_REACHABLE, STORE_KINDS, expectPgReachable, newStoreTarget, type StoreKind, type StoreTarget } from '../../helpers/store-targets.js';

const validate = oscalValidator();

describe('PostgreSQL test server', () => expectPgReachable());

/** A fresh store of this kind, closed and removed after each test. */
function useStore(kind: StoreKind): { store: () => Store } {
  let target: StoreTarget;
  let store: Store;
  beforeEach(async () => {
    target = newStoreTarget(kind);
    store = await target.open();
  });
  afterEach(async () => {
    await store.close();
    await target.dispose();
  });
  return { store: () => store };
}

/** The model with every agent id replaced by its hostname (ids are random per store). */
function byHostname(model: EvidenceModel, ids: Record<string, string>): unknown {
  let text = JSON.stringify(model);
  for (const [hostname, id] of Object.entries(ids)) text = text.split(id).join(`<${hostname}>`);
  return JSON.parse(text);
}

describe.each(STORE_KINDS)('collector evidence on %s', (kind) => {
  const s = useStore(kind);

  it('builds the evidence model of an agency: results with evidence, due dates of open findings, waivers that count; its OSCAL validates', async () => {
    const store = s.store();
    const ids = await seedFleet(store);
    const now = '2026-11-20T00:00:00.000Z';
    const model = await store.agencyEvidence({ agency: 'dhs', now });
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
    expect(validate(evidenceToOscal(model)).errors).toEqual([]);
    const one = await store.agencyEvidence({ agency: 'dhs', hosts: ['web-2'], now });
    expect(one.assessment.scope).toBe('host');
    expect(one.results.every((r) => r.hostId === ids['web-2'])).toBe(true);
    expect(validate(evidenceToOscal(one)).errors).toEqual([]);
    await expect(store.agencyEvidence({ agency: 'nasa', now })).rejects.toMatchObject({ code: 'ERR_AGENCY_NOT_FOUND' });
    await expect(store.agencyEvidence({ agency: 'dhs', hosts: ['nobody'], now })).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
  });

  describe('as of a past date', () => {
    let web1: string;
    const NOW = '2026-12-10T00:00:00.000Z';

    beforeEach(async () => {
      const store = s.store();
      const agency = await store.createAgency('doe');
      await store.createEnrollToken({ agencyName: 'doe', tokenHash: hashToken('u'), expiresAt: null, uses: 5, now: '2026-11-01T00:00:00.000Z' });
      web1 = (await store.enrollAgent({ tokenHash: hashToken('u'), publicKey: 'k', hostname: 'web-1', agentVersion: '0.1.0', now: '2026-11-01T00:00:00.000Z' })).id;
      const frame = (seq: number, scannedAt: string, results: ResultItem[]) => ({
        agentId: web1,
        agencyId: agency.id,
        receivedAt: scannedAt,
        frame: { v: 1 as const, type: 'results' as const, seq, scanId: `s${seq}`, scannedAt, packs: [PACK], full: false, results },
      });
      const clock = { clockDays: 14, clockDirective: 'BOD-23-02' };
      await store.ingest([frame(1, '2026-11-02T00:00:00.000Z', [makeResult('linux.a.fw', 'fail', clock), makeResult('linux.b.ssh', 'pass', clock)])]);
      await store.ingest([frame(2, '2026-11-10T00:00:00.000Z', [makeResult('linux.a.fw', 'pass', clock), makeResult('linux.b.ssh', 'fail', clock)])]);
      await store.waivers.addWaiver(
        { agency: 'doe', ruleId: 'linux.b.ssh', hosts: ['web-1'], justification: 'Jump host rebuild scheduled', approver: 'ciso@doe.example.gov', risk: 'low', startsAt: '2026-11-12T00:00:00.000Z', expiresAt: '2026-12-01T00:00:00.000Z' },
        'ana',
        '2026-11-12T00:00:00.000Z',
      );
      await store.enrollAgent({ tokenHash: hashToken('u'), publicKey: 'k', hostname: 'web-2', agentVersion: '0.1.0', now: '2026-11-20T00:00:00.000Z' });
    });

    const at = (asOf: string) => s.store().agencyEvidence({ agency: 'doe', now: NOW, asOf });
    const byRule = (m: EvidenceModel, id: string) => m.results.find((r) => r.ruleId === id)!;

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

    it('shows a waiver edited later as it stood then: its old expiry and approver in the documents, and the counts they gave', async () => {
      // 11-20: the waiver (11-12 to 12-01) is cut to end on 11-19 and re-approved by someone else.
      await s.store().waivers.updateWaiver('W-1', { expiresAt: '2026-11-19T00:00:00.000Z', approver: 'deputy-ciso@doe.example.gov' }, 'bob', '2026-11-20T00:00:00.000Z');
      const verdicts = (m: EvidenceModel) => m.results.map((r) => `${r.ruleId} ${verdictOf(r, m.assessment.generatedAt)}`);

      // 11-19 noon, before the edit: the waiver then ran until 12-01, so the failure was waived.
      const then = await at('2026-11-19T12:00:00.000Z');
      expect(byRule(then, 'linux.b.ssh').waiver).toMatchObject({ id: 'W-1', approver: 'ciso@doe.example.gov', expiry: '2026-12-01T00:00:00.000Z', justification: 'Jump host rebuild scheduled' });
      expect(verdicts(then)).toEqual(['linux.a.fw pass', 'linux.b.ssh waived']);
      const doc = evidenceToOscal(then);
      expect(validate(doc).errors).toEqual([]);
      expect(JSON.stringify(doc)).toContain('approved by ciso@doe.example.gov');
      expect(JSON.stringify(doc)).not.toContain('deputy-ciso');
      expect(htmlReport(then)).toContain('ciso@doe.example.gov');

      // After the edit, the edited waiver had already ended (11-19): the failure counts as failed.
      const after = await at('2026-11-21T00:00:00.000Z');
      expect(byRule(after, 'linux.b.ssh').waiver).toBeUndefined();
      expect(verdicts(after)).toEqual(['linux.a.fw pass', 'linux.b.ssh fail']);
      // Now, the waiver reads as edited.
      expect(await s.store().waivers.getWaiver('W-1', NOW)).toMatchObject({ approver: 'deputy-ciso@doe.example.gov', expiresAt: '2026-11-19T00:00:00.000Z', state: 'expired' });
    });

    it('counts a lapsed waiver that was extended later as failed for the time it had lapsed', async () => {
      // 11-14: cut to end 11-14 (before anyone looked); 11-20: extended to 12-31.
      await s.store().waivers.updateWaiver('W-1', { expiresAt: '2026-11-14T00:00:00.000Z' }, 'bob', '2026-11-14T00:00:00.000Z');
      await s.store().waivers.updateWaiver('W-1', { expiresAt: '2026-12-31T00:00:00.000Z' }, 'bob', '2026-11-20T00:00:00.000Z');
      expect(verdictOf(byRule(await at('2026-11-13T00:00:00.000Z'), 'linux.b.ssh'), '2026-11-13T00:00:00.000Z')).toBe('waived');
      const lapsed = await at('2026-11-17T00:00:00.000Z');
      expect(byRule(lapsed, 'linux.b.ssh').waiver).toBeUndefined();
      expect(verdictOf(byRule(lapsed, 'linux.b.ssh'), '2026-11-17T00:00:00.000Z')).toBe('fail');
      const extended = await at('2026-12-05T00:00:00.000Z');
      expect(byRule(extended, 'linux.b.ssh').waiver).toMatchObject({ expiry: '2026-12-31T00:00:00.000Z' });
    });

    it('refuses an as-of date in the future or that is not a date', async () => {
      await expect(at('2027-01-01T00:00:00.000Z')).rejects.toMatchObject({ code: 'ERR_USAGE' });
      await expect(at('someday')).rejects.toMatchObject({ code: 'ERR_USAGE' });
    });
  });

  describe('assessment cadence from the scan history', () => {
    const obligations = [{ directive: 'BOD-23-01', id: 'vulnerability-enumeration', everyDays: 14, what: 'Every host assessed (enumerated) at least every 14 days.' }];

    beforeEach(async () => {
      const store = s.store();
      const agency = await store.createAgency('doi');
      await store.createEnrollToken({ agencyName: 'doi', tokenHash: hashToken('c'), expiresAt: null, uses: 5, now: '2026-11-01T00:00:00.000Z' });
      const scan = (agentId: string, seq: number, scannedAt: string, results: ResultItem[] = []) =>
        store.ingest([{ agentId, agencyId: agency.id, receivedAt: scannedAt, frame: { v: 1, type: 'results', seq, scanId: `scan-${seq}`, scannedAt, packs: [PACK], full: false, results } }]);
      const steady = (await store.enrollAgent({ tokenHash: hashToken('c'), publicKey: 'k', hostname: 'steady', agentVersion: '0.1.0', now: '2026-11-01T00:00:00.000Z' })).id;
      const lapsed = (await store.enrollAgent({ tokenHash: hashToken('c'), publicKey: 'k', hostname: 'lapsed', agentVersion: '0.1.0', now: '2026-11-01T00:00:00.000Z' })).id;
      // steady: weekly scans across the year end; most send no result (nothing changed), which still records the scan.
      for (let i = 0; i < 10; i++) await scan(steady, i + 1, new Date(Date.parse('2026-11-28T06:00:00.000Z') + i * 7 * 86_400_000).toISOString(), i === 0 ? [makeResult('linux.a.one', 'pass')] : []);
      // lapsed: scanned on 12-01 and 12-10, then not until 01-20.
      let seq = 1;
      for (const t of ['2026-12-01T00:00:00.000Z', '2026-12-10T00:00:00.000Z', '2027-01-20T00:00:00.000Z']) await scan(lapsed, seq++, t, [makeResult('linux.a.one', 'fail')]);
    });

    it('records every scan, even one that changed nothing, and says which hosts missed the cadence over new year', async () => {
      const [c] = await s.store().agencyCadence({ agency: 'doi', from: '2026-12-01T00:00:00.000Z', to: '2027-01-31T00:00:00.000Z', obligations });
      expect(c!.met).toBe(false);
      const steady = c!.hosts.find((h) => h.hostname === 'steady')!;
      expect(steady.met).toBe(true);
      expect(steady.assessments).toHaveLength(9);
      expect(steady.before).toBe('2026-11-28T06:00:00.000Z');
      const lapsed = c!.hosts.find((h) => h.hostname === 'lapsed')!;
      expect(lapsed.met).toBe(false);
      expect(lapsed.gaps.map((g) => [g.from.slice(0, 10), g.to.slice(0, 10), g.days])).toEqual([['2026-12-10', '2027-01-20', 41]]);
      await expect(s.store().agencyCadence({ agency: 'doi', from: '2027-01-31T00:00:00.000Z', to: '2026-12-01T00:00:00.000Z', obligations })).rejects.toMatchObject({ code: 'ERR_USAGE' });
      await expect(s.store().agencyCadence({ agency: 'nasa', from: '2026-12-01T00:00:00.000Z', to: '2027-01-31T00:00:00.000Z', obligations })).rejects.toMatchObject({ code: 'ERR_AGENCY_NOT_FOUND' });
    });

    it('puts the cadence in the evidence model, the HTML report and the OSCAL result', async () => {
      const model = await s.store().agencyEvidence({ agency: 'doi', now: '2027-02-01T00:00:00.000Z', asOf: '2027-01-31T00:00:00.000Z', cadence: { obligations, periodDays: 61 } });
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
});

describe.runIf(PG_REACHABLE)('the same data on SQLite and PostgreSQL', () => {
  it('gives the same evidence model, now and as of a past date, and both OSCAL documents validate', async () => {
    const models: unknown[] = [];
    for (const kind of ['sqlite', 'postgres'] as const) {
      const target = newStoreTarget(kind);
      const store = await target.open();
      try {
        const ids = await seedFleet(store);
        await store.waivers.updateWaiver('W-1', { approver: 'deputy-ciso@dhs.example.gov' }, 'bob', '2026-11-10T00:00:00.000Z');
        const now = await store.agencyEvidence({ agency: 'dhs', now: '2026-11-20T00:00:00.000Z', cadence: { obligations: [{ directive: 'BOD-23-01', id: 'vulnerability-enumeration', everyDays: 14, what: 'x' }] } });
        const then = await store.agencyEvidence({ agency: 'dhs', now: '2026-11-20T00:00:00.000Z', asOf: '2026-11-05T00:00:00.000Z' });
        for (const m of [now, then]) expect(validate(evidenceToOscal(m)).errors).toEqual([]);
        models.push([byHostname(now, ids), byHostname(then, ids)]);
      } finally {
        await store.close();
        await target.dispose();
      }
    }
    expect(models[1]).toEqual(models[0]);
  });
});
