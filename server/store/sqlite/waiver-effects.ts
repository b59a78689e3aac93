/**
 * @module How active waivers change the collector's views: a failure covered by a waiver that counts
 * now is waived, not failed (posture counts, score, per-directive compliance, failing rules, due and
 * overdue findings), and findings carry `waived: true`. Applied on read, so when a waiver expires
 * the failure counts as failed again without anything being rewritten.
 */
import type { Database } from 'better-sqlite3';
import { SEVERITY_WEIGHT } from '../../../shared/result.js';
import type { Severity } from '../../../shared/rule-pack.js';
import type { Finding, Paged, Posture } from '../store.js';
import { parseWaiverKey, waiverKey } from '../waivers.js';
import { SqliteWaivers } from './waivers.js';

export interface WaivedFailure {
  agentId: string;
  ruleId: string;
  severity: Severity;
  directives: string[];
  waiverId: string;
  /** Whether an open finding exists for it, and its due date if it has one. */
  openFinding: boolean;
  dueAt: string | null;
}

export interface WaiverEffects {
  waived: WaivedFailure[];
  /** The severity-weighted sums the posture score is built on (before waivers). */
  score: { won: number; possible: number };
}

/** Every currently failing (host, rule) of the agency that an active waiver covers at `now`, and the score's sums. */
export async function waiverEffects(db: Database, agencyId: number, now: string): Promise<WaiverEffects> {
  const sums = db
    .prepare('SELECT r.severity, SUM(c.n_pass) AS pass, SUM(c.n_pass + c.n_fail + c.n_error) AS applicable FROM agency_rule_counts c JOIN rules r ON r.key = c.rule_key WHERE c.agency_id = ? GROUP BY r.severity')
    .all(agencyId) as Array<{ severity: Severity; pass: number; applicable: number }>;
  const score = { won: 0, possible: 0 };
  for (const s of sums) {
    const w = SEVERITY_WEIGHT[s.severity] ?? 1;
    score.won += w * s.pass;
    score.possible += w * s.applicable;
  }
  const waivers = await new SqliteWaivers(db).waiversAt(agencyId, now);
  if (waivers.size === 0) return { waived: [], score };
  // Point lookups per waived (host, rule) on the results primary key: never a scan of the agency's results.
  const lookup = db.prepare(
    `SELECT ru.severity, ru.directives, f.id AS findingId, f.due_at AS dueAt
       FROM agents a JOIN rules ru ON ru.id = ? JOIN results r ON r.agent_key = a.key AND r.rule_key = ru.key
       LEFT JOIN findings f ON f.agent_key = r.agent_key AND f.rule_key = r.rule_key AND f.resolved_at IS NULL
      WHERE a.id = ? AND a.agency_id = ? AND a.revoked_at IS NULL AND r.status = 'fail'`,
  );
  const waived: WaivedFailure[] = [];
  for (const [key, w] of waivers) {
    const { agentId, ruleId } = parseWaiverKey(key);
    const r = lookup.get(ruleId, agentId, agencyId) as { severity: Severity; directives: string; findingId: number | null; dueAt: string | null } | undefined;
    if (r) {
      waived.push({ agentId, ruleId, severity: r.severity, directives: JSON.parse(r.directives) as string[], waiverId: w.id, openFinding: r.findingId !== null, dueAt: r.dueAt });
    }
  }
  return { waived, score };
}

export type PostureWithWaivers = Posture & { counts: Posture['counts'] & { waived: number } };

/**
 * The posture with waived failures moved out of `fail`: they count in `counts.waived`, leave the score
 * and the per-directive percentages (neither passing nor failing), leave the failing-rule host counts,
 * and leave the open, overdue and due-soon findings.
 */
export function applyWaiversToPosture(posture: Posture, effects: WaiverEffects): PostureWithWaivers {
  const p: PostureWithWaivers = structuredClone({ ...posture, counts: { ...posture.counts, waived: 0 } });
  const { waived } = effects;
  if (waived.length === 0) return p;
  const keys = new Set(waived.map((w) => waiverKey(w.agentId, w.ruleId)));
  const perRule = new Map<string, number>();
  for (const w of waived) {
    p.counts.fail -= 1;
    p.counts.waived += 1;
    p.failBySeverity[w.severity] -= 1;
    perRule.set(w.ruleId, (perRule.get(w.ruleId) ?? 0) + 1);
    for (const d of w.directives) {
      const dc = p.directives.find((x) => x.directive === d);
      if (dc) dc.fail -= 1;
    }
  }
  for (const dc of p.directives) {
    const applicable = dc.pass + dc.fail + dc.error;
    dc.percent = applicable === 0 ? null : Math.round((1000 * dc.pass) / applicable) / 10;
  }
  p.failingRules = p.failingRules
    .map((r) => ({ ...r, failingHosts: r.failingHosts - (perRule.get(r.ruleId) ?? 0) }))
    .filter((r) => r.failingHosts > 0);
  // A waived failure is neither passing nor failing: it leaves the score's denominator.
  const possible = effects.score.possible - waived.reduce((sum, w) => sum + (SEVERITY_WEIGHT[w.severity] ?? 1), 0);
  p.score = possible <= 0 ? null : Math.round((1000 * effects.score.won) / possible) / 10;
  const isWaived = (f: Finding) => keys.has(waiverKey(f.agentId, f.ruleId));
  const nowMs = Date.parse(posture.asOf);
  const soonMs = nowMs + posture.findings.dueSoonDays * 86_400_000;
  const withFinding = waived.filter((w) => w.openFinding);
  p.findings.overdueList = p.findings.overdueList.filter((f) => !isWaived(f));
  p.findings.dueSoonList = p.findings.dueSoonList.filter((f) => !isWaived(f));
  p.findings.open -= withFinding.length;
  p.findings.overdue -= waived.filter((w) => w.dueAt !== null && Date.parse(w.dueAt) < nowMs).length;
  p.findings.dueSoon -= waived.filter((w) => w.dueAt !== null && Date.parse(w.dueAt) >= nowMs && Date.parse(w.dueAt) < soonMs).length;
  return p;
}

/** Mark the findings an active waiver covers (`waived: true`); their status and due date are unchanged. */
export function markWaivedFindings(page: Paged<Finding>, waived: readonly WaivedFailure[]): Paged<Finding & { waived: boolean }> {
  const keys = new Set(waived.map((w) => waiverKey(w.agentId, w.ruleId)));
  return { ...page, items: page.items.map((f) => ({ ...f, waived: f.resolvedAt === null && keys.has(waiverKey(f.agentId, f.ruleId)) })) };
}
