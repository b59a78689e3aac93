/**
 * @module The collector's views rebuilt at a past instant. The evidence model as of T (the store's
 * agency evidence with `asOf`, itself rebuilt from the status history, the findings open then and
 * the waivers that counted then) is turned into the same shapes the live views return: posture,
 * host list, findings and one host's results. Pure: no I/O, so the same code serves both stores.
 * Live and as-of views agree by construction on what they share (test/server/as-of/*).
 */
import { SEVERITY_WEIGHT, type CheckStatus } from '../../shared/result.js';
import type { Severity } from '../../shared/rule-pack.js';
import type { EvidenceModel, EvidenceResult } from '../../shared/evidence/model.js';
import type { DirectiveCompliance, FailingRule, Finding, FindingsFilter, HostCounts, Posture } from '../store/store.js';

const DAY_MS = 86_400_000;
const FAILING_RULES_LIMIT = 100;
const FINDINGS_PREVIEW = 20;

export type PostureAsOf = Posture & { counts: Posture['counts'] & { waived: number } };

/** A finding as it stood at T: no row id (it is rebuilt, not read), and `waived` when a waiver counted then. */
export type FindingAsOf = Omit<Finding, 'id'> & { id: null; waived: boolean };

export interface HostAsOf {
  agentId: string;
  hostname: string;
  os: string | null;
  /** The latest collection time among the host's results at T. */
  lastScanAt: string | null;
  counts: HostCounts & { waived: number };
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

const isWaivedFailure = (r: EvidenceResult): boolean => r.status === 'fail' && r.waiver !== undefined;

/**
 * The open finding of a result at T: every failure opens one, and it stays open through an error
 * (only a pass or not-applicable resolves it); waived ones are marked.
 */
function findingOf(r: EvidenceResult, hostname: string, at: string): FindingAsOf | null {
  if ((r.status !== 'fail' && r.status !== 'error') || r.firstSeenAt === undefined) return null;
  const dueAt = r.dueAt ?? null;
  return {
    id: null,
    agentId: r.hostId,
    hostname,
    ruleId: r.ruleId,
    title: r.title,
    severity: r.severity,
    directive: r.clockDirective ?? null,
    firstSeenAt: r.firstSeenAt,
    dueAt,
    overdue: dueAt !== null && dueAt < at,
    resolvedAt: null,
    tier: r.bod2604?.tier ?? null,
    forensicTriage: r.bod2604?.forensicTriage ?? false,
    waived: isWaivedFailure(r),
  };
}

function byDue(a: FindingAsOf, b: FindingAsOf): number {
  const da = a.dueAt ?? '\uffff';
  const db = b.dueAt ?? '\uffff';
  return da < db ? -1 : da > db ? 1 : a.hostname < b.hostname ? -1 : a.hostname > b.hostname ? 1 : a.ruleId < b.ruleId ? -1 : a.ruleId > b.ruleId ? 1 : 0;
}

/** Every open finding of the models at T, by due date (no due date last). */
export function findingsAsOf(models: readonly EvidenceModel[]): FindingAsOf[] {
  const out: FindingAsOf[] = [];
  for (const m of models) {
    const at = m.assessment.generatedAt;
    const hostnames = new Map(m.hosts.map((h) => [h.id, h.hostname]));
    for (const r of m.results) {
      const f = findingOf(r, hostnames.get(r.hostId) ?? r.hostId, at);
      if (f) out.push(f);
    }
  }
  return out.sort(byDue);
}

/** The findings list's filters, applied to findings rebuilt at T (`resolved` is always empty at T: only open ones are rebuilt). */
export function filterFindingsAsOf(findings: readonly FindingAsOf[], filter: Omit<FindingsFilter, 'agencyIds'>, directivesOf: (ruleId: string) => readonly string[]): FindingAsOf[] {
  const q = filter.q?.toLowerCase();
  return findings.filter(
    (f) =>
      (filter.state === 'open' || filter.state === 'all' || (filter.state === 'overdue' && f.overdue)) &&
      (filter.severity === undefined || f.severity === filter.severity) &&
      (filter.directive === undefined || directivesOf(f.ruleId).includes(filter.directive)) &&
      (q === undefined || f.hostname.toLowerCase().includes(q) || f.ruleId.toLowerCase().includes(q)),
  );
}

/** Each host of the models with its counts at T (waived failures counted apart), by hostname. */
export function hostsAsOf(models: readonly EvidenceModel[]): HostAsOf[] {
  const hosts: HostAsOf[] = [];
  for (const m of models) {
    const byHost = new Map<string, HostAsOf>();
    for (const h of m.hosts) {
      const entry: HostAsOf = {
        agentId: h.id,
        hostname: h.hostname,
        os: h.os.id === 'unknown' ? null : [h.os.id, h.os.versionId].filter(Boolean).join(' '),
        lastScanAt: null,
        counts: { pass: 0, fail: 0, error: 0, notApplicable: 0, waived: 0 },
      };
      byHost.set(h.id, entry);
      hosts.push(entry);
    }
    for (const r of m.results) {
      const h = byHost.get(r.hostId);
      if (!h) continue;
      if (isWaivedFailure(r)) h.counts.waived += 1;
      else h.counts[countKey(r.status)] += 1;
      if (h.lastScanAt === null || r.collectedAt > h.lastScanAt) h.lastScanAt = r.collectedAt;
    }
  }
  return hosts.sort((a, b) => (a.hostname < b.hostname ? -1 : a.hostname > b.hostname ? 1 : a.agentId < b.agentId ? -1 : 1));
}

function countKey(s: CheckStatus): keyof HostCounts {
  return s === 'not-applicable' ? 'notApplicable' : s;
}

/**
 * The posture of an agency (rolled up over the models given: the agency and its components) at T,
 * with the live posture's rules: a waived failure is neither passing nor failing (it leaves the score,
 * the per-directive figures, the failing-rule counts and the open, overdue and due-soon findings).
 */
export function postureAsOf(
  models: readonly EvidenceModel[],
  agency: Posture['agency'],
  at: string,
  dueSoonDays: number,
  revokedHosts: number,
): PostureAsOf {
  const counts = { total: 0, pass: 0, fail: 0, error: 0, notApplicable: 0, waived: 0 };
  const failBySeverity: Record<Severity, number> = { critical: 0, high: 0, medium: 0, low: 0 };
  const byDirective = new Map<string, DirectiveCompliance & { ruleIds: Set<string> }>();
  const byRule = new Map<string, FailingRule>();
  let hostTotal = 0;
  for (const m of models) {
    hostTotal += m.hosts.length;
    for (const r of m.results) {
      const waived = isWaivedFailure(r);
      if (waived) counts.waived += 1;
      else counts[countKey(r.status)] += 1;
      const directives = r.references.directives;
      const applicable = r.status !== 'not-applicable' && !waived;
      for (const d of directives) {
        let dc = byDirective.get(d);
        if (!dc) {
          dc = { directive: d, rules: 0, pass: 0, fail: 0, error: 0, percent: null, ruleIds: new Set() };
          byDirective.set(d, dc);
        }
        dc.ruleIds.add(r.ruleId);
        if (applicable) dc[r.status as 'pass' | 'fail' | 'error'] += 1;
      }
      if (!applicable) continue;
      if (r.status === 'fail') failBySeverity[r.severity] += 1;
      let fr = byRule.get(r.ruleId);
      if (!fr) {
        fr = { ruleId: r.ruleId, title: r.title, severity: r.severity, failingHosts: 0, errorHosts: 0, passingHosts: 0, directives: [...directives] };
        byRule.set(r.ruleId, fr);
      }
      if (r.status === 'fail') fr.failingHosts += 1;
      else if (r.status === 'error') fr.errorHosts += 1;
      else fr.passingHosts += 1;
    }
  }
  counts.total = counts.pass + counts.fail + counts.error + counts.notApplicable + counts.waived;
  const directives: DirectiveCompliance[] = [...byDirective.values()]
    .map(({ ruleIds, ...dc }) => {
      const applicable = dc.pass + dc.fail + dc.error;
      return { ...dc, rules: ruleIds.size, percent: applicable === 0 ? null : round1((100 * dc.pass) / applicable) };
    })
    .sort((a, b) => (a.directive < b.directive ? -1 : 1));
  const failingRules = [...byRule.values()]
    .filter((r) => r.failingHosts > 0)
    .sort((a, b) => SEVERITY_WEIGHT[b.severity] - SEVERITY_WEIGHT[a.severity] || b.failingHosts - a.failingHosts || (a.ruleId < b.ruleId ? -1 : 1))
    .slice(0, FAILING_RULES_LIMIT);

  const open = findingsAsOf(models).filter((f) => !f.waived);
  const soon = new Date(Date.parse(at) + dueSoonDays * DAY_MS).toISOString();
  const overdue = open.filter((f) => f.dueAt !== null && f.dueAt < at);
  const dueSoon = open.filter((f) => f.dueAt !== null && f.dueAt >= at && f.dueAt < soon);
  const asFinding = ({ waived: _w, ...f }: FindingAsOf) => f as unknown as Finding;
  const { won, possible } = scoreSums(models);
  return {
    agency,
    asOf: at,
    hosts: { total: hostTotal, revoked: revokedHosts },
    score: possible === 0 ? null : round1((100 * won) / possible),
    counts,
    failBySeverity,
    directives,
    failingRules,
    findings: {
      open: open.length,
      overdue: overdue.length,
      dueSoon: dueSoon.length,
      dueSoonDays,
      overdueList: overdue.slice(0, FINDINGS_PREVIEW).map(asFinding),
      dueSoonList: dueSoon.slice(0, FINDINGS_PREVIEW).map(asFinding),
    },
  };
}

/** The severity-weighted sums the score is built on: passing and applicable verdicts (a waived failure is neither). */
export function scoreSums(models: readonly EvidenceModel[]): { won: number; possible: number } {
  let won = 0;
  let possible = 0;
  for (const m of models) {
    for (const r of m.results) {
      if (r.status === 'not-applicable' || isWaivedFailure(r)) continue;
      const w = SEVERITY_WEIGHT[r.severity] ?? 1;
      possible += w;
      if (r.status === 'pass') won += w;
    }
  }
  return { won, possible };
}

/** One agency's own figures at T, as the federal overview rolls them up (online is live-only: null). */
export function figuresAsOf(agencyId: number, model: EvidenceModel): { agencyId: number; won: number; possible: number; hosts: number; online: null; openFindings: number; overdueFindings: number } {
  const at = model.assessment.generatedAt;
  const open = findingsAsOf([model]).filter((f) => !f.waived);
  return { agencyId, ...scoreSums([model]), hosts: model.hosts.length, online: null, openFindings: open.length, overdueFindings: open.filter((f) => f.dueAt !== null && f.dueAt < at).length };
}
