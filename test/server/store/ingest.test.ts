import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteStore, type SqliteStore } from '../../../server/store/sqlite/sqlite-store.js';
import type { IngestFrame } from '../../../server/store/store.js';
import { hashToken } from '../../../server/tokens.js';
import { stateDigest } from '../../../shared/state-digest.js';
import type { ResultsFrame, ResultItem } from '../../../shared/protocol.js';
import { makeResult } from '../../helpers/test-agent.js';

let dir: string;
let store: SqliteStore;
let agentId: string;
let agencyId: number;

beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'rampart-ingest-'));
  store = await openSqliteStore(dir);
  const agency = await store.createAgency('dhs');
  agencyId = agency.id;
  await store.createEnrollToken({ agencyName: 'dhs', tokenHash: hashToken('t'), expiresAt: null, uses: 10, now: new Date().toISOString() });
  agentId = (await store.enrollAgent({ tokenHash: hashToken('t'), publicKey: 'k', hostname: 'web-1', agentVersion: '1', now: new Date().toISOString() })).id;
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

function frame(seq: number, results: ResultItem[], over: Partial<ResultsFrame> = {}): IngestFrame {
  return {
    agentId,
    agencyId,
    receivedAt: new Date().toISOString(),
    frame: { v: 1, type: 'results', seq, scanId: `s${seq}`, scannedAt: '2026-11-01T00:00:00.000Z', packs: [], full: false, results, ...over },
  };
}

function count(sql: string, ...args: unknown[]): number {
  return (store.db.prepare(sql).get(...args) as { n: number }).n;
}

