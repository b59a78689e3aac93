/**
 * @module Store contract, as of a past instant: views rebuilt at a past instant agree with what the
 * live views said at that instant. A fleet is scanned at T1, waived, scanned again with changes at T2,
 * and the posture, findings and host counts recorded live after each step are asked for again later
 * "as of" those instants. store-contract.test.ts runs it on SQLite and on PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoreContractOptions } from './store-contract.case.js';
import { findingsAsOf, hostsAsOf, postureAsOf } from '../../server/as-of/posture-as-of.js';
import type { Finding, Posture, Store } from '../../server/store/store.js';
import type { EvidenceModel } from '../../shared/evidence/model.js';
import type { CheckStatus } from '../../shared/result.js';
import type { ResultItem } from '../../shared/protocol.js';
import { hashToken } from '../../server/tokens.js';
import { makeResult } from '../helpers/test-agent.js';

const T0 = '2026-10-30T00:00:00.000Z';
const T1 = '2026-11-02T00:00:00.000Z';
const AFTER_T1 = '2026-11-03T00:00:00.000Z';
const WAIVED_AT = '2026-11-03T01:00:00.000Z';
const T2 = '2026-11-20T00:00:00.000Z';
const AFTER_T2 = '2026-11-21T06:00:00.000Z';
const NOW = '2026-11-26T12:00:00.000Z';
const GRANTED_LATE = '2026-11-25T00:00:00.000Z';

const refs = (directives: string[]) => ({ directives, nist: ['SC-7'], stig: [], cis: [], cac: [], cve: [], other: [] });
/** Rule id -> what every result of it carries besides its status. */
const RULES: Record<string, Partial<ResultItem>> = {
  'linux.fw.deny': { severity: 'critical', clockDays: 14, clockDirective: 'BOD-23-02', references: refs(['BOD-23-02']) },
  'linux.ssh.root': { severity: 'high', clockDays: 30, clockDirective: 'EO-2026-06-02', references: refs(['BOD-23-02', 'EO-2026-06-02']) },
  'linux.net.fwd': { severity: 'medium', references: refs(['M-22-09']) },
  'linux.time.ntp': { severity: 'low', references: refs([]) },
};
type Row = Record<keyof typeof RULES, CheckStatus>;

