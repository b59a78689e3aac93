/**
 * The daemon's parser of scan-process messages: every message against WorkerMessageSchema, and a
 * result that is byte-for-byte one the previous report validated is reused, never let through
 * unchecked: a changed, new or broken result is validated (and refused) as before.
 */
import { describe, expect, it } from 'vitest';
import { resultHash } from '../../../agent/daemon/rule-state.js';
import { WorkerMessageParser } from '../../../agent/watchdog/message-parser.js';
import { WorkerMessageSchema } from '../../../agent/watchdog/messages.js';
import { SCAN_REPORT_SCHEMA_ID, type RuleResult, type ScanReport } from '../../../shared/result.js';

function result(ruleId: string, observed = 'ok'): RuleResult {
  return {
    ruleId,
    packId: 'p',
    title: ruleId,
    severity: 'medium',
    status: 'pass',
    expected: 'x',
    // Keys out of the schema's order, as a scan process may send them.
    observed,
    evidence: [{ probe: 'file', params: { path: '/x' }, expected: 'x', status: 'pass', observed: { n: 1 } }],
    references: { directives: [], nist: ['SC-7'], stig: [], cis: [], cac: [], cve: [], other: [] },
    remediation: 'fix',
    durationMs: 1.5,
  };
}

function report(results: unknown[], scanId = 's1'): { type: 'report'; report: unknown } {
  const r: Omit<ScanReport, 'results'> & { results: unknown[] } = {
    schema: SCAN_REPORT_SCHEMA_ID,
    tool: { name: 'rampart', version: '1.0.0' },
    scanId,
    startedAt: '2026-11-27T00:00:00.000Z',
    finishedAt: '2026-11-27T00:00:01.000Z',
    durationMs: 1000,
    host: { hostname: 'h', os: { id: 'debian', idLike: [] }, mode: 'fixture', root: '/', container: false },
    packs: [],
    results,
    summary: { total: results.length, pass: results.length, fail: 0, error: 0, notApplicable: 0, failBySeverity: { critical: 0, high: 0, medium: 0, low: 0 }, score: 100 },
  };
  // Through JSON, as Node's IPC channel delivers it.
  return JSON.parse(JSON.stringify({ type: 'report', report: r })) as { type: 'report'; report: unknown };
}

describe('scan-process message parser', () => {
  it('gives what WorkerMessageSchema gives, and reuses the previous validated value of an unchanged result', () => {
    const parser = new WorkerMessageParser();
    const first = report([result('a'), result('b')]);
    const a = parser.parse(first);
    expect(a).toEqual({ success: true, data: WorkerMessageSchema.parse(first) });
    expect(parser.reused).toBe(0);
    const second = report([result('a'), result('b', 'changed'), result('c')], 's2');
    const b = parser.parse(second);
    expect(b).toEqual({ success: true, data: WorkerMessageSchema.parse(second) });
    expect(parser.reused).toBe(1);
    if (!a.success || !b.success || a.data.type !== 'report' || b.data.type !== 'report') throw new Error('unreachable');
    // Only its durationMs differs from last time's value (a new scan's timing).
    expect(b.data.report.results[0]).toEqual(a.data.report.results[0]);
    expect(b.data.report.scanId).toBe('s2');
    // A new timing alone is still a reuse, and keeps the hash (which leaves timing out).
    const third = report([{ ...result('a'), durationMs: 9 }, result('b', 'changed'), result('c')], 's3');
    const c = parser.parse(third);
    expect(c).toEqual({ success: true, data: WorkerMessageSchema.parse(third) });
    expect(parser.reused).toBe(3);
    if (!c.success || c.data.type !== 'report') throw new Error('unreachable');
    const fresh = WorkerMessageSchema.parse(third);
    if (fresh.type !== 'report') throw new Error('unreachable');
    expect(resultHash(c.data.report.results[0]!)).toBe(resultHash(fresh.report.results[0]!));
    expect(parser.parse(report([{ ...result('a'), durationMs: -1 }]))).toMatchObject({ success: false });
  });

  it('refuses a broken result, a broken rest of the report and other messages as the schema does', () => {
    const parser = new WorkerMessageParser();
    expect(parser.parse(report([result('a')])).success).toBe(true);
    // Same rule id, now with a field outside the schema: validated again, refused.
    expect(parser.parse(report([{ ...result('a'), injected: true }]))).toMatchObject({ success: false });
    expect(parser.parse(report([{ ...result('a'), status: 'maybe' }]))).toMatchObject({ success: false });
    expect(parser.parse(report([null]))).toMatchObject({ success: false });
    const bad = report([result('a')]);
    (bad.report as { scanId: unknown }).scanId = 7;
    expect(parser.parse(bad)).toMatchObject({ success: false });
    expect(parser.parse({ ...bad, extra: 1 })).toMatchObject({ success: false });
    expect(parser.parse({ type: 'done', ids: ['a'] })).toEqual({ success: true, data: { type: 'done', ids: ['a'] } });
    expect(parser.parse({ type: 'done', ids: [1] })).toMatchObject({ success: false });
    // A refused report changes nothing remembered: the last good one is still reused.
    expect(parser.parse(report([result('a')])).success).toBe(true);
    expect(parser.reused).toBe(1);
  });
});
