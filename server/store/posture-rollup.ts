/**
 * @module Posture from per-rule counters, for both stores: the severity-weighted score, verdict
 * counts, failures by severity, per-directive compliance and the failing-rule list. Each dialect
 * reads the counters and the open findings with its own SQL (store/sqlite/posture-queries.ts and
 * dashboard-queries.ts, store/postgres/pg-dashboard-queries.ts) and hands the rows here.
 */
import { SEVERITY_WEIGHT } from '../../shared/result.js';
import type { Severity } from '../../shared/rule-pack.js';
import type { AgencyFigures, DirectiveCompliance, FailingRule, Posture } from './store.js';

const DAY_MS = 86_400_000;
const FAILING_RULES_LIMIT = 100;
/** How many overdue / due-soon findings a posture lists. */
export const FINDINGS_PREVIEW = 20;

/** One rule's verdict counters (summed over the agencies asked for), with the rule's own columns. */
export interface CounterRow {
  id: string;
  title: string;
  severity: Severity;
  /** JSON array of directive ids. */
  directives: string;
  n_pass: number;
  n_fail: number;
  n_error: number;
  n_na: number;
}

/** The agency row a posture is about. */
export interface PostureAgencyRow {
  id: number;
  name: string;
  parent_name: string | null;
}

export function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

/** End of the due-soon window that starts at `now`. */
export function dueSoonEnd(now: string, dueSoonDays: number): string {
  return new Date(Date.parse(now) + dueSoonDays * DAY_MS).toISOString();
}

/** Assemble a Posture from the agency, its host counts, its rule counters and its open findings. */
export function postureOf(
  agency: PostureAgencyRow,
  hosts: { total: number; revoked: number },
  rows: CounterRow[],
  now: string,
  findings: Posture['findings'],
): Posture {
  let won = 0;
  let possible = 0;
  const counts = { total: 0, pass: 0, fail: 0, error: 0, notApplicable: 0 };
  const failBySeverity: Record<Severity, number> = { critical: 0, high: 0, medium: 0, low: 0 };
  const byDirective = new Map<string, DirectiveCompliance>();
  const failing: FailingRule[] = [];
  for (const row of rows) {
    const w = SEVERITY_WEIGHT[row.severity] ?? 1;
    won += w * row.n_pass;
    possible += w * (row.n_pass + row.n_fail + row.n_error);
    counts.pass += row.n_pass;
    counts.fail += row.n_fail;
    counts.error += row.n_error;
    counts.notApplicable += row.n_na;
    failBySeverity[row.severity] += row.n_fail;
    const directives = JSON.parse(row.directives) as string[];
    for (const d of directives) {
      let dc = byDirective.get(d);
      if (!dc) {
        dc = { directive: d, rules: 0, pass: 0, fail: 0, error: 0, percent: null };
        byDirective.set(d, dc);
      }
      dc.rules += 1;
      dc.pass += row.n_pass;
      dc.fail += row.n_fail;
      dc.error += row.n_error;
    }
    if (row.n_fail > 0) {
      failing.push({ ruleId: row.id, title: row.title, severity: row.severity, failingHosts: row.n_fail, errorHosts: row.n_error, passingHosts: row.n_pass, directives });
    }
  }
  counts.total = counts.pass + counts.fail + counts.error + counts.notApplicable;
  for (const dc of byDirective.values()) {
    const applicable = dc.pass + dc.fail + dc.error;
    dc.percent = applicable === 0 ? null : round1((100 * dc.pass) / applicable);
  }
  failing.sort((a, b) => SEVERITY_WEIGHT[b.severity] - SEVERITY_WEIGHT[a.severity] || b.failingHosts - a.failingHosts || (a.ruleId < b.ruleId ? -1 : 1));
  return {
    agency: { id: agency.id, name: agency.name, parentName: agency.parent_name },
    asOf: now,
    hosts: { total: hosts.total - hosts.revoked, revoked: hosts.revoked },
    score: possible === 0 ? null : round1((100 * won) / possible),
    counts,
    failBySeverity,
    directives: [...byDirective.values()].sort((a, b) => (a.directive < b.directive ? -1 : 1)),
    failingRules: failing.slice(0, FAILING_RULES_LIMIT),
    findings,
  };
}

/** Each agency's own severity-weighted sums (won of possible), as the overview and the daily snapshot use them. */
export interface WeightedSums {
  agencyId: number;
  won: number;
  possible: number;
}

/**
 * Per-agency overview figures from each dialect's grouped rows: every agency in `agencyIds` gets a
 * row (zeros where it has no hosts, counters or findings), in that order.
 */
export function agencyFiguresOf(
  agencyIds: number[],
  sums: WeightedSums[],
  hosts: Array<{ agencyId: number; hosts: number; online: number }>,
  findings: Array<{ agencyId: number; open: number; overdue: number }>,
): AgencyFigures[] {
  const out = new Map<number, AgencyFigures>();
  const get = (id: number): AgencyFigures => {
    let f = out.get(id);
    if (!f) {
      f = { agencyId: id, won: 0, possible: 0, hosts: 0, online: 0, openFindings: 0, overdueFindings: 0 };
      out.set(id, f);
    }
    return f;
  };
  for (const id of agencyIds) get(id);
  for (const s of sums) Object.assign(get(s.agencyId), { won: s.won, possible: s.possible });
  for (const h of hosts) Object.assign(get(h.agencyId), { hosts: h.hosts, online: h.online });
  for (const f of findings) Object.assign(get(f.agencyId), { openFindings: f.open, overdueFindings: f.overdue });
  return [...out.values()];
}
