import { describe, expect, it } from 'vitest';
import { cronJob, cronPattern, scheduleProblem } from '../../../agent/daemon/cron-expression.js';

/** The next `n` runs after `from`, as local "YYYY-MM-DD HH:MM:SS" (the schedule is in local time). */
function next(expression: string, from: Date, n = 3): string[] {
  const pad = (v: number) => String(v).padStart(2, '0');
  const local = (d: Date) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  return cronJob(expression).nextRuns(n, from).map(local);
}

// Monday 5 January 2026, 10:30 local time.
const MONDAY = new Date(2026, 0, 5, 10, 30, 0);

describe('scan schedule expressions', () => {
  it('accepts what node-cron accepted: 5 or 6 fields, names, ranges, steps, lists, L, W, #, nicknames', () => {
    const good = [
      '0 * * * *', '*/15 * * * * *', '0 3 * * MON', '0 3 * * mon-fri', '0 0 1 JAN *', '0 0 1 jan,jul *', '0 9-17/2 * * 1-5',
      '5,10,15 * * * *', '0 0 * * 7', '0 0 * * 0-7', '1-5/2 * * * *', '0 0 * * MON-FRI/2', '@hourly', '@daily', '@weekly',
      '0 0 L * *', '0 0 15W * *', '0 0 LW * *', '0 0 * * 5L', '0 0 * * FRIL', '0 0 * * 5#2', '0 0 ? * MON', '0 0 1 * ?',
      '0 0 29 2 *', '0  *  * * *', ' 0 * * * * ', '0 22-2 * * *', '0 0 * * FRI-MON', '0 0 * NOV-FEB *', '0 0 * * monday', '0 0 1 january *',
    ];
    for (const e of good) expect([e, scheduleProblem(e)]).toEqual([e, undefined]);
  });

  it('refuses what is not a schedule, saying why and what to write', () => {
    const bad = {
      'not cron': 'exactly five, six, or seven',
      '': 'empty',
      '* * * *': 'exactly five',
      '0 0 0 1 1 * 2030': "'5-or-6-parts' requires exactly 5 or 6 parts",
      '60 * * * *': 'minute',
      '0 24 * * *': 'hour',
      '0 0 * 13 *': 'month',
      '0 0 * * 8': 'dayOfWeek',
      '5/10 * * * *': 'stepping',
      '*/0 * * * *': 'stepping',
      '0 0 30 2 *': 'never matches',
      '0 0 31 4 *': 'never matches',
      '0 0 L-2 * *': 'L has to be a value of its own',
      '2030-01-01T00:00:00': 'characters a cron expression cannot have',
      '@reboot': 'not supported',
    };
    for (const [e, why] of Object.entries(bad)) {
      const problem = scheduleProblem(e);
      expect(problem, e).toContain(why);
      expect(problem).toContain('write 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds first');
    }
  });

  it('rewrites ranges that wrap and full names into what croner reads, with node-cron meaning', () => {
    expect(cronPattern('0 22-2 * * *')).toBe('0 22,23,0,1,2 * * *');
    expect(cronPattern('0 22-2/3 * * *')).toBe('0 22,1 * * *');
    expect(cronPattern('0 0 * * FRI-MON')).toBe('0 0 * * 5,6,0,1');
    expect(cronPattern('0 0 * * 7-2')).toBe('0 0 * * 0,1,2');
    expect(cronPattern('0 0 * NOV-FEB *')).toBe('0 0 * 11,12,1,2 *');
    expect(cronPattern('50-10 * * * * *')).toBe('50,51,52,53,54,55,56,57,58,59,0,1,2,3,4,5,6,7,8,9,10 * * * * *');
    expect(cronPattern('0 0 1 january monday')).toBe('0 0 1 jan mon');
    expect(cronPattern('0 0 * * MON-FRI')).toBe('0 0 * * MON-FRI');
    expect(cronPattern('@hourly')).toBe('@hourly');
  });

  it('reads times in local time', () => {
    expect(next('0 * * * *', MONDAY)).toEqual(['2026-01-05 11:00:00', '2026-01-05 12:00:00', '2026-01-05 13:00:00']);
    expect(next('*/15 * * * * *', MONDAY)).toEqual(['2026-01-05 10:30:15', '2026-01-05 10:30:30', '2026-01-05 10:30:45']);
    expect(next('0 3 * * MON', MONDAY, 2)).toEqual(['2026-01-12 03:00:00', '2026-01-19 03:00:00']);
    expect(next('0 23-1 * * *', MONDAY)).toEqual(['2026-01-05 23:00:00', '2026-01-06 00:00:00', '2026-01-06 01:00:00']);
  });

  it('combines day-of-month and day-of-week with OR, as Vixie cron; + before the weekday makes it AND', () => {
    // The 1st of the month OR any Monday (node-cron 4 required both).
    expect(next('0 0 1 * MON', MONDAY, 4)).toEqual(['2026-01-12 00:00:00', '2026-01-19 00:00:00', '2026-01-26 00:00:00', '2026-02-01 00:00:00']);
    // A restricted field and a * one: only the restricted one counts.
    expect(next('0 0 * * MON', MONDAY, 2)).toEqual(['2026-01-12 00:00:00', '2026-01-19 00:00:00']);
    expect(next('0 0 13 * *', MONDAY, 2)).toEqual(['2026-01-13 00:00:00', '2026-02-13 00:00:00']);
    // The 1st only when it is a Monday (June 2026, February 2027).
    expect(next('0 0 1 * +MON', MONDAY, 2)).toEqual(['2026-06-01 00:00:00', '2027-02-01 00:00:00']);
  });
});
