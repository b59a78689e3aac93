import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { RuleResult } from '../../../shared/result.js';
import { stateDigest } from '../../../shared/state-digest.js';
import { applyResultsFrame, digestOf, entryOf, planDelta, resultHash, splitPlan, type RuleState } from '../../../agent/daemon/rule-state.js';

function result(ruleId: string, status: RuleResult['status'] = 'pass', observed = 'ok', durationMs = 1.5): RuleResult {
  return {
    ruleId,
    packId: 'p',
    title: ruleId,
    severity: 'medium',
    status,
    expected: 'x',
    observed,
    evidence: [{ probe: 'file', params: { path: '/x' }, status, expected: 'x', observed }],
    references: { directives: [], nist: [], stig: [], cis: [], cac: [], cve: [], other: [] },
    remediation: 'fix',
    durationMs,
  };
}

function stateOf(results: RuleResult[]): RuleState {
  return new Map(results.map((r) => [r.ruleId, entryOf(r)]));
}

describe('delta planning', () => {
  it('sends the full state on first contact (empty baseline)', () => {
    const plan = planDelta(new Map(), [result('a'), result('b')], false);
    expect(plan.full).toBe(true);
    expect(plan.results.map((r) => r.ruleId)).toEqual(['a', 'b']);
  });

  it('sends only rules whose status or evidence changed, ignoring timing', () => {
    const base = stateOf([result('a'), result('b'), result('c')]);
    const plan = planDelta(base, [result('a'), result('b', 'fail'), result('c', 'pass', 'different evidence')], false);
    expect(plan.full).toBe(false);
    expect(plan.results.map((r) => r.ruleId)).toEqual(['b', 'c']);
    expect(plan.removed).toEqual([]);
  });

  it('lists rules that are no longer evaluated as removed, and new rules as changed', () => {
    const base = stateOf([result('a'), result('gone')]);
    const plan = planDelta(base, [result('a'), result('new')], false);
    expect(plan.results.map((r) => r.ruleId)).toEqual(['new']);
    expect(plan.removed).toEqual(['gone']);
  });

  it('sends everything when a full state is owed (resync, dropped frames)', () => {
    const base = stateOf([result('a')]);
    expect(planDelta(base, [result('a')], true)).toMatchObject({ full: true, removed: [] });
  });

  it('an unchanged scan is one empty delta frame, so the collector still learns the scan ran', () => {
    const base = stateOf([result('a')]);
    const parts = splitPlan(planDelta(base, [result('a')], false), { maxResults: 500, maxBytes: 1 << 20 });
    expect(parts).toEqual([{ results: [] }]);
  });

  it('hashes what the verdict says, not how long it took', () => {
    expect(resultHash(result('a', 'pass', 'ok', 1))).toBe(resultHash(result('a', 'pass', 'ok', 250.75)));
    expect(resultHash(result('a'))).not.toBe(resultHash(result('a', 'fail')));
  });

  it('hashes matched CVEs when a result carries them, and results without them exactly as before', () => {
    const r = result('a', 'fail');
    const legacy = createHash('sha256').update(JSON.stringify([r.status, r.expected, r.observed, r.evidence, null, null])).digest('hex');
    expect(resultHash(r)).toBe(legacy);
    const listed = { ...r, cves: [{ cve: 'CVE-2025-3248', kev: true }] };
    expect(resultHash(listed)).not.toBe(legacy);
    expect(resultHash(listed)).not.toBe(resultHash({ ...r, cves: [{ cve: 'CVE-2025-3248', kev: false }] }));
  });
});

describe('splitting into frames', () => {
  const many = Array.from({ length: 1201 }, (_, i) => result(`r${String(i).padStart(4, '0')}`));

  it('splits a full state into numbered parts of at most maxResults', () => {
    const parts = splitPlan({ full: true, results: many, removed: [] }, { maxResults: 500, maxBytes: 1 << 30 });
    expect(parts.map((p) => [p.results.length, p.part, p.parts])).toEqual([
      [500, 0, 3],
      [500, 1, 3],
      [201, 2, 3],
    ]);
  });

  it('also splits by bytes so no frame exceeds the size limit', () => {
    const size = Buffer.byteLength(JSON.stringify(many[0])) + 1;
    const parts = splitPlan({ full: true, results: many.slice(0, 100), removed: [] }, { maxResults: 500, maxBytes: size * 10 });
    expect(parts).toHaveLength(10);
    expect(parts.every((p) => p.results.length === 10 && p.parts === 10)).toBe(true);
  });

  it('puts removed ids in delta frames only', () => {
    const parts = splitPlan({ full: false, results: [result('a')], removed: ['x', 'y', 'z'] }, { maxResults: 2, maxBytes: 1 << 20 });
    expect(parts).toEqual([
      { results: [expect.objectContaining({ ruleId: 'a' })], removed: ['x', 'y'] },
      { results: [], removed: ['z'] },
    ]);
  });
});

describe('applying frames and digests', () => {
  it('part 0 of a full state replaces the state; later parts and deltas add to it', () => {
    const state = stateOf([result('old')]);
    applyResultsFrame(state, { full: true, part: 0, results: [result('a')] });
    applyResultsFrame(state, { full: true, part: 1, results: [result('b')] });
    expect([...state.keys()].sort()).toEqual(['a', 'b']);
    applyResultsFrame(state, { full: false, results: [result('a', 'fail')], removed: ['b'] });
    expect([...state]).toEqual([['a', entryOf(result('a', 'fail'))]]);
  });

  it('computes the same digest as the collector (shared/state-digest.ts) regardless of insertion order', () => {
    const a = stateOf([result('b', 'fail'), result('a'), result('c', 'not-applicable')]);
    const b = stateOf([result('c', 'not-applicable'), result('b', 'fail'), result('a')]);
    expect(digestOf(a)).toEqual(digestOf(b));
    expect(digestOf(a)).toEqual(stateDigest([{ ruleId: 'a', status: 'pass' }, { ruleId: 'b', status: 'fail' }, { ruleId: 'c', status: 'not-applicable' }]));
    expect(digestOf(a).count).toBe(3);
  });

  it('the agent state after queued deltas equals a fresh full scan, so digests match', () => {
    const scan1 = [result('a'), result('b'), result('c')];
    const scan2 = [result('a', 'fail'), result('c'), result('d')];
    const base: RuleState = new Map();
    applyResultsFrame(base, { full: true, part: 0, results: planDelta(base, scan1, false).results });
    const delta = planDelta(base, scan2, false);
    applyResultsFrame(base, { full: false, results: delta.results, removed: delta.removed });
    expect(digestOf(base)).toEqual(digestOf(stateOf(scan2)));
  });
});
