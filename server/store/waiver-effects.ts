/**
 * @module How active waivers change the collector's views, on either store (through a SqlReader):
 * a failure covered by a waiver that counts now is waived, not failed (posture counts, score,
 * per-directive compliance, failing rules, due and overdue findings, the overview's figures), and
 * findings carry `waived: true`. Applied on read, so when a waiver expires the failure counts as
 * failed again without anything being rewritten.
 */
import { SEVERITY_WEIGHT } from '../../shared/result.js';
import type { Severity } from '../../shared/rule-pack.js';
import { chunked, placeholders, type SqlReader } from './sql-reader.js';
import type { AgencyFigures, Finding, Paged, Posture } from './store.js';
import { parseWaiverKey, waiverKey } from './waivers.js';
import { waiversAsOf } from './waivers-as-of.js';

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

/** Every currently failing (host, rule) of the agency that a waiver counting at `now` covers. */
export async function waivedFailures(reader: SqlReader, agencyId: number, now: string): Promise<WaivedFailure[]> {
  const waivers = await waiversAsOf(reader, agencyId, now);
  if (waivers.size === 0) return [];
  const byRule = new Map<string, Map<string, string>>();
  for (const [key, w] of waivers) {
    const { agentId, ruleId } = parseWaiverKey(key);
    if (!byRule.has(ruleId)) byRule.set(ruleId, new Map());
    byRule.get(ruleId)!.set(agentId, w.id);
  }
  // Per waived rule, lookups of its waived hosts by agent id and the results primary key: never a scan of the agency's results.
  const waived: WaivedFailure[] = [];
  for (const [ruleId, agents] of byRule) {
    for (const part of chunked([...agents.keys()])) {
      const rows = await reader.all<{ agent_id: string; severity: Severity; directives: string; finding_id: number | null; due_at: string | null }>(
        `SELECT a.id AS agent_id, ru.severity, ru.directives, f.id AS finding_id, f.due_at
           FROM agents a JOIN rules ru ON ru.id = ? JOIN results r ON r.agent_key = a.key AND r.rule_key = ru.key
           LEFT JOIN findings f ON f.agent_key = r.agent_key AND f.rule_key = r.rule_key AND f.resolved_at IS NULL
          WHERE a.id IN (${placeholders(part.length)}) AND a.agency_id = ? AND a.revoked_at IS NULL AND r.status = 'fail'`,
        [ruleId, ...part, agencyId],
      );
      for (const r of rows) {
        waived.push({ agentId: r.agent_id, ruleId, severity: r.severity, directives: JSON.parse(r.directives) as string[], waiverId: agents.get(r.agent_id)!, openFinding: r.finding_id !== null, dueAt: r.due_at });
      }
    }
  }
  return waived;
}

/** The severity-weighted sums of the agencies' verdicts from the maintained counters (before waivers). */
export async function scoreSums(reader: SqlReader, agencyIds: readonly number[]): Promise<WaiverEffects['score']> {
  const score = { won: 0, possible: 0 };
  for (const part of chunked(agencyIds)) {
    const sums = await reader.all<{ severity: Severity; n_pass: number; n_applicable: number }>(
      `SELECT r.severity, SUM(c.n_pass) AS n_pass, SUM(c.n_pass + c.n_fail + c.n_error) AS n_applicable
         FROM agency_rule_counts c JOIN rules r ON r.key = c.rule_key WHERE c.agency_id IN (${placeholders(part.length)}) GROUP BY r.severity`,
      part,
    );
    for (const s of sums) {
      const w = SEVERITY_WEIGHT[s.severity] ?? 1;
      score.won += w * s.n_pass;
      score.possible += w * s.n_applicable;
    }
  }
  return score;
}

/** The posture of the agencies (one, or one rolled up with its components) with the waivers that count at `now` applied. */
export async function postureWithWaivers(reader: SqlReader, posture: Posture, agencyIds: readonly number[], now: string): Promise<PostureWithWaivers> {
  const waived: WaivedFailure[] = [];
  for (const id of agencyIds) waived.push(...(await waivedFailures(reader, id, now)));
  if (waived.length === 0) return applyWaiversToPosture(posture, { waived, score: { won: 0, possible: 0 } });
  return applyWaiversToPosture(posture, { waived, score: await scoreSums(reader, agencyIds) });
}

/** A page of findings of the agencies, each marked `waived` when a waiver counting at `now` covers it. */
export async function findingsWithWaivers(reader: SqlReader, page: Paged<Finding>, agencyIds: readonly number[], now: string): Promise<Paged<Finding & { waived: boolean }>> {
  const waived: WaivedFailure[] = [];
  // Only open findings can be waived: a page of resolved ones needs no lookup.
  if (page.items.some((f) => f.resolvedAt === null)) for (const id of agencyIds) waived.push(...(await waivedFailures(reader, id, now)));
  return markWaivedFindings(page, waived);
}

/** Per-agency figures with the waivers that count at `now` applied: a waived failure leaves the score's denominator and the open/overdue findings. */
export async function figuresWithWaivers(reader: SqlReader, figures: AgencyFigures[], now: string): Promise<AgencyFigures[]> {
  // The overview covers every agency: look only at those that ever had a waiver (one read, not one per agency).
  const waiving = new Set((await reader.all<{ agency_id: number }>('SELECT DISTINCT agency_id FROM waivers')).map((r) => r.agency_id));
  for (const f of figures) {
    if (!waiving.has(f.agencyId)) continue;
    for (const w of await waivedFailures(reader, f.agencyId, now)) {
      f.possible -= SEVERITY_WEIGHT[w.severity] ?? 1;
      if (w.openFinding) f.openFindings -= 1;
      if (w.openFinding && w.dueAt !== null && w.dueAt < now) f.overdueFindings -= 1;
    }
  }
  return figures;
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
