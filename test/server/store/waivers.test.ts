/**
 * Waivers on a real SQLite file: scopes, as-of counting (expiry and removal flip a waived failure back
 * to failed), validation with codes, and the append-only audit log.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verdictOf } from '../../../shared/evidence/verdict.js';
import { openSqliteStore, type SqliteStore } from '../../../server/store/sqlite/sqlite-store.js';
import { SqliteWaivers } from '../../../server/store/sqlite/waivers.js';
import { waiverKey, type NewWaiver } from '../../../server/store/waivers.js';
import { hashToken } from '../../../server/tokens.js';
import { fleetModel } from '../../helpers/evidence-fleet.js';

let dir: string;
let store: SqliteStore;
let waivers: SqliteWaivers;
let dhs: number;
const agents: Record<string, string> = {};
const T0 = '2026-11-01T00:00:00.000Z';
const RULE = 'linux.ssh.root-login-disabled';

async function enroll(agency: string, hostname: string): Promise<string> {
  const token = `${agency}-${hostname}`;
  await store.createEnrollToken({ agencyName: agency, tokenHash: hashToken(token), expiresAt: null, uses: 1, now: T0 });
  return (await store.enrollAgent({ tokenHash: hashToken(token), publicKey: 'k', hostname, agentVersion: '1', now: T0 })).id;
}

function waiver(over: Partial<NewWaiver> = {}): NewWaiver {
  return { agency: 'dhs', ruleId: RULE, hosts: [], justification: 'Console access needed until the Q1 refresh', approver: 'ciso@dhs.example.gov', risk: 'medium', startsAt: '2026-11-10T00:00:00.000Z', expiresAt: '2027-01-01T00:00:00.000Z', ...over };
}

beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'rampart-waivers-'));
  store = await openSqliteStore(dir);
  dhs = (await store.createAgency('dhs')).id;
  await store.createAgency('doe');
  for (const h of ['web-1', 'web-2', 'db-1']) agents[h] = await enroll('dhs', h);
  agents['doe-1'] = await enroll('doe', 'doe-1');
  waivers = new SqliteWaivers(store.db);
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('waivers', () => {
  it('are scoped to one host, a set of hosts or the whole agency, by agent id or hostname', async () => {
    const one = await waivers.addWaiver(waiver({ hosts: ['web-1'] }), 'ana', T0);
    const set = await waivers.addWaiver(waiver({ hosts: [agents['web-1']!, 'web-2'], ruleId: 'linux.fw.default-deny' }), 'ana', T0);
    const all = await waivers.addWaiver(waiver({ ruleId: 'linux.time.ntp-approved' }), 'ana', T0);
    expect([one.id, set.id, all.id]).toEqual(['W-1', 'W-2', 'W-3']);
    expect([one.scope, set.scope, all.scope]).toEqual(['host', 'host-set', 'agency']);
    expect(set.hosts.map((h) => h.hostname)).toEqual(['web-1', 'web-2']);
    expect(one.state).toBe('not-yet-active');
    const at = '2026-11-20T00:00:00.000Z';
    const map = await waivers.waiversAt(dhs, at);
    expect(map.get(waiverKey(agents['web-1']!, RULE))?.id).toBe('W-1');
    expect(map.has(waiverKey(agents['web-2']!, RULE))).toBe(false);
    expect(map.get(waiverKey(agents['web-2']!, 'linux.fw.default-deny'))?.scope).toBe('host-set');
    for (const h of ['web-1', 'web-2', 'db-1']) expect(map.get(waiverKey(agents[h]!, 'linux.time.ntp-approved'))?.id).toBe('W-3');
    expect((await waivers.listWaivers({ agencyId: dhs }, at)).map((w) => w.id)).toEqual(['W-1', 'W-2', 'W-3']);
  });

  it('prefer the most specific scope, then the latest expiry', async () => {
    await waivers.addWaiver(waiver({ expiresAt: '2027-06-01T00:00:00.000Z' }), 'ana', T0);
    await waivers.addWaiver(waiver({ hosts: ['web-1'] }), 'ana', T0);
    await waivers.addWaiver(waiver({ hosts: ['web-1'], expiresAt: '2027-02-01T00:00:00.000Z' }), 'ana', T0);
    const map = await waivers.waiversAt(dhs, '2026-12-01T00:00:00.000Z');
    expect(map.get(waiverKey(agents['web-1']!, RULE))?.id).toBe('W-3');
    expect(map.get(waiverKey(agents['db-1']!, RULE))?.id).toBe('W-1');
  });

  it('count only while active: before the start, after expiry, after removal and before creation they do not', async () => {
    await waivers.addWaiver(waiver({ hosts: ['web-1'] }), 'ana', '2026-11-05T00:00:00.000Z');
    const key = waiverKey(agents['web-1']!, RULE);
    const at = async (t: string) => (await waivers.waiversAt(dhs, t)).has(key);
    expect(await at('2026-11-04T00:00:00.000Z')).toBe(false); // not created yet
    expect(await at('2026-11-09T23:59:59.000Z')).toBe(false); // not started
    expect(await at('2026-11-10T00:00:00.000Z')).toBe(true);
    expect(await at('2026-12-31T23:59:59.999Z')).toBe(true);
    expect(await at('2027-01-01T00:00:00.000Z')).toBe(false); // expired by itself
    await waivers.removeWaiver('W-1', 'bob', '2026-12-01T00:00:00.000Z', 'router replaced');
    expect(await at('2026-11-30T00:00:00.000Z')).toBe(true); // as of before the removal, it still counted
    expect(await at('2026-12-01T00:00:00.000Z')).toBe(false);
    expect((await waivers.getWaiver('W-1', '2026-12-02T00:00:00.000Z'))!.state).toBe('removed');
  });

  it('flip a failure between waived and failed in the evidence model as time passes', async () => {
    const model = fleetModel();
    const failing = model.results.find((r) => r.status === 'fail')!;
    failing.ruleId = RULE;
    await waivers.addWaiver(waiver({ hosts: ['web-1'] }), 'ana', T0);
    const resolve = async (asOf: string) => {
      const w = (await waivers.waiversAt(dhs, asOf)).get(waiverKey(agents['web-1']!, RULE));
      return verdictOf({ ...failing, ...(w ? { waiver: w } : {}) }, asOf);
    };
    expect(await resolve('2026-11-20T00:00:00.000Z')).toBe('waived');
    expect(await resolve('2027-01-02T00:00:00.000Z')).toBe('fail');
  });

  it('refuse invalid waivers with coded errors', async () => {
    await expect(waivers.addWaiver(waiver({ hosts: ['doe-1'] }), 'ana', T0)).rejects.toMatchObject({ code: 'ERR_WAIVER_INVALID' });
    await expect(waivers.addWaiver(waiver({ hosts: [agents['doe-1']!] }), 'ana', T0)).rejects.toMatchObject({ code: 'ERR_WAIVER_INVALID' });
    await expect(waivers.addWaiver(waiver({ expiresAt: '2026-11-09T00:00:00.000Z' }), 'ana', T0)).rejects.toMatchObject({ code: 'ERR_WAIVER_INVALID', message: expect.stringMatching(/after the start/) });
    await expect(waivers.addWaiver(waiver({ justification: 'because' }), 'ana', T0)).rejects.toMatchObject({ code: 'ERR_WAIVER_INVALID' });
    await expect(waivers.addWaiver(waiver({ risk: 'huge' as 'low' }), 'ana', T0)).rejects.toMatchObject({ code: 'ERR_WAIVER_INVALID' });
    await expect(waivers.addWaiver(waiver({ agency: 'nasa' }), 'ana', T0)).rejects.toMatchObject({ code: 'ERR_AGENCY_NOT_FOUND' });
    await expect(waivers.removeWaiver('W-9', 'ana', T0)).rejects.toMatchObject({ code: 'ERR_WAIVER_NOT_FOUND' });
    await expect(waivers.updateWaiver('nope', { risk: 'low' }, 'ana', T0)).rejects.toMatchObject({ code: 'ERR_WAIVER_NOT_FOUND' });
    await waivers.addWaiver(waiver(), 'ana', T0);
    await waivers.removeWaiver('W-1', 'ana', T0);
    await expect(waivers.removeWaiver('W-1', 'ana', T0)).rejects.toMatchObject({ code: 'ERR_WAIVER_INVALID' });
    await expect(waivers.updateWaiver('W-1', { risk: 'low' }, 'ana', T0)).rejects.toMatchObject({ code: 'ERR_WAIVER_INVALID' });
    expect((await waivers.listWaivers({}, T0)).length).toBe(0);
    expect((await waivers.listWaivers({ all: true }, T0)).length).toBe(1);
  });

  it('record every create, change and removal in an append-only audit log, with before and after', async () => {
    await waivers.addWaiver(waiver({ hosts: ['web-1'] }), 'ana', '2026-11-02T00:00:00.000Z');
    await waivers.updateWaiver('W-1', { expiresAt: '2027-03-01T00:00:00.000Z', risk: 'high' }, 'bob', '2026-11-03T00:00:00.000Z');
    await waivers.removeWaiver('W-1', 'carol', '2026-11-04T00:00:00.000Z', 'fixed');
    const log = await waivers.auditLog({ objectId: 'W-1' });
    expect(log.map((e) => [e.action, e.actor, e.at])).toEqual([
      ['waiver.create', 'ana', '2026-11-02T00:00:00.000Z'],
      ['waiver.update', 'bob', '2026-11-03T00:00:00.000Z'],
      ['waiver.remove', 'carol', '2026-11-04T00:00:00.000Z'],
    ]);
    expect(log[0]!.before).toBeNull();
    expect(log[0]!.after).toMatchObject({ id: 'W-1', scope: 'host', risk: 'medium' });
    expect(log[1]!.before).toMatchObject({ risk: 'medium', expiresAt: '2027-01-01T00:00:00.000Z' });
    expect(log[1]!.after).toMatchObject({ risk: 'high', expiresAt: '2027-03-01T00:00:00.000Z' });
    expect(log[2]!.after).toMatchObject({ removedBy: 'carol', reason: 'fixed' });
    expect(() => store.db.prepare('UPDATE audit_log SET actor = ?').run('mallory')).toThrow(/append-only/);
    expect(() => store.db.prepare('DELETE FROM audit_log').run()).toThrow(/append-only/);
    expect((await waivers.auditLog({})).length).toBe(3);
  });
});