describe('SQLite ingest', () => {
  it('stores a seq once and reports the second delivery as a duplicate', async () => {
    const f = frame(1, [makeResult('linux.a.one', 'fail')]);
    expect((await store.ingest([f])).map((o) => o.status)).toEqual(['stored']);
    expect((await store.ingest([f])).map((o) => o.status)).toEqual(['duplicate']);
    expect(count('SELECT COUNT(*) AS n FROM results')).toBe(1);
    expect(count('SELECT COUNT(*) AS n FROM status_history')).toBe(1);
    const posture = await store.posture(agencyId, new Date().toISOString(), 14);
    expect(posture.counts.fail).toBe(1);
  });

  it('writes a history row only when the status changes', async () => {
    await store.ingest([frame(1, [makeResult('linux.a.one', 'fail')]), frame(2, [makeResult('linux.a.one', 'fail')]), frame(3, [makeResult('linux.a.one', 'pass')])]);
    const history = await store.hostHistory(agentId, { limit: 10, offset: 0 });
    expect(history.items.map((h) => [h.from, h.to, h.seq])).toEqual([
      ['fail', 'pass', 3],
      [null, 'fail', 1],
    ]);
  });

  it('never lets an older frame overwrite newer state', async () => {
    await store.ingest([frame(5, [makeResult('linux.a.one', 'pass')])]);
    await store.ingest([frame(4, [makeResult('linux.a.one', 'fail')])]);
    const results = await store.hostResults(agentId, { limit: 10, offset: 0 });
    expect(results.items[0]).toMatchObject({ status: 'pass', seq: 5 });
  });

  it('opens a finding on failure with first-seen and a due date from clockDays, and resolves it on pass', async () => {
    await store.ingest([frame(1, [makeResult('linux.a.one', 'fail', { clockDays: 15, clockDirective: 'BOD-22-01' })], { scannedAt: '2026-11-01T00:00:00Z' })]);
    await store.ingest([frame(2, [makeResult('linux.a.one', 'error')], { scannedAt: '2026-11-05T00:00:00Z' })]);
    await store.ingest([frame(3, [makeResult('linux.a.one', 'fail', { clockDays: 15 })], { scannedAt: '2026-11-06T00:00:00Z' })]);
    const open = await store.listFindings(agencyId, '2026-11-20T00:00:00.000Z', { state: 'open' }, { limit: 10, offset: 0 });
    expect(open.items).toHaveLength(1);
    expect(open.items[0]).toMatchObject({ firstSeenAt: '2026-11-01T00:00:00.000Z', dueAt: '2026-11-16T00:00:00.000Z', overdue: true, directive: 'BOD-22-01', hostname: 'web-1' });
    await store.ingest([frame(4, [makeResult('linux.a.one', 'pass')], { scannedAt: '2026-11-21T00:00:00Z' })]);
    expect((await store.listFindings(agencyId, '2026-11-22T00:00:00.000Z', { state: 'open' }, { limit: 10, offset: 0 })).total).toBe(0);
    const resolved = await store.listFindings(agencyId, '2026-11-22T00:00:00.000Z', { state: 'resolved' }, { limit: 10, offset: 0 });
    expect(resolved.items[0]).toMatchObject({ resolvedAt: '2026-11-21T00:00:00.000Z', overdue: false });
  });

  it('scores by severity weight with errors counting as not passing, from maintained counters', async () => {
    await store.ingest([
      frame(1, [
        makeResult('linux.a.crit', 'pass', { severity: 'critical' }),
        makeResult('linux.a.low', 'fail', { severity: 'low' }),
        makeResult('linux.a.med', 'error', { severity: 'medium' }),
        makeResult('linux.a.na', 'not-applicable', { severity: 'high' }),
      ]),
    ]);
    const p = await store.posture(agencyId, new Date().toISOString(), 14);
    // 10 / (10 + 1 + 3)
    expect(p.score).toBe(71.4);
    expect(p.counts).toMatchObject({ total: 4, pass: 1, fail: 1, error: 1, notApplicable: 1, waived: 0 });
    expect(p.failBySeverity.low).toBe(1);
    expect(p.directives).toEqual([{ directive: 'M-22-09', rules: 4, pass: 1, fail: 1, error: 1, percent: 33.3 }]);
    expect(p.failingRules).toEqual([expect.objectContaining({ ruleId: 'linux.a.low', failingHosts: 1 })]);
  });

  it('drops rules missing from a complete (full) state and keeps counters in step', async () => {
    await store.ingest([frame(1, [makeResult('linux.a.one', 'fail'), makeResult('linux.a.two', 'pass')], { full: true })]);
    await store.ingest([frame(2, [makeResult('linux.a.one', 'pass')], { full: true })]);
    const results = await store.hostResults(agentId, { limit: 10, offset: 0 });
    expect(results.items.map((r) => r.ruleId)).toEqual(['linux.a.one']);
    const p = await store.posture(agencyId, new Date().toISOString(), 14);
    expect(p.counts).toMatchObject({ pass: 1, fail: 0, total: 1 });
    const host = (await store.listHosts(agencyId, '', { limit: 10, offset: 0 })).items[0]!;
    expect(host.counts).toEqual({ pass: 1, fail: 0, error: 0, notApplicable: 0 });
  });

  it('compares a digest with the stored state', async () => {
    const results = [makeResult('linux.a.one', 'fail'), makeResult('linux.a.two', 'pass')];
    await store.ingest([frame(1, results, { full: true })]);
    const good = stateDigest(results);
    const digest = (seq: number, d: { count: number; sha256: string }): IngestFrame => ({
      agentId,
      agencyId,
      receivedAt: new Date().toISOString(),
      frame: { v: 1, type: 'digest', seq, scanId: 's', scannedAt: new Date().toISOString(), ...d },
    });
    expect(await store.ingest([digest(2, good)])).toMatchObject([{ status: 'stored', digestMismatch: false }]);
    const bad = stateDigest([makeResult('linux.a.one', 'pass'), makeResult('linux.a.two', 'pass')]);
    expect(await store.ingest([digest(3, bad)])).toMatchObject([{ status: 'stored', digestMismatch: true }]);
  });

  it('reports delivery gaps per host', async () => {
    await store.ingest([frame(1, []), frame(2, []), frame(5, []), frame(9, [])]);
    const detail = await store.hostDetail(agentId);
    expect(detail.host.delivery).toEqual({ maxSeq: 9, received: 4, missing: 5, complete: false });
    expect(detail.gaps).toEqual([
      { from: 3, to: 4 },
      { from: 6, to: 8 },
    ]);
    await store.ingest([3, 4, 6, 7, 8].map((s) => frame(s, [])));
    const after = await store.hostDetail(agentId);
    expect(after.host.delivery.complete).toBe(true);
    expect(after.gaps).toEqual([]);
  });

  it('takes a revoked agent out of the agency posture and closes its findings', async () => {
    await store.ingest([frame(1, [makeResult('linux.a.one', 'fail', { clockDays: 3 })])]);
    expect(await store.revokeAgent(agentId, new Date().toISOString())).toBe(true);
    const p = await store.posture(agencyId, new Date().toISOString(), 14);
    expect(p.counts.total).toBe(0);
    expect(p.findings.open).toBe(0);
    expect(p.hosts).toEqual({ total: 0, revoked: 1 });
  });
});
