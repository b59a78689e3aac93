/**
 * Waivers on both stores (a temp SQLite file, and a fresh schema on the real PostgreSQL), through
 * the Store only: scopes, most-specific-wins, as-of counting (expiry and removal flip a waived
 * failure back to failed), validation with codes, the append-only audit log, and what waivers do
 * to posture, roll-ups, findings, the overview's figures and the daily posture.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verdictOf } from '../../../shared/evidence/verdict.js';
import type { Store } from '../../../server/store/store.js';
import { waiverKey, type NewWaiver } from '../../../server/store/waivers.js';
import { hashToken } from '../../../server/tokens.js';
import { fleetModel } from '../../helpers/evidence-fleet.js';
import { makeResult } from '../../helpers/test-agent.js';
import { STORE_KINDS, expectPgReachable, newStoreTarget, rawSql, type StoreTarget } from '../../helpers/store-targets.js';

const T0 = '2026-11-01T00:00:00.000Z';
const RULE = 'linux.ssh.root-login-disabled';
const PAGE = { limit: 10, offset: 0 };

describe('PostgreSQL test server', () => expectPgReachable());

describe.each(STORE_KINDS)('waivers on %s', (kind) => {
  let target: StoreTarget;
  let store: Store;
  let dhs: number;
  const agents: Record<string, string> = {};

  async function enroll(agency: string, hostname: string): Promise<string> {
    const token = `${agency}-${hostname}`;
    await store.createEnrollToken({ agencyName: agency, tokenHash: hashToken(token), expiresAt: null, uses: 1, now: T0 });
    return (await store.enrollAgent({ tokenHash: hashToken(token), publicKey: 'k', hostname, agentVersion: '1', now: T0 })).id;
  }

  function waiver(over: Partial<NewWaiver> = {}): NewWaiver {
    return { agency: 'dhs', ruleId: RULE, hosts: [], justification: 'Console access needed until the Q1 refresh', approver: 'ciso@dhs.example.gov', risk: 'medium', startsAt: '2026-11-10T00:00:00.000Z', expiresAt: '2027-01-01T00:00:00.000Z', ...over };
  }

  beforeEach(async () => {
    target = newStoreTarget(kind);
    store = await target.open();
    dhs = (await store.createAgency('dhs')).id;
    await store.createAgency('doe');
    for (const h of ['web-1', 'web-2', 'db-1']) agents[h] = await enroll('dhs', h);
    agents['doe-1'] = await enroll('doe', 'doe-1');
  });
  afterEach(async () => {
    await store.close();
    await target.dispose();
  });

  describe('the waiver store', () => {
    it('scopes a waiver to one host, a set of hosts or the whole agency, by agent id or hostname', async () => {
      const one = await store.waivers.addWaiver(waiver({ hosts: ['web-1'] }), 'ana', T0);
      const set = await store.waivers.addWaiver(waiver({ hosts: [agents['web-2']!, 'web-1', 'web-2'], ruleId: 'linux.fw.default-deny' }), 'ana', T0);
      const all = await store.waivers.addWaiver(waiver({ ruleId: 'linux.time.ntp-approved' }), 'ana', T0);
      expect([one.id, set.id, all.id]).toEqual(['W-1', 'W-2', 'W-3']);
      expect([one.scope, set.scope, all.scope]).toEqual(['host', 'host-set', 'agency']);
      expect(set.hosts).toEqual([
        { agentId: agents['web-1'], hostname: 'web-1' },
        { agentId: agents['web-2'], hostname: 'web-2' },
      ]);
      expect(one).toMatchObject({ agencyId: dhs, agencyName: 'dhs', state: 'not-yet-active', createdAt: T0, createdBy: 'ana', updatedAt: null, removedAt: null });
      const at = '2026-11-20T00:00:00.000Z';
      const map = await store.waivers.waiversAt(dhs, at);
      expect(map.get(waiverKey(agents['web-1']!, RULE))).toEqual({
        id: 'W-1',
        justification: 'Console access needed until the Q1 refresh',
        approver: 'ciso@dhs.example.gov',
        risk: 'medium',
        start: '2026-11-10T00:00:00.000Z',
        expiry: '2027-01-01T00:00:00.000Z',
        scope: 'host',
      });
      expect(map.has(waiverKey(agents['web-2']!, RULE))).toBe(false);
      expect(map.get(waiverKey(agents['web-2']!, 'linux.fw.default-deny'))?.scope).toBe('host-set');
      for (const h of ['web-1', 'web-2', 'db-1']) expect(map.get(waiverKey(agents[h]!, 'linux.time.ntp-approved'))?.id).toBe('W-3');
      expect(map.has(waiverKey(agents['doe-1']!, 'linux.time.ntp-approved'))).toBe(false);
      expect((await store.waivers.listWaivers({ agencyId: dhs }, at)).map((w) => [w.id, w.state, w.hosts.length])).toEqual([
        ['W-1', 'active', 1],
        ['W-2', 'active', 2],
        ['W-3', 'active', 0],
      ]);
      expect(await store.waivers.listWaivers({ agencyId: dhs }, T0)).toEqual([]);
      expect((await store.waivers.listWaivers({ all: true }, T0)).map((w) => w.id)).toEqual(['W-1', 'W-2', 'W-3']);
      expect(await store.waivers.getWaiver('W-2', at)).toEqual(set.state === 'not-yet-active' ? { ...set, state: 'active' } : set);
      expect(await store.waivers.getWaiver('W-9', at)).toBeNull();
    });

    it('prefers the most specific scope, then the latest expiry', async () => {
      await store.waivers.addWaiver(waiver({ expiresAt: '2027-06-01T00:00:00.000Z' }), 'ana', T0);
      await store.waivers.addWaiver(waiver({ hosts: ['web-1', 'db-1'], expiresAt: '2027-05-01T00:00:00.000Z' }), 'ana', T0);
      await store.waivers.addWaiver(waiver({ hosts: ['web-1'] }), 'ana', T0);
      await store.waivers.addWaiver(waiver({ hosts: ['web-1'], expiresAt: '2027-02-01T00:00:00.000Z' }), 'ana', T0);
      const map = await store.waivers.waiversAt(dhs, '2026-12-01T00:00:00.000Z');
      expect(map.get(waiverKey(agents['web-1']!, RULE))?.id).toBe('W-4');
      expect(map.get(waiverKey(agents['db-1']!, RULE))?.id).toBe('W-2');
      expect(map.get(waiverKey(agents['web-2']!, RULE))?.id).toBe('W-1');
      // Once the host waivers have expired, the host set's counts again for web-1.
      expect((await store.waivers.waiversAt(dhs, '2027-02-15T00:00:00.000Z')).get(waiverKey(agents['web-1']!, RULE))?.id).toBe('W-2');
    });

    it('counts a waiver only while active: not before its creation or start, not from its expiry or removal', async () => {
      await store.waivers.addWaiver(waiver({ hosts: ['web-1'] }), 'ana', '2026-11-05T00:00:00.000Z');
      const key = waiverKey(agents['web-1']!, RULE);
      const at = async (t: string) => (await store.waivers.waiversAt(dhs, t)).has(key);
      expect(await at('2026-11-04T00:00:00.000Z')).toBe(false); // not created yet
      expect(await at('2026-11-09T23:59:59.000Z')).toBe(false); // not started
      expect(await at('2026-11-10T00:00:00.000Z')).toBe(true);
      expect(await at('2026-12-31T23:59:59.999Z')).toBe(true);
      expect(await at('2027-01-01T00:00:00.000Z')).toBe(false); // expired by itself
      await store.waivers.removeWaiver('W-1', 'bob', '2026-12-01T00:00:00.000Z', 'router replaced');
      expect(await at('2026-11-30T00:00:00.000Z')).toBe(true); // as of before the removal, it still counted
      expect(await at('2026-12-01T00:00:00.000Z')).toBe(false);
      expect((await store.waivers.getWaiver('W-1', '2026-12-02T00:00:00.000Z'))!).toMatchObject({ state: 'removed', removedAt: '2026-12-01T00:00:00.000Z', removedBy: 'bob' });
    });

    it('answers as of a past instant with each waiver as it stood then, not as it was edited or removed later', async () => {
      const key = (h: string) => waiverKey(agents[h]!, RULE);
      await store.waivers.addWaiver(waiver({ hosts: ['web-1'] }), 'ana', '2026-11-05T00:00:00.000Z');
      // W-2 lapsed on 11-15; on 11-20 it is extended to the end of the year.
      await store.waivers.addWaiver(waiver({ hosts: ['db-1'], expiresAt: '2026-11-15T00:00:00.000Z', approver: 'isso@dhs.example.gov' }), 'ana', '2026-11-05T00:00:00.000Z');
      // On 11-20 W-1's expiry is cut to 11-25, its approver and justification change, and its risk goes up.
      await store.waivers.updateWaiver('W-1', { expiresAt: '2026-11-25T00:00:00.000Z', approver: 'deputy-ciso@dhs.example.gov', justification: 'Console access until the new router ships', risk: 'high' }, 'bob', '2026-11-20T00:00:00.000Z');
      await store.waivers.updateWaiver('W-2', { expiresAt: '2026-12-31T00:00:00.000Z' }, 'bob', '2026-11-20T00:00:00.000Z');
      await store.waivers.removeWaiver('W-2', 'carol', '2026-12-10T00:00:00.000Z', 'fixed');

      const before = await store.waivers.waiversAt(dhs, '2026-11-12T00:00:00.000Z');
      expect(before.get(key('web-1'))).toEqual({ id: 'W-1', justification: 'Console access needed until the Q1 refresh', approver: 'ciso@dhs.example.gov', risk: 'medium', start: '2026-11-10T00:00:00.000Z', expiry: '2027-01-01T00:00:00.000Z', scope: 'host' });
      expect(before.get(key('db-1'))).toMatchObject({ id: 'W-2', expiry: '2026-11-15T00:00:00.000Z' });
      // 11-17: W-2 had lapsed (its extension came later); W-1 still had its old expiry.
      const lapsed = await store.waivers.waiversAt(dhs, '2026-11-17T00:00:00.000Z');
      expect(lapsed.has(key('db-1'))).toBe(false);
      expect(lapsed.get(key('web-1'))).toMatchObject({ approver: 'ciso@dhs.example.gov', expiry: '2027-01-01T00:00:00.000Z' });
      // From the edit on, the edited values.
      const edited = await store.waivers.waiversAt(dhs, '2026-11-21T00:00:00.000Z');
      expect(edited.get(key('web-1'))).toEqual({ id: 'W-1', justification: 'Console access until the new router ships', approver: 'deputy-ciso@dhs.example.gov', risk: 'high', start: '2026-11-10T00:00:00.000Z', expiry: '2026-11-25T00:00:00.000Z', scope: 'host' });
      expect(edited.get(key('db-1'))).toMatchObject({ id: 'W-2', expiry: '2026-12-31T00:00:00.000Z', approver: 'isso@dhs.example.gov' });
      // 11-26: W-1's shortened expiry has passed; 12-05: W-2 (removed 12-10) still counted; 12-10: removed.
      const late = await store.waivers.waiversAt(dhs, '2026-12-05T00:00:00.000Z');
      expect([...late.values()].map((w) => w.id)).toEqual(['W-2']);
      expect((await store.waivers.waiversAt(dhs, '2026-12-10T00:00:00.000Z')).size).toBe(0);
    });

    it('flips a failure between waived and failed in the evidence model as time passes', async () => {
      const failing = fleetModel().results.find((r) => r.status === 'fail')!;
      failing.ruleId = RULE;
      await store.waivers.addWaiver(waiver({ hosts: ['web-1'] }), 'ana', T0);
      const resolve = async (asOf: string) => {
        const w = (await store.waivers.waiversAt(dhs, asOf)).get(waiverKey(agents['web-1']!, RULE));
        return verdictOf({ ...failing, ...(w ? { waiver: w } : {}) }, asOf);
      };
      expect(await resolve('2026-11-20T00:00:00.000Z')).toBe('waived');
      expect(await resolve('2027-01-02T00:00:00.000Z')).toBe('fail');
    });

    it('refuses invalid waivers and changes with coded errors, and changes nothing then', async () => {
      const refused = (p: Promise<unknown>, code: string, message: RegExp = /./) => expect(p).rejects.toMatchObject({ code, message: expect.stringMatching(message) });
      await refused(store.waivers.addWaiver(waiver({ hosts: ['doe-1'] }), 'ana', T0), 'ERR_WAIVER_INVALID', /no host "doe-1" in agency "dhs"/);
      await refused(store.waivers.addWaiver(waiver({ hosts: [agents['doe-1']!] }), 'ana', T0), 'ERR_WAIVER_INVALID', /does not belong/);
      await refused(store.waivers.addWaiver(waiver({ expiresAt: '2026-11-09T00:00:00.000Z' }), 'ana', T0), 'ERR_WAIVER_INVALID', /after the start/);
      await refused(store.waivers.addWaiver(waiver({ justification: 'because' }), 'ana', T0), 'ERR_WAIVER_INVALID');
      await refused(store.waivers.addWaiver(waiver({ risk: 'huge' as 'low' }), 'ana', T0), 'ERR_WAIVER_INVALID');
      await refused(store.waivers.addWaiver(waiver({ agency: 'nasa' }), 'ana', T0), 'ERR_AGENCY_NOT_FOUND');
      await refused(store.waivers.addWaiver(waiver({ agency: '99999999999' }), 'ana', T0), 'ERR_AGENCY_NOT_FOUND');
      await refused(store.waivers.removeWaiver('W-9', 'ana', T0), 'ERR_WAIVER_NOT_FOUND');
      await refused(store.waivers.updateWaiver('nope', { risk: 'low' }, 'ana', T0), 'ERR_WAIVER_NOT_FOUND');
      await refused(store.waivers.updateWaiver('W-9', { risk: 'low' }, 'ana', T0), 'ERR_WAIVER_NOT_FOUND');
      const w = await store.waivers.addWaiver(waiver({ agency: String(dhs) }), 'ana', T0);
      expect(w.agencyName).toBe('dhs');
      await refused(store.waivers.updateWaiver('W-1', {}, 'ana', T0), 'ERR_WAIVER_INVALID', /nothing to change/);
      await refused(store.waivers.updateWaiver('W-1', { expiresAt: '2026-11-10T00:00:00.000Z' }, 'ana', T0), 'ERR_WAIVER_INVALID', /after the start/);
      await store.waivers.removeWaiver('W-1', 'ana', T0);
      await refused(store.waivers.removeWaiver('W-1', 'ana', T0), 'ERR_WAIVER_INVALID', /already removed/);
      await refused(store.waivers.updateWaiver('W-1', { risk: 'low' }, 'ana', T0), 'ERR_WAIVER_INVALID', /add a new one/);
      expect(await store.waivers.listWaivers({}, T0)).toEqual([]);
      expect((await store.waivers.listWaivers({ all: true }, T0)).map((x) => [x.id, x.state, x.risk])).toEqual([['W-1', 'removed', 'medium']]);
      expect((await store.waivers.auditLog({})).map((e) => e.action)).toEqual(['waiver.create', 'waiver.remove']);
    });

    it('records every create, change and removal in an append-only audit log, with before and after', async () => {
      await store.waivers.addWaiver(waiver({ hosts: ['web-1'] }), 'ana', '2026-11-02T00:00:00.000Z');
      const updated = await store.waivers.updateWaiver('W-1', { expiresAt: '2027-03-01T00:00:00.000Z', risk: 'high' }, 'bob', '2026-11-03T00:00:00.000Z');
      expect(updated).toMatchObject({ risk: 'high', expiresAt: '2027-03-01T00:00:00.000Z', updatedAt: '2026-11-03T00:00:00.000Z', approver: 'ciso@dhs.example.gov' });
      await store.waivers.removeWaiver('W-1', 'carol', '2026-11-04T00:00:00.000Z', 'fixed');
      // Administrative entries share the table; the waiver log lists only waiver entries.
      await rawSql(store, "INSERT INTO audit_log (at, actor, action, object_type, object_id) VALUES ('2026-11-05T00:00:00.000Z', 'cli:root', 'agency.create', 'agency', 'W-1')");
      const log = await store.waivers.auditLog({ objectId: 'W-1' });
      expect(log.map((e) => [e.action, e.actor, e.at, e.objectType])).toEqual([
        ['waiver.create', 'ana', '2026-11-02T00:00:00.000Z', 'waiver'],
        ['waiver.update', 'bob', '2026-11-03T00:00:00.000Z', 'waiver'],
        ['waiver.remove', 'carol', '2026-11-04T00:00:00.000Z', 'waiver'],
      ]);
      expect(log[0]!.before).toBeNull();
      expect(log[0]!.after).toEqual({
        id: 'W-1',
        agencyId: dhs,
        agencyName: 'dhs',
        ruleId: RULE,
        scope: 'host',
        hosts: [{ agentId: agents['web-1'], hostname: 'web-1' }],
        justification: 'Console access needed until the Q1 refresh',
        approver: 'ciso@dhs.example.gov',
        risk: 'medium',
        startsAt: '2026-11-10T00:00:00.000Z',
        expiresAt: '2027-01-01T00:00:00.000Z',
        createdAt: '2026-11-02T00:00:00.000Z',
        createdBy: 'ana',
        updatedAt: null,
        removedAt: null,
        removedBy: null,
      });
      expect(log[1]!.before).toEqual(log[0]!.after);
      expect(log[1]!.after).toMatchObject({ risk: 'high', expiresAt: '2027-03-01T00:00:00.000Z', updatedAt: '2026-11-03T00:00:00.000Z' });
      expect(log[2]!.before).toEqual(log[1]!.after);
      expect(log[2]!.after).toMatchObject({ removedAt: '2026-11-04T00:00:00.000Z', removedBy: 'carol', reason: 'fixed' });
      expect(await store.waivers.auditLog({ limit: 2 })).toHaveLength(2);
      await expect(rawSql(store, "UPDATE audit_log SET actor = 'mallory'")).rejects.toThrow(/append-only/);
      await expect(rawSql(store, 'DELETE FROM audit_log')).rejects.toThrow(/append-only/);
      expect(await store.waivers.auditLog({})).toHaveLength(3);
    });
  });

  describe('in posture, findings and the overview', () => {
    const clock = { clockDays: 14, clockDirective: 'BOD-23-02', references: { directives: ['BOD-23-02'], nist: ['SC-7'], stig: [], cis: [], cac: [], cve: [], other: [] } };

    async function scan(hostname: string, agencyId: number): Promise<void> {
      const agentId = agents[hostname]!;
      await store.ingest([
        {
          agentId,
          agencyId,
          receivedAt: '2026-11-02T00:00:00.000Z',
          frame: { v: 1, type: 'results', seq: 1, scanId: `s-${hostname}`, scannedAt: '2026-11-02T00:00:00.000Z', packs: [], full: false, results: [makeResult('linux.fw.deny', 'fail', { severity: 'high', ...clock }), makeResult('linux.net.fwd', 'pass', { severity: 'high', ...clock })] },
        },
      ]);
    }

    beforeEach(async () => {
      await scan('web-1', dhs);
      await scan('web-2', dhs);
      await store.waivers.addWaiver(
        { agency: 'dhs', ruleId: 'linux.fw.deny', hosts: ['web-1'], justification: 'Upstream firewall filters this segment', approver: 'ciso', risk: 'medium', startsAt: '2026-11-05T00:00:00.000Z', expiresAt: '2026-12-01T00:00:00.000Z' },
        'ana',
        '2026-11-05T00:00:00.000Z',
      );
    });

    it('counts a waived failure as waived, not failed, while the waiver counts', async () => {
      const p = await store.posture(dhs, '2026-11-20T00:00:00.000Z', 7);
      expect(p.counts).toMatchObject({ pass: 2, fail: 1, waived: 1 });
      expect(p.failBySeverity.high).toBe(1);
      // score: 2 passes out of 3 non-waived applicable verdicts of equal weight.
      expect(p.score).toBe(66.7);
      expect(p.directives.find((d) => d.directive === 'BOD-23-02')).toMatchObject({ pass: 2, fail: 1, percent: 66.7 });
      expect(p.failingRules.find((r) => r.ruleId === 'linux.fw.deny')!.failingHosts).toBe(1);
      // Both findings were due 2026-11-16: only web-2's is overdue now.
      expect(p.findings).toMatchObject({ open: 1, overdue: 1 });
      expect(p.findings.overdueList.map((f) => f.hostname)).toEqual(['web-2']);
      const findings = await store.listFindings(dhs, '2026-11-20T00:00:00.000Z', { state: 'open' }, PAGE);
      expect(findings.items.map((f) => [f.hostname, (f as { waived?: boolean }).waived])).toEqual([
        ['web-1', true],
        ['web-2', false],
      ]);
    });

    it('counts it as failed again once the waiver expired, with nothing rewritten', async () => {
      const p = await store.posture(dhs, '2026-12-02T00:00:00.000Z', 7);
      expect(p.counts).toMatchObject({ pass: 2, fail: 2, waived: 0 });
      expect(p.score).toBe(50);
      expect(p.findings).toMatchObject({ open: 2, overdue: 2 });
      const findings = await store.listFindings(dhs, '2026-12-02T00:00:00.000Z', { state: 'open' }, PAGE);
      expect(findings.items.map((f) => (f as { waived?: boolean }).waived)).toEqual([false, false]);
    });

    it('ignores a revoked host: its failure is already out of the posture', async () => {
      await store.waivers.addWaiver(
        { agency: 'dhs', ruleId: 'linux.fw.deny', justification: 'Agency-wide exception for the test', approver: 'ciso', risk: 'low', startsAt: '2026-11-05T00:00:00.000Z', expiresAt: '2026-12-01T00:00:00.000Z' },
        'ana',
        '2026-11-05T00:00:00.000Z',
      );
      await store.revokeAgent(agents['web-2']!, '2026-11-10T00:00:00.000Z');
      const p = await store.posture(dhs, '2026-11-20T00:00:00.000Z', 7);
      expect(p.counts).toMatchObject({ fail: 0, waived: 1 });
    });

    it('applies every component agency waivers in a roll-up, in its findings, and in the overview figures and daily posture', async () => {
      const cisa = (await store.createAgency('cisa', 'dhs')).id;
      agents['cisa-1'] = await enroll('cisa', 'cisa-1');
      await scan('cisa-1', cisa);
      await store.waivers.addWaiver(
        { agency: 'cisa', ruleId: 'linux.fw.deny', justification: 'Component-wide exception for the test', approver: 'ciso', risk: 'low', startsAt: '2026-11-05T00:00:00.000Z', expiresAt: '2999-01-01T00:00:00.000Z' },
        'ana',
        '2026-11-05T00:00:00.000Z',
      );
      const now = '2026-11-20T00:00:00.000Z';
      const p = await store.postureRollup(dhs, [dhs, cisa], now, 7);
      expect(p.counts).toMatchObject({ pass: 3, fail: 1, waived: 2 });
      expect(p.score).toBe(75);
      expect(p.findings).toMatchObject({ open: 1, overdue: 1 });
      const findings = await store.listFindings(dhs, now, { state: 'open', agencyIds: [dhs, cisa] }, PAGE);
      expect(findings.items.map((f) => [f.hostname, (f as { waived?: boolean }).waived])).toEqual([
        ['web-1', true],
        ['web-2', false],
        ['cisa-1', true],
      ]);
      const figures = (await store.agencyFigures(now, T0)).sort((a, b) => a.agencyId - b.agencyId);
      const doe = (await store.findAgency('doe'))!.id;
      // high weighs 5: dhs has 2 passes and 2 failures, one waived; cisa 1 pass and 1 waived failure.
      expect(figures.map((f) => [f.agencyId, f.won, f.possible, f.openFindings, f.overdueFindings])).toEqual([
        [dhs, 10, 15, 1, 1],
        [doe, 0, 0, 0, 0],
        [cisa, 5, 5, 0, 0],
      ]);
      expect((await store.agencyFigures(now, T0, [cisa])).map((f) => [f.agencyId, f.possible])).toEqual([[cisa, 5]]);
      // The daily snapshot is taken at the real current time: the same figures as the overview's then.
      const live = await store.agencyFigures(new Date().toISOString(), T0);
      const day = new Date().toISOString().slice(0, 10);
      await store.snapshotDailyPosture(day);
      const daily = await store.dailyPosture(day);
      expect(daily.map((d) => [d.agencyId, d.won, d.possible]).sort((a, b) => a[0]! - b[0]!)).toEqual(live.map((f) => [f.agencyId, f.won, f.possible]).sort((a, b) => a[0]! - b[0]!));
      expect(daily.find((d) => d.agencyId === cisa)).toMatchObject({ won: 5, possible: 5 });
    });
  });
});
