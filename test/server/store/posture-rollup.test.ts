import { describe, expect, it } from 'vitest';
import { agencyFiguresOf, dueSoonEnd, postureOf, type CounterRow } from '../../../server/store/posture-rollup.js';

const NOW = '2026-11-20T00:00:00.000Z';
const NO_FINDINGS = { open: 0, overdue: 0, dueSoon: 0, dueSoonDays: 7, overdueList: [], dueSoonList: [] };

function row(id: string, severity: CounterRow['severity'], directives: string[], n: Partial<Pick<CounterRow, 'n_pass' | 'n_fail' | 'n_error' | 'n_na'>>): CounterRow {
  return { id, title: `title ${id}`, severity, directives: JSON.stringify(directives), n_pass: 0, n_fail: 0, n_error: 0, n_na: 0, ...n };
}

describe('postureOf (both stores)', () => {
  it('weighs the score by severity, rolls up directives and lists failing rules worst first', () => {
    const p = postureOf({ id: 3, name: 'DOE', parent_name: null }, { total: 5, revoked: 1 }, [
      row('low.a', 'low', ['BOD-22-01'], { n_pass: 3, n_fail: 1 }),
      row('crit.b', 'critical', ['BOD-22-01', 'BOD-23-01'], { n_pass: 1, n_fail: 1, n_error: 1, n_na: 1 }),
      row('high.c', 'high', [], { n_pass: 4 }),
    ], NOW, NO_FINDINGS);
    // won = 1*3 + 10*1 + 5*4 = 33; possible = 1*4 + 10*3 + 5*4 = 54
    expect(p.score).toBe(61.1);
    expect(p.hosts).toEqual({ total: 4, revoked: 1 });
    expect(p.counts).toEqual({ total: 12, pass: 8, fail: 2, error: 1, notApplicable: 1 });
    expect(p.failBySeverity).toEqual({ critical: 1, high: 0, medium: 0, low: 1 });
    expect(p.directives).toEqual([
      { directive: 'BOD-22-01', rules: 2, pass: 4, fail: 2, error: 1, percent: 57.1 },
      { directive: 'BOD-23-01', rules: 1, pass: 1, fail: 1, error: 1, percent: 33.3 },
    ]);
    expect(p.failingRules.map((f) => f.ruleId)).toEqual(['crit.b', 'low.a']);
    expect(p.agency).toEqual({ id: 3, name: 'DOE', parentName: null });
  });

  it('has no score and no directive percent without applicable verdicts', () => {
    const p = postureOf({ id: 1, name: 'A', parent_name: 'P' }, { total: 0, revoked: 0 }, [row('na', 'medium', ['D'], { n_na: 2 })], NOW, NO_FINDINGS);
    expect(p.score).toBeNull();
    expect(p.directives).toEqual([{ directive: 'D', rules: 1, pass: 0, fail: 0, error: 0, percent: null }]);
  });

  it('ends the due-soon window dueSoonDays after now', () => {
    expect(dueSoonEnd(NOW, 7)).toBe('2026-11-27T00:00:00.000Z');
  });
});

describe('agencyFiguresOf', () => {
  it('gives every agency asked for a row, zeros where nothing was grouped', () => {
    expect(agencyFiguresOf([1, 2], [{ agencyId: 2, won: 5, possible: 8 }], [{ agencyId: 2, hosts: 3, online: 1 }], [{ agencyId: 1, open: 4, overdue: 2 }])).toEqual([
      { agencyId: 1, won: 0, possible: 0, hosts: 0, online: 0, openFindings: 4, overdueFindings: 2 },
      { agencyId: 2, won: 5, possible: 8, hosts: 3, online: 1, openFindings: 0, overdueFindings: 0 },
    ]);
  });
});