export function runAsOfContract(opts: StoreContractOptions): void {
  describe(`Store contract, as of a past instant: ${opts.name}`, () => {
    let store: Store;
    let dispose: () => Promise<void>;
    let agencyId: number;
    const hostIds = new Map<string, string>();
    let seq = 0;
    const live = new Map<string, { posture: Posture; findings: Finding[]; hosts: Array<{ agentId: string; counts: unknown }> }>();

    async function scan(at: string, hostname: string, row: Row): Promise<void> {
      const results = Object.entries(row).map(([id, status]) => makeResult(id, status, RULES[id]));
      await store.ingest([{ agentId: hostIds.get(hostname)!, agencyId, receivedAt: at, frame: { v: 1, type: 'results', seq: ++seq, scanId: `s${seq}`, scannedAt: at, packs: [], full: true, results } }]);
    }

    /** The live views as the collector answered them at `now`. */
    async function record(now: string): Promise<void> {
      const posture = await store.posture(agencyId, now, 7);
      const findings = (await store.listFindings(agencyId, now, { state: 'open' }, { limit: 500, offset: 0 })).items;
      const hosts = (await store.listHosts(agencyId, now, { limit: 500, offset: 0 })).items.map((h) => ({ agentId: h.agentId, counts: h.counts }));
      live.set(now, { posture, findings, hosts });
    }

    function evidenceAsOf(s: Store, asOf: string): Promise<EvidenceModel> {
      return s.agencyEvidence({ agency: 'dhs', now: NOW, asOf });
    }

    const key = (f: { agentId: string; ruleId: string }) => `${f.agentId}/${f.ruleId}`;
    const sortFindings = <T extends { agentId: string; ruleId: string }>(xs: readonly T[]) => [...xs].sort((a, b) => (key(a) < key(b) ? -1 : 1));
    /** A live finding without its row id, for comparison with a rebuilt one. */
    const bare = ({ id: _id, ...f }: Finding & { waived?: boolean }) => ({ ...f, waived: f.waived ?? false });

    beforeAll(async () => {
      ({ store, dispose } = await opts.newStore());
      agencyId = (await store.createAgency('dhs')).id;
      await store.createEnrollToken({ agencyName: 'dhs', tokenHash: hashToken('t'), expiresAt: null, uses: 5, now: T0 });
      for (const h of ['web-1', 'web-2', 'db-1']) {
        hostIds.set(h, (await store.enrollAgent({ tokenHash: hashToken('t'), publicKey: `k-${h}`, hostname: h, agentVersion: '1', now: T0 })).id);
      }
      await scan(T1, 'web-1', { 'linux.fw.deny': 'fail', 'linux.ssh.root': 'fail', 'linux.net.fwd': 'pass', 'linux.time.ntp': 'not-applicable' });
      await scan(T1, 'web-2', { 'linux.fw.deny': 'fail', 'linux.ssh.root': 'pass', 'linux.net.fwd': 'fail', 'linux.time.ntp': 'pass' });
      await scan(T1, 'db-1', { 'linux.fw.deny': 'pass', 'linux.ssh.root': 'error', 'linux.net.fwd': 'pass', 'linux.time.ntp': 'fail' });
      await record(AFTER_T1);
      // A waiver for web-1's firewall from just after AFTER_T1 to T2+3d (so it counts at AFTER_T2, not at NOW), and one for the whole agency's NTP.
      const waivers = store.waivers;
      await waivers.addWaiver({ agency: 'dhs', ruleId: 'linux.fw.deny', hosts: ['web-1'], justification: 'Upstream firewall filters this segment', approver: 'ciso', risk: 'medium', startsAt: WAIVED_AT, expiresAt: '2026-11-23T00:00:00.000Z' }, 'ana', WAIVED_AT);
      await waivers.addWaiver({ agency: 'dhs', ruleId: 'linux.time.ntp', justification: 'Time comes from the PTP grandmaster', approver: 'ciso', risk: 'low', startsAt: WAIVED_AT, expiresAt: '2027-06-01T00:00:00.000Z' }, 'ana', WAIVED_AT);
      // T2: web-1's SSH fixed, web-2's forwarding check errs (its finding stays open) and its SSH broken, db-1's SSH error fails, firewall still failing.
      await scan(T2, 'web-1', { 'linux.fw.deny': 'fail', 'linux.ssh.root': 'pass', 'linux.net.fwd': 'pass', 'linux.time.ntp': 'not-applicable' });
      await scan(T2, 'web-2', { 'linux.fw.deny': 'fail', 'linux.ssh.root': 'fail', 'linux.net.fwd': 'error', 'linux.time.ntp': 'pass' });
      await scan(T2, 'db-1', { 'linux.fw.deny': 'pass', 'linux.ssh.root': 'fail', 'linux.net.fwd': 'error', 'linux.time.ntp': 'fail' });
      await record(AFTER_T2);
      // Granted later but backdated to T1: the views as of earlier instants must not change after the fact.
      await store.waivers.addWaiver({ agency: 'dhs', ruleId: 'linux.fw.deny', hosts: ['web-2'], justification: 'Backdated: segment isolated since T1', approver: 'ciso', risk: 'high', startsAt: T1, expiresAt: '2027-06-01T00:00:00.000Z' }, 'ana', GRANTED_LATE);
      await record(NOW);
    });

    afterAll(async () => {
      await store?.close();
      await dispose?.();
    });

    describe.each([AFTER_T1, AFTER_T2, NOW])('as of %s', (at) => {
      it('rebuilds the posture the live view gave then', async () => {
        const want = live.get(at)!.posture;
        const got = postureAsOf([await evidenceAsOf(store, at)], want.agency, at, 7, 0);
        const { findings: wf, ...wantRest } = want;
        const { findings: gf, ...gotRest } = got;
        expect(gotRest).toEqual(wantRest);
        expect({ ...gf, overdueList: sortFindings(gf.overdueList).map(bare), dueSoonList: sortFindings(gf.dueSoonList).map(bare) }).toEqual({
          ...wf,
          overdueList: sortFindings(wf.overdueList).map(bare),
          dueSoonList: sortFindings(wf.dueSoonList).map(bare),
        });
      });

      it('rebuilds the open findings and each host’s counts the live views gave then', async () => {
        const model = await evidenceAsOf(store, at);
        expect(sortFindings(findingsAsOf([model])).map(({ id: _id, ...f }) => f)).toEqual(sortFindings(live.get(at)!.findings).map(bare));
        const counts = hostsAsOf([model]).map((h) => ({ agentId: h.agentId, counts: h.counts }));
        const liveCounts = live.get(at)!.hosts.map((h) => ({ agentId: h.agentId, counts: h.counts }));
        // Live host counts keep a waived failure under fail; the rebuilt ones set it apart.
        expect(counts.map((h) => ({ agentId: h.agentId, counts: { ...h.counts, fail: h.counts.fail + h.counts.waived, waived: undefined } })).sort((a, b) => (a.agentId < b.agentId ? -1 : 1))).toEqual(
          liveCounts.map((h) => ({ ...h, counts: { ...(h.counts as object), waived: undefined } })).sort((a, b) => (a.agentId < b.agentId ? -1 : 1)),
        );
      });
    });

    describe('the instants differ', () => {
      it('so the test above compares three different postures', () => {
        const figures = [AFTER_T1, AFTER_T2, NOW].map((t) => {
          const { asOf: _a, ...p } = live.get(t)!.posture;
          return JSON.stringify([p, live.get(t)!.findings.map(bare)]);
        });
        expect(new Set(figures).size).toBe(3);
        expect(live.get(AFTER_T2)!.posture.counts).toMatchObject({ waived: 2 });
        expect(live.get(NOW)!.posture.counts).toMatchObject({ waived: 2 });
      });
    });
  });
}
