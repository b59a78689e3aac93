/**
 * @module Directive clocks and cadences as pure functions of instants: a finding's due date (N calendar
 * days after it was first seen, in UTC, across month and year ends and leap days), and whether every host
 * was assessed often enough over a period (for example BOD 23-01: every host at least every 14 days).
 */

const DAY_MS = 86_400_000;

/** The instant `days` calendar days after `iso`, as an ISO string in UTC (days are 24 h: no time zone, no DST). */
export function addDays(iso: string, days: number): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) throw new RangeError(`not a date-time: ${iso}`);
  return new Date(t + days * DAY_MS).toISOString();
}

/** When a failure first seen at `firstSeenAt` must be fixed under a clock of `days` days. */
export function dueAt(firstSeenAt: string, days: number): string {
  if (!Number.isInteger(days) || days <= 0) throw new RangeError(`a clock is a positive whole number of days, not ${days}`);
  return addDays(firstSeenAt, days);
}

/** Whole days from `from` to `to` (negative when `to` is earlier), rounded down. */
export function daysBetween(from: string, to: string): number {
  return Math.floor((Date.parse(to) - Date.parse(from)) / DAY_MS);
}

export interface CadenceGap {
  /** The last assessment before the gap (or the start of the obligation when there was none). */
  from: string;
  /** The next assessment (or the end of the period when there was none). */
  to: string;
  /** Length of the gap in days (fractional). */
  days: number;
}

export interface HostCadence {
  hostId: string;
  /** True when no gap in the period is longer than the cadence. */
  met: boolean;
  /** Assessments inside the period, oldest first: the evidence. */
  assessments: string[];
  /** The last assessment at or before the period start, if any (it covers the start of the period). */
  before?: string;
  /** Gaps longer than the cadence. */
  gaps: CadenceGap[];
  /** The longest stretch without an assessment, in days (fractional). */
  longestGapDays: number;
}

export interface CadenceInput {
  /** Days allowed between two assessments of a host. */
  everyDays: number;
  /** The period judged: [from, to]. */
  from: string;
  to: string;
  hosts: ReadonlyArray<{
    id: string;
    /** When the obligation started for this host (e.g. enrollment); default: the period start. */
    since?: string;
    /** When it ended (e.g. the host was revoked); default: the period end. */
    until?: string;
    /** Every assessment of the host, any order, any time (outside the period too). */
    assessments: readonly string[];
  }>;
}

/**
 * Per host, whether it was assessed at least every `everyDays` days during [from, to]. The clock for a
 * host runs from the later of the period start and its `since` to the earlier of the period end and its `until`; the stretch from there to the first
 * assessment counts as a gap unless an assessment at or before that start covers it; so does the stretch
 * from the last assessment to the period end. A host never assessed has one gap over the whole period.
 */
export function cadenceReport(input: CadenceInput): HostCadence[] {
  const limitMs = input.everyDays * DAY_MS;
  const from = Date.parse(input.from);
  const to = Date.parse(input.to);
  if (!(to >= from)) throw new RangeError('the period must end at or after its start');
  return input.hosts.map((h) => {
    const start = Math.max(from, h.since === undefined ? from : Date.parse(h.since));
    const end = Math.min(to, h.until === undefined ? to : Date.parse(h.until));
    const all = h.assessments.map((a) => Date.parse(a)).filter((t) => !Number.isNaN(t)).sort((a, b) => a - b);
    const before = all.filter((t) => t <= start).pop();
    const inside = all.filter((t) => t > start && t <= end);
    const points = [before ?? start, ...inside, end];
    const gaps: CadenceGap[] = [];
    let longest = 0;
    if (start <= end) {
      for (let i = 1; i < points.length; i++) {
        const len = points[i]! - points[i - 1]!;
        longest = Math.max(longest, len);
        if (len > limitMs) gaps.push({ from: new Date(points[i - 1]!).toISOString(), to: new Date(points[i]!).toISOString(), days: Math.round((len / DAY_MS) * 100) / 100 });
      }
    }
    return {
      hostId: h.id,
      met: gaps.length === 0,
      assessments: inside.map((t) => new Date(t).toISOString()),
      ...(before !== undefined ? { before: new Date(before).toISOString() } : {}),
      gaps,
      longestGapDays: Math.round((longest / DAY_MS) * 100) / 100,
    };
  });
}
