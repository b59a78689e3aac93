/**
 * @module The Store contract for host exposure tags and BOD 26-04 Table 1 tiers of findings, run
 * against SQLite and PostgreSQL by store-contract.test.ts: the due date is first seen + the tightest
 * tier of the result's CVEs for the host's tag, and follows the tag and the CVE inputs while open.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Agent, IngestFrame, Store } from '../../server/store/store.js';
import { hashToken } from '../../server/tokens.js';
import type { ResultItem, ResultsFrame } from '../../shared/protocol.js';
import type { CveMatch } from '../../shared/result.js';
import { makeResult } from '../helpers/test-agent.js';
import type { StoreContractOptions } from './store-contract.case.js';

const PAGE = { limit: 50, offset: 0 };
// First seen two days before a year end: every clock below crosses December into January.
const SEEN = '2026-12-30T12:00:00.000Z';
const KEV: CveMatch = { cve: 'CVE-2025-3248', kev: true, kevDueDate: '2025-05-26', kevDateAdded: '2025-05-05' };

function bodResult(ruleId: string, cves: CveMatch[] | undefined, over: Partial<ResultItem> = {}): ResultItem {
  return makeResult(ruleId, 'fail', {
    severity: 'critical',
    references: { directives: ['BOD-26-04', 'EO-2026-06-02'], nist: ['SI-2'], stig: [], cis: [], cac: [], cve: (cves ?? []).map((c) => c.cve), other: [] },
    clockDays: 14,
    clockDirective: 'BOD-26-04',
    ...(cves ? { cves } : {}),
    ...over,
  });
}

export function runTierContract(opts: StoreContractOptions): void {
  describe(`Store contract: ${opts.name}: exposure tags and BOD 26-04 tiers`, () => {
    let store: Store;
    let dispose: () => Promise<void>;
    let agencyId: number;
    let agent: Agent;

    function frame(seq: number, results: ResultItem[], scannedAt = SEEN, over: Partial<ResultsFrame> = {}): IngestFrame {
      return {
        agentId: agent.id,
        agencyId: agent.agencyId,
        receivedAt: new Date().toISOString(),
        frame: { v: 1, type: 'results', seq, scanId: `s${seq}`, scannedAt, packs: [], full: false, results, ...over },
      };
    }

    const findings = async (now = '2027-01-01T00:00:00.000Z') => (await store.listFindings(agencyId, now, { state: 'all' }, PAGE)).items;
    const one = async (ruleId: string, now?: string) => (await findings(now)).find((f) => f.ruleId === ruleId);

    beforeEach(async () => {
      ({ store, dispose } = await opts.newStore());
      agencyId = (await store.createAgency('dhs')).id;
      await store.createEnrollToken({ agencyName: 'dhs', tokenHash: hashToken('t'), expiresAt: null, uses: 1, now: SEEN });
      agent = await store.enrollAgent({ tokenHash: hashToken('t'), publicKey: 'k', hostname: 'ai-1', agentVersion: '1.0.0', now: SEEN });
    });
    afterEach(async () => {
      await store.close();
      await dispose();
    });

    it('keeps an exposure tag per host: unset at enrollment, set, changed and cleared; unknown hosts answer null', async () => {
      expect(agent.exposure).toBeNull();
      expect(await store.setHostExposure(agent.id, 'internet')).toEqual({ before: null, after: 'internet', findingsRetiered: 0 });
      expect((await store.getAgent(agent.id))!.exposure).toBe('internet');
      expect(await store.setHostExposure(agent.id, 'internal')).toMatchObject({ before: 'internet', after: 'internal' });
      expect((await store.listAgents('dhs'))[0]!.exposure).toBe('internal');
      expect(await store.setHostExposure(agent.id, null)).toMatchObject({ before: 'internal', after: null });
      expect((await store.findHost('ai-1'))!.exposure).toBeNull();
      expect(await store.setHostExposure('00000000-0000-4000-8000-000000000000', 'internet')).toBeNull();
    });

    it('gives a KEV CVE on an untagged host 3 days + forensic triage across the year end, and re-tiers when the host is tagged', async () => {
      await store.ingest([frame(1, [bodResult('ai.kev.one', [KEV])])]);
      expect(await one('ai.kev.one')).toMatchObject({ firstSeenAt: SEEN, dueAt: '2027-01-02T12:00:00.000Z', directive: 'BOD-26-04', tier: 't3-forensics', forensicTriage: true });

      // Internal: KEV, not automatable (default), total impact (default) → 14 days.
      expect(await store.setHostExposure(agent.id, 'internal')).toEqual({ before: null, after: 'internal', findingsRetiered: 1 });
      expect(await one('ai.kev.one')).toMatchObject({ firstSeenAt: SEEN, dueAt: '2027-01-13T12:00:00.000Z', tier: 't14', forensicTriage: false });

      // Back to internet-exposed: the clock does not restart, so it is overdue at once on 2027-01-05.
      expect((await store.setHostExposure(agent.id, 'internet'))!.findingsRetiered).toBe(1);
      expect(await one('ai.kev.one', '2027-01-05T00:00:00.000Z')).toMatchObject({ dueAt: '2027-01-02T12:00:00.000Z', tier: 't3-forensics', overdue: true });
      expect((await store.listFindings(agencyId, '2027-01-05T00:00:00.000Z', { state: 'overdue' }, PAGE)).total).toBe(1);
      // Setting the same tag again changes nothing.
      expect((await store.setHostExposure(agent.id, 'internet'))!.findingsRetiered).toBe(0);
    });

    it('keeps the 14-day default without CVE inputs, and ignores CVEs on results that do not cite BOD 26-04', async () => {
      await store.ingest([
        frame(1, [
          bodResult('linux.patch.pending', undefined),
          makeResult('ai.other', 'fail', { clockDays: 30, clockDirective: 'EO-2026-06-02', cves: [KEV] }),
        ]),
      ]);
      expect(await one('linux.patch.pending')).toMatchObject({ dueAt: '2027-01-13T12:00:00.000Z', directive: 'BOD-26-04', tier: null, forensicTriage: false });
      expect(await one('ai.other')).toMatchObject({ dueAt: '2027-01-29T12:00:00.000Z', directive: 'EO-2026-06-02', tier: null });
      expect((await store.setHostExposure(agent.id, 'internal'))!.findingsRetiered).toBe(0);
    });

    it('shows "next upgrade" as a tier without a date that is never overdue, listed after dated findings', async () => {
      await store.setHostExposure(agent.id, 'internal');
      const quiet: CveMatch = { cve: 'CVE-2024-0001', kev: false, automatable: 'no', technicalImpact: 'partial' };
      await store.ingest([frame(1, [bodResult('ai.a-quiet', [quiet]), bodResult('ai.b-kev', [KEV])])]);
      const list = await findings('2030-01-01T00:00:00.000Z');
      expect(list.map((f) => [f.ruleId, f.tier, f.dueAt, f.overdue])).toEqual([
        ['ai.b-kev', 't14', '2027-01-13T12:00:00.000Z', true],
        ['ai.a-quiet', 'next-upgrade', null, false],
      ]);
      // Exposed, the same CVE is 60 days (not KEV, exposed, not automatable, partial).
      await store.setHostExposure(agent.id, 'internet');
      expect(await one('ai.a-quiet')).toMatchObject({ tier: 't60', dueAt: '2027-02-28T12:00:00.000Z' });
    });

    it('re-tiers an open finding when its CVE inputs change, keeping first seen (also within one batch)', async () => {
      await store.setHostExposure(agent.id, 'internal');
      const notListed: CveMatch = { cve: 'CVE-2025-3248', kev: false };
      await store.ingest([frame(1, [bodResult('ai.kev.one', [notListed])])]);
      // Not KEV, internal, not automatable, total impact → next upgrade.
      expect(await one('ai.kev.one')).toMatchObject({ tier: 'next-upgrade', dueAt: null });
      // Listed on KEV a month later, the finding still open: 14 days from first seen (overdue by then).
      await store.ingest([frame(2, [bodResult('ai.kev.one', [KEV])], '2027-02-01T00:00:00.000Z')]);
      expect(await one('ai.kev.one', '2027-02-01T00:00:00.000Z')).toMatchObject({ firstSeenAt: SEEN, tier: 't14', dueAt: '2027-01-13T12:00:00.000Z', overdue: true });
      // Two frames in one batch: the later one decides; an automatable, total-impact KEV CVE is forensic even internal.
      const auto: CveMatch = { ...KEV, automatable: 'yes', technicalImpact: 'total' };
      await store.ingest([frame(3, [bodResult('ai.kev.one', [notListed])], '2027-02-02T00:00:00.000Z'), frame(4, [bodResult('ai.kev.one', [KEV, auto])], '2027-02-03T00:00:00.000Z')]);
      expect(await one('ai.kev.one')).toMatchObject({ firstSeenAt: SEEN, tier: 't3-forensics', forensicTriage: true, dueAt: '2027-01-02T12:00:00.000Z' });
      // A late, older frame (seq 5 after 6) changes nothing.
      await store.ingest([frame(6, [bodResult('ai.kev.one', [auto])], '2027-02-05T00:00:00.000Z')]);
      await store.ingest([frame(5, [bodResult('ai.kev.one', [notListed])], '2027-02-04T00:00:00.000Z')]);
      expect(await one('ai.kev.one')).toMatchObject({ tier: 't3-forensics' });
    });

    it('keeps a shorter clock from another directive, and the tier when the tier is shorter', async () => {
      await store.setHostExposure(agent.id, 'internal');
      const quiet: CveMatch = { cve: 'CVE-2024-0001', kev: false, automatable: 'yes', technicalImpact: 'total' };
      await store.ingest([frame(1, [bodResult('ai.rule-clock', [quiet], { clockDays: 7, clockDirective: 'M-22-09' }), bodResult('ai.tier-wins', [KEV], { clockDays: 30, clockDirective: 'EO-2026-06-02' })])]);
      // t60 for the CVE, but the rule's own 7-day clock (another directive) is earlier.
      expect(await one('ai.rule-clock')).toMatchObject({ tier: 't60', dueAt: '2027-01-06T12:00:00.000Z', directive: 'M-22-09' });
      expect(await one('ai.tier-wins')).toMatchObject({ tier: 't14', dueAt: '2027-01-13T12:00:00.000Z', directive: 'BOD-26-04' });
    });

    it('puts the tier with its inputs on the agency evidence, now and as of an earlier time', async () => {
      await store.ingest([frame(1, [bodResult('ai.kev.one', [KEV])])]);
      const evidence = await store.agencyEvidence({ agency: 'dhs', now: '2027-01-01T00:00:00.000Z' });
      const r = evidence.results.find((x) => x.ruleId === 'ai.kev.one')!;
      expect(r).toMatchObject({ firstSeenAt: SEEN, dueAt: '2027-01-02T12:00:00.000Z', cves: [KEV] });
      expect(r.bod2604).toMatchObject({ tier: 't3-forensics', exposure: 'unset', exposed: true, decidedBy: 'CVE-2025-3248' });
      expect(r.bod2604!.cves[0]!.defaulted).toEqual(['automatable', 'impact']);
      await store.setHostExposure(agent.id, 'internal');
      const asOf = await store.agencyEvidence({ agency: 'dhs', now: '2027-01-05T00:00:00.000Z', asOf: '2027-01-01T00:00:00.000Z' });
      // As-of views show the tier as last computed (docs/directive-clocks.md).
      expect(asOf.results.find((x) => x.ruleId === 'ai.kev.one')!.bod2604).toMatchObject({ tier: 't14', exposure: 'internal' });
    });

    it('resolves a tiered finding on pass and opens a new one with a new first seen', async () => {
      await store.ingest([frame(1, [bodResult('ai.kev.one', [KEV])])]);
      await store.ingest([frame(2, [makeResult('ai.kev.one', 'pass', { references: { directives: ['BOD-26-04'], nist: [], stig: [], cis: [], cac: [], cve: [], other: [] } })], '2027-01-01T00:00:00.000Z')]);
      await store.ingest([frame(3, [bodResult('ai.kev.one', [KEV])], '2027-03-01T00:00:00.000Z')]);
      const open = (await store.listFindings(agencyId, '2027-03-01T00:00:00.000Z', { state: 'open' }, PAGE)).items;
      expect(open.map((f) => [f.firstSeenAt, f.dueAt, f.tier])).toEqual([['2027-03-01T00:00:00.000Z', '2027-03-04T00:00:00.000Z', 't3-forensics']]);
      // Re-tagging touches only the open finding.
      expect((await store.setHostExposure(agent.id, 'internal'))!.findingsRetiered).toBe(1);
      const resolved = (await store.listFindings(agencyId, '2027-03-01T00:00:00.000Z', { state: 'resolved' }, PAGE)).items;
      expect(resolved.map((f) => f.tier)).toEqual(['t3-forensics']);
    });
  });
}
