/**
 * Directive clocks and cadences across month ends, year ends and leap days.
 */
import { describe, expect, it } from 'vitest';
import { addDays, cadenceReport, daysBetween, dueAt } from '../../../shared/evidence/clocks.js';

describe('directive clocks', () => {
  it('counts calendar days in UTC across month and year ends', () => {
    expect(dueAt('2026-12-25T10:00:00.000Z', 14)).toBe('2027-01-08T10:00:00.000Z');
    expect(dueAt('2026-01-31T00:00:00.000Z', 30)).toBe('2026-03-02T00:00:00.000Z');
    expect(dueAt('2026-11-30T23:59:59.000Z', 1)).toBe('2026-12-01T23:59:59.000Z');
    expect(dueAt('2026-12-31T23:00:00-05:00', 3)).toBe('2027-01-04T04:00:00.000Z');
  });

  it('knows leap years: 29 February 2028 exists, 2027 has none', () => {
    expect(dueAt('2028-02-20T00:00:00.000Z', 14)).toBe('2028-03-05T00:00:00.000Z');
    expect(dueAt('2027-02-20T00:00:00.000Z', 14)).toBe('2027-03-06T00:00:00.000Z');
    expect(addDays('2028-02-28T12:00:00.000Z', 1)).toBe('2028-02-29T12:00:00.000Z');
    expect(daysBetween('2027-12-20T00:00:00.000Z', '2028-03-01T00:00:00.000Z')).toBe(72);
  });

  it('refuses clocks that are not a positive whole number of days', () => {
    expect(() => dueAt('2026-01-01T00:00:00Z', 0)).toThrow(RangeError);
    expect(() => dueAt('2026-01-01T00:00:00Z', 1.5)).toThrow(RangeError);
    expect(() => addDays('yesterday', 1)).toThrow(RangeError);
  });
});

describe('cadence (every host assessed at least every N days)', () => {
  const period = { everyDays: 14, from: '2026-12-01T00:00:00.000Z', to: '2027-01-31T00:00:00.000Z' };
  const weekly = Array.from({ length: 12 }, (_, i) => addDays('2026-11-28T06:00:00.000Z', i * 7));

  it('is met by a host assessed weekly across the year end, with its assessments as evidence', () => {
    const [r] = cadenceReport({ ...period, hosts: [{ id: 'web-1', assessments: weekly }] });
    expect(r!.met).toBe(true);
    expect(r!.before).toBe('2026-11-28T06:00:00.000Z');
    expect(r!.assessments).toHaveLength(9);
    expect(r!.assessments[4]).toBe('2027-01-02T06:00:00.000Z');
    expect(r!.longestGapDays).toBe(7);
  });

  it('is missed by a host with a 15-day gap over new year, and names the gap', () => {
    const times = ['2026-11-30T00:00:00.000Z', '2026-12-14T00:00:00.000Z', '2026-12-24T00:00:00.000Z', '2027-01-08T00:00:00.000Z', '2027-01-20T00:00:00.000Z', '2027-01-30T00:00:00.000Z'];
    const [r] = cadenceReport({ ...period, hosts: [{ id: 'db-1', assessments: times }] });
    expect(r!.met).toBe(false);
    expect(r!.gaps).toEqual([{ from: '2026-12-24T00:00:00.000Z', to: '2027-01-08T00:00:00.000Z', days: 15 }]);
  });

  it('counts exactly N days as in time, and the stretch to the period end as a gap', () => {
    const [exact, late] = cadenceReport({
      ...period,
      hosts: [
        { id: 'a', assessments: Array.from({ length: 6 }, (_, i) => addDays('2026-12-01T00:00:00.000Z', i * 14)) },
        { id: 'b', assessments: ['2026-12-01T00:00:00.000Z', '2026-12-15T00:00:00.000Z'] },
      ],
    });
    expect(exact!.met).toBe(true);
    expect(late!.met).toBe(false);
    expect(late!.gaps).toEqual([{ from: '2026-12-15T00:00:00.000Z', to: '2027-01-31T00:00:00.000Z', days: 47 }]);
  });

  it('starts the clock of a host enrolled during the period at its enrollment, and fails a host never assessed', () => {
    const [fresh, never] = cadenceReport({
      ...period,
      hosts: [
        { id: 'new', since: '2027-01-20T00:00:00.000Z', assessments: ['2027-01-21T00:00:00.000Z'] },
        { id: 'ghost', assessments: [] },
      ],
    });
    expect(fresh!.met).toBe(true);
    expect(never!.met).toBe(false);
    expect(never!.gaps).toEqual([{ from: period.from, to: period.to, days: 61 }]);
  });
});
