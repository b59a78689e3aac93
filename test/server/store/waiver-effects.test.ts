/**
 * Waivers in the collector's views: a waived failure leaves the fail counts, the score, the failing
 * rules and the due/overdue findings while the waiver counts, and comes back by itself when it expires.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteStore, type SqliteStore } from '../../../server/store/sqlite/sqlite-store.js';
import { SqliteWaivers } from '../../../server/store/sqlite/waivers.js';
import { hashToken } from '../../../server/tokens.js';
import { makeResult } from '../../helpers/test-agent.js';

let dir: string;
let store: SqliteStore;
let agencyId: number;

beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'rampart-waiver-effects-'));
  store = await openSqliteStore(dir);
  agencyId = (await store.createAgency('dhs')).id;
  await store.createEnrollToken({ agencyName: 'dhs', tokenHash: hashToken('t'), expiresAt: null, uses: 2, now: '2026-11-01T00:00:00.000Z' });
  const clock = { clockDays: 14, clockDirective: 'BOD-23-02', references: { directives: ['BOD-23-02'], nist: ['SC-7'], stig: [], cis: [], cac: [], cve: [], other: [] } };
  let seq = 0;
  for (const host of ['web-1', 'web-2']) {
    const id = (await store.enrollAgent({ tokenHash: hashToken('t'), publicKey: 'k', hostname: host, agentVersion: '1', now: '2026-11-01T00:00:00.000Z' })).id;
    await store.ingest([
      {
        agentId: id,
        agencyId,
        receivedAt: '2026-11-02T00:00:00.000Z',
        frame: { v: 1, type: 'results', seq: ++seq, scanId: `s-${host}`, scannedAt: '2026-11-02T00:00:00.000Z', packs: [], full: false, results: [makeResult('linux.fw.deny', 'fail', { severity: 'high', ...clock }), makeResult('linux.net.fwd', 'pass', { severity: 'high', ...clock })] },
      },
    ]);
  }
  await new SqliteWaivers(store.db).addWaiver(
    { agency: 'dhs', ruleId: 'linux.fw.deny', hosts: ['web-1'], justification: 'Upstream firewall filters this segment', approver: 'ciso', risk: 'medium', startsAt: '2026-11-05T00:00:00.000Z', expiresAt: '2026-12-01T00:00:00.000Z' },
    'ana',
    '2026-11-05T00:00:00.000Z',
  );
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('waivers in posture and findings', () => {
  it('count a waived failure as waived, not failed, while the waiver counts', async () => {
    const p = await store.posture(agencyId, '2026-11-20T00:00:00.000Z', 7);
    expect(p.counts).toMatchObject({ pass: 2, fail: 1, waived: 1 });
    expect(p.failBySeverity.high).toBe(1);
    // score: 2 passes out of 3 non-waived applicable verdicts of equal weight.
    expect(p.score).toBe(66.7);
    expect(p.directives.find((d) => d.directive === 'BOD-23-02')).toMatchObject({ pass: 2, fail: 1, percent: 66.7 });
    expect(p.failingRules.find((r) => r.ruleId === 'linux.fw.deny')!.failingHosts).toBe(1);
    // Both findings were due 2026-11-16: only web-2's is overdue now.
    expect(p.findings).toMatchObject({ open: 1, overdue: 1 });
    expect(p.findings.overdueList.map((f) => f.hostname)).toEqual(['web-2']);
    const findings = await store.listFindings(agencyId, '2026-11-20T00:00:00.000Z', { state: 'open' }, { limit: 10, offset: 0 });
    expect(findings.items.map((f) => [f.hostname, (f as { waived?: boolean }).waived])).toEqual([
      ['web-1', true],
      ['web-2', false],
    ]);
  });

  it('count it as failed again once the waiver expired, with nothing rewritten', async () => {
    const p = await store.posture(agencyId, '2026-12-02T00:00:00.000Z', 7);
    expect(p.counts).toMatchObject({ pass: 2, fail: 2, waived: 0 });
    expect(p.score).toBe(50);
    expect(p.findings).toMatchObject({ open: 2, overdue: 2 });
  });

  it('ignore a revoked host: its failure is already out of the posture', async () => {
    await new SqliteWaivers(store.db).addWaiver(
      { agency: 'dhs', ruleId: 'linux.fw.deny', justification: 'Agency-wide exception for the test', approver: 'ciso', risk: 'low', startsAt: '2026-11-05T00:00:00.000Z', expiresAt: '2026-12-01T00:00:00.000Z' },
      'ana',
      '2026-11-05T00:00:00.000Z',
    );
    const web2 = (await store.findHost('web-2'))!;
    await store.revokeAgent(web2.id, '2026-11-10T00:00:00.000Z');
    const p = await store.posture(agencyId, '2026-11-20T00:00:00.000Z', 7);
    expect(p.counts).toMatchObject({ fail: 0, waived: 1 });
  });
});
